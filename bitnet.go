package bitnet

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
)

// Version is the library's version, also returned by the C ABI's
// bitnet_version (capi/bitnet.h BITNET_VERSION, held equal by a test).
const Version = "0.1.0"

// Errors a Model returns; test for them with errors.Is.
var (
	// ErrClosed: the Model was closed before or during the call.
	ErrClosed = errors.New("bitnet: model closed")
	// ErrOverloaded: more requests are waiting for admission than the
	// queue holds (WithMaxQueue); retry later.
	ErrOverloaded = errors.New("bitnet: request queue is full")
	// ErrContextLength: the prompt plus MaxTokens do not fit the context
	// (WithContext).
	ErrContextLength = errors.New("bitnet: request does not fit the context")
	// ErrInvalid: an argument is invalid; the wrapping error names it.
	ErrInvalid = errors.New("bitnet: invalid argument")
)

// Message is one turn of a conversation for Chat.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// GenerateOptions control one generation. The zero value is greedy
// decoding until an end-of-generation token or the end of the context.
type GenerateOptions struct {
	// MaxTokens is the most tokens to generate; 0 means until the
	// context is full. Negative is invalid.
	MaxTokens int
	// Temperature divides the logits before sampling; 0 is greedy
	// (deterministic: the highest logit, the lowest id on ties).
	Temperature float32
	TopK        int     // keep the TopK most likely tokens; 0 = off
	TopP        float32 // nucleus mass in (0, 1]; 0 or 1 = off
	MinP        float32 // drop tokens below MinP × the top probability; 0 = off
	// RepeatPenalty penalizes the tokens of the last 64; 0 or 1 = off.
	RepeatPenalty float32
	Seed          uint64   // sampler seed; the same seed gives the same text
	Stop          []string // the text ends before the first of these
	IgnoreEOS     bool     // keep generating past end-of-generation tokens

	// OnText, when set, receives each piece of generated text as soon as
	// it is complete (never half a UTF-8 character, never text that may
	// still turn out to start a stop string), in order, on the goroutine
	// that called Generate or Chat. An error from it stops the
	// generation, which then returns the text so far and that error.
	OnText func(text string) error
}

// check reports the first invalid field of o.
func (o *GenerateOptions) check() error {
	if o.MaxTokens < 0 {
		return fmt.Errorf("%w: MaxTokens %d: want >= 0 (0 = until the context is full)", ErrInvalid, o.MaxTokens)
	}
	for i, s := range o.Stop {
		if s == "" {
			return fmt.Errorf("%w: Stop[%d] is empty", ErrInvalid, i)
		}
	}
	return nil
}

// Model is a loaded model with its tokenizer, chat template and a running
// continuous-batching engine. All methods are safe for concurrent use:
// concurrent Generate and Chat calls are batched into the same forward
// steps, none waits for another to finish. Close releases it.
type Model struct {
	// mu is held for reading by every call and for writing by Close
	// after the engine has stopped, so that the weights are never
	// unmapped under a running call.
	mu     sync.RWMutex
	b      *backend // nil once closed; guarded by mu
	closer sync.Once
}

