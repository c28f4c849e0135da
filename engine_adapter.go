package bitnet

// This file is the package's only contact with the engine and the packages
// below it; the rest of the package speaks strings, ids and its own types.
// Identifiers used: engine.New, engine.Config{MaxBatch, MaxSeqs, MaxQueue,
// Context, KVBudget}, (*engine.Engine).Submit/Config/Close,
// engine.Request{Prompt, MaxTokens, Sampling, Stop, IgnoreEOG,
// TopLogprobs}, engine.Event{Text, Done, Err}, engine.ErrClosed,
// ErrDraining, ErrOverloaded, *engine.ContextLengthError,
// *engine.InvalidRequestError; model.Load, model.Options{Threads},
// (*model.Model).Close, Config.SeqLen, Config.VocabSize; gguf.Open,
// gguf.ReadFile, (*gguf.File).String/Close; internal/defaultmodel.Open;
// tokenizer.FromGGUF, (*tokenizer.Tokenizer).Encode/Decode/AddBOS;
// chat.Select, chat.Message, (*chat.Template).Segments, chat.Encode;
// sample.Params.

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// backend is an open model, its tokenizer and chat template, and the
// engine running it. Its methods are safe for concurrent use until stop;
// release frees it once no call runs.
type backend struct {
	file *gguf.File
	m    *model.Model
	tok  *tokenizer.Tokenizer
	tmpl *chat.Template
	eng  *engine.Engine
}

// openBackend opens path (the embedded model when "") as c says and
// starts its engine. On error it releases what it opened.
func openBackend(path string, c loadConfig) (_ *backend, err error) {
	b := &backend{}
	defer func() {
		if err != nil {
			b.release()
		}
	}()
	if b.file, err = openFile(path, c.mmap); err != nil {
		return nil, err
	}
	if b.m, err = model.Load(b.file, model.Options{Threads: c.threads}); err != nil {
		return nil, fmt.Errorf("bitnet: %s: %w", b.file.Name, err)
	}
	if c.context > b.m.Config.SeqLen {
		return nil, fmt.Errorf("%w: WithContext(%d): want 0..%d (the model's training context)", ErrInvalid, c.context, b.m.Config.SeqLen)
	}
	if b.tok, err = tokenizer.FromGGUF(b.file, tokenizer.Options{}); err != nil {
		return nil, fmt.Errorf("bitnet: %s: %w", b.file.Name, err)
	}
	src, _ := b.file.String("tokenizer.chat_template")
	if b.tmpl, err = chat.Select(c.chatTemplate, src, b.tok); err != nil {
		return nil, fmt.Errorf("bitnet: chat template: %w", err)
	}
	b.eng, err = engine.New(b.m, b.tok, engine.Config{MaxBatch: c.maxBatch, MaxSeqs: c.maxSeqs,
		MaxQueue: c.maxQueue, Context: c.context, KVBudget: c.kvBudget})
	if err != nil {
		return nil, fmt.Errorf("bitnet: %w", err)
	}
	return b, nil
}

// openFile opens the GGUF file at path, mapped or read, or the embedded
// model when path is "".
func openFile(path string, mmap bool) (*gguf.File, error) {
	if path == "" {
		return defaultmodel.Open()
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("bitnet: model file: %w", err)
	}
	var (
		f   *gguf.File
		err error
	)
	if mmap {
		f, err = gguf.Open(path)
	} else {
		f, err = gguf.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("bitnet: model file %s: %w", path, err)
	}
	return f, nil
}

// stop closes the engine: requests still running end with ErrClosed.
func (b *backend) stop() {
	if b.eng != nil {
		b.eng.Close()
	}
}

// release frees everything b holds; no call may run on it any more.
func (b *backend) release() {
	b.stop()
	if b.m != nil {
		b.m.Close()
	}
	if b.file != nil {
		b.file.Close()
	}
}

// contextLength is the engine's context per sequence.
func (b *backend) contextLength() int { return b.eng.Config().Context }

// encode tokenizes text as `bitnet run` does: the model's BOS rule,
// special-token text parsed.
func (b *backend) encode(text string) ([]int32, error) {
	return b.tok.Encode(text, b.tok.AddBOS(), true), nil
}

// encodeChat renders msgs with the chat template, ready for the
// assistant's turn, as the server's chat endpoint does.
func (b *backend) encodeChat(msgs []Message) ([]int32, error) {
	cm := make([]chat.Message, len(msgs))
	for i, msg := range msgs {
		cm[i] = chat.Message{Role: msg.Role, Content: msg.Content}
	}
	segs, err := b.tmpl.Segments(cm, true)
	if err != nil {
		return nil, fmt.Errorf("%w: the chat template %s cannot render these messages: %v", ErrInvalid, b.tmpl.Name(), err)
	}
	return chat.Encode(b.tok, segs), nil
}

// decode returns the text of ids, each of which must be in the vocabulary.
func (b *backend) decode(ids []int32) (string, error) {
	n := b.m.Config.VocabSize
	for i, id := range ids {
		if id < 0 || int(id) >= n {
			return "", fmt.Errorf("%w: token %d at index %d is outside the vocabulary (0..%d)", ErrInvalid, id, i, n-1)
		}
	}
	return b.tok.Decode(ids), nil
}

// run generates from prompt through the engine, passing each piece of text
// to emit on the calling goroutine. An error from emit, or ctx ending,
// cancels the request and is returned.
func (b *backend) run(ctx context.Context, prompt []int32, o GenerateOptions, emit func(string) error) error {
	req, err := b.request(prompt, o)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := b.eng.Submit(rctx, req)
	if err != nil {
		return mapEngineError(err)
	}
	var emitErr error
	for ev := range events {
		if ev.Text != "" && emitErr == nil {
			if emitErr = emit(ev.Text); emitErr != nil {
				cancel() // the engine ends the request within a step; the channel then closes
			}
		}
		if ev.Done && ev.Err != nil && emitErr == nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return mapEngineError(ev.Err)
		}
	}
	return emitErr
}

// request maps o to an engine request for prompt; MaxTokens 0 becomes the
// rest of the context.
func (b *backend) request(prompt []int32, o GenerateOptions) (engine.Request, error) {
	p := sample.Params{Temperature: o.Temperature, TopK: o.TopK, TopP: o.TopP, MinP: o.MinP,
		RepeatPenalty: o.RepeatPenalty, Seed: o.Seed}
	if err := p.Validate(); err != nil {
		return engine.Request{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	n := o.MaxTokens
	if ctxLen := b.contextLength(); n == 0 {
		n = max(1, ctxLen-len(prompt))
	}
	return engine.Request{Prompt: prompt, MaxTokens: n, Sampling: p, Stop: o.Stop,
		IgnoreEOG: o.IgnoreEOS, TopLogprobs: -1}, nil
}

// mapEngineError wraps the engine's errors in the package's sentinels.
func mapEngineError(err error) error {
	var cl *decode.ContextLengthError
	var ir *engine.InvalidRequestError
	switch {
	case errors.Is(err, engine.ErrClosed), errors.Is(err, engine.ErrDraining):
		return ErrClosed
	case errors.Is(err, engine.ErrOverloaded):
		return ErrOverloaded
	case errors.As(err, &cl):
		return fmt.Errorf("%w: %v", ErrContextLength, err)
	case errors.As(err, &ir):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return fmt.Errorf("bitnet: %w", err)
}