// Load loads the model at path (a GGUF file), or the embedded default
// model (kjv-tiny) when path is "", and starts its engine.
func Load(path string, opts ...Option) (*Model, error) {
	c := defaultLoadConfig()
	for _, o := range opts {
		o(&c)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	b, err := openBackend(path, c)
	if err != nil {
		return nil, err
	}
	return &Model{b: b}, nil
}

// Close stops the engine, which fails calls still generating with
// ErrClosed, waits for every call to return, and releases the model.
// Calls after Close return ErrClosed. Close is idempotent.
func (m *Model) Close() error {
	m.closer.Do(func() {
		m.mu.RLock()
		b := m.b
		m.mu.RUnlock()
		if b == nil {
			return
		}
		b.stop() // in-flight generations end now, so the lock below comes soon
		m.mu.Lock()
		m.b = nil
		m.mu.Unlock()
		b.release()
	})
	return nil
}

// acquire returns the backend with mu held for reading, or ErrClosed.
// The caller must call m.mu.RUnlock when it is done.
func (m *Model) acquire() (*backend, error) {
	m.mu.RLock()
	if m.b == nil {
		m.mu.RUnlock()
		return nil, ErrClosed
	}
	return m.b, nil
}

// ContextLength is the longest sequence, prompt plus generated tokens,
// one request may hold.
func (m *Model) ContextLength() int {
	b, err := m.acquire()
	if err != nil {
		return 0
	}
	defer m.mu.RUnlock()
	return b.contextLength()
}

// Generate continues prompt (encoded with the model's BOS rule, special
// token text such as "<|eot_id|>" parsed) and returns the generated text.
// Cancelling ctx stops it; the text so far is returned with ctx's error.
func (m *Model) Generate(ctx context.Context, prompt string, o GenerateOptions) (string, error) {
	return m.generate(ctx, func(b *backend) ([]int32, error) { return b.encode(prompt) }, o)
}

// Chat renders msgs with the model's chat template (or WithChatTemplate)
// followed by the assistant's header, and returns the assistant's reply.
// Message contents are encoded as plain text: special-token text in them
// stays text.
func (m *Model) Chat(ctx context.Context, msgs []Message, o GenerateOptions) (string, error) {
	if err := checkMessages(msgs); err != nil {
		return "", err
	}
	return m.generate(ctx, func(b *backend) ([]int32, error) { return b.encodeChat(msgs) }, o)
}

// Stream is Generate as an iterator over the pieces of text (o.OnText is
// not used). A generation error ends the sequence with ("", err).
// Breaking out of the loop stops the generation.
func (m *Model) Stream(ctx context.Context, prompt string, o GenerateOptions) iter.Seq2[string, error] {
	return stream(func(o GenerateOptions) (string, error) { return m.Generate(ctx, prompt, o) }, o)
}

// ChatStream is Chat as an iterator, as Stream is Generate.
func (m *Model) ChatStream(ctx context.Context, msgs []Message, o GenerateOptions) iter.Seq2[string, error] {
	return stream(func(o GenerateOptions) (string, error) { return m.Chat(ctx, msgs, o) }, o)
}

// errBreak stops a generation whose Stream loop was left.
var errBreak = errors.New("bitnet: stream loop left")

func stream(run func(GenerateOptions) (string, error), o GenerateOptions) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		o.OnText = func(s string) error {
			if !yield(s, nil) {
				return errBreak
			}
			return nil
		}
		if _, err := run(o); err != nil && !errors.Is(err, errBreak) {
			yield("", err)
		}
	}
}

// generate encodes the prompt with enc and runs it through the engine.
func (m *Model) generate(ctx context.Context, enc func(*backend) ([]int32, error), o GenerateOptions) (string, error) {
	if err := o.check(); err != nil {
		return "", err
	}
	b, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer m.mu.RUnlock()
	ids, err := enc(b)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	err = b.run(ctx, ids, o, func(s string) error {
		sb.WriteString(s)
		if o.OnText != nil {
			return o.OnText(s)
		}
		return nil
	})
	return sb.String(), err
}

// Tokenize encodes text as Generate does: with the model's BOS rule and
// special-token text parsed.
func (m *Model) Tokenize(text string) ([]int32, error) {
	b, err := m.acquire()
	if err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return b.encode(text)
}

// Detokenize returns the text of ids. Control tokens (BOS, EOS …) render
// as nothing; an id outside the vocabulary is an ErrInvalid error naming
// its index.
func (m *Model) Detokenize(ids []int32) (string, error) {
	b, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer m.mu.RUnlock()
	return b.decode(ids)
}

// checkMessages reports the first message with an unknown role.
func checkMessages(msgs []Message) error {
	if len(msgs) == 0 {
		return fmt.Errorf("%w: no messages", ErrInvalid)
	}
	for i, msg := range msgs {
		switch msg.Role {
		case "system", "user", "assistant":
		default:
			return fmt.Errorf("%w: messages[%d]: role %q (want system, user or assistant)", ErrInvalid, i, msg.Role)
		}
	}
	return nil
}
