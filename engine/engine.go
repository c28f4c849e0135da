package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// Errors returned by Submit. The server maps them to HTTP statuses.
var (
	ErrOverloaded = errors.New("engine: request queue is full")
	ErrDraining   = errors.New("engine: shutting down, not accepting requests")
	ErrClosed     = errors.New("engine: closed")
)

// ContextLengthError reports a request that cannot fit the context.
type ContextLengthError struct {
	Prompt, MaxTokens, Context int
}

func (e *ContextLengthError) Error() string {
	if e.Prompt >= e.Context {
		return fmt.Sprintf("the prompt has %d tokens but the context holds %d", e.Prompt, e.Context)
	}
	return fmt.Sprintf("the prompt (%d tokens) plus max_tokens (%d) exceed the context length %d", e.Prompt, e.MaxTokens, e.Context)
}

// InvalidRequestError reports a request the engine refuses before queueing.
type InvalidRequestError struct{ Msg string }

func (e *InvalidRequestError) Error() string { return e.Msg }

// Config sizes the engine.
type Config struct {
	MaxBatch     int          // rows per forward step (default 64)
	PrefillChunk int          // most prompt tokens of one sequence per step (default MaxBatch/2)
	MaxSeqs      int          // active sequences at most (default 128)
	MaxQueue     int          // requests waiting for admission at most before ErrOverloaded (default 256)
	Context      int          // longest sequence in tokens (default: the model's training context)
	BlockSize    int          // KV block size (default 16)
	KVBudget     int64        // KV pool size in bytes (default: room for MaxSeqs/4 full contexts, at least 2)
	KVType       kvcache.Type // f16 or q8

	// NewStepper, when set, makes what runs the engine's forward steps
	// over its KV pool, for instance a GPU model (cmd/bitnet serve
	// --device). Nil runs model.Model.ForwardBatch on the CPU.
	NewStepper func(pool *kvcache.Pool, maxBatch, context int) (Stepper, error)
}

// A Stepper runs one forward step over rows of sequences of the engine's
// KV pool with the semantics of model.Model.ForwardBatch: it returns the
// logits of the rows marked in b.Logits, in row order, valid until the
// next call. The engine calls it from one goroutine and closes it in
// Close.
type Stepper interface {
	ForwardBatch(b *model.Batch) ([]float32, error)
	Close() error
}

// cpuStepper is the default Stepper: the model on the CPU with a State
// shared by the pool's sequences.
type cpuStepper struct {
	m  *model.Model
	st *model.State
}

func (c cpuStepper) ForwardBatch(b *model.Batch) ([]float32, error) { return c.m.ForwardBatch(c.st, b) }
func (c cpuStepper) Close() error                                   { return nil }

func (c *Config) fill(m *model.Model) {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 64
	}
	if c.PrefillChunk <= 0 {
		c.PrefillChunk = max(1, c.MaxBatch/2)
	}
	if c.MaxSeqs <= 0 {
		c.MaxSeqs = 128
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 256
	}
	if c.Context <= 0 || c.Context > m.Config.SeqLen {
		c.Context = m.Config.SeqLen
	}
	if c.BlockSize <= 0 {
		c.BlockSize = model.DefaultBlockSize
	}
	if c.KVBudget <= 0 {
		kc := m.KVConfig(c.BlockSize, 1, c.KVType)
		perCtx := int64((c.Context+c.BlockSize-1)/c.BlockSize) * kc.BlockBytes()
		c.KVBudget = perCtx * int64(max(2, c.MaxSeqs/4))
	}
}

// Request is one generation.
type Request struct {
	Prompt      []int32       // prompt tokens (BOS included when wanted)
	MaxTokens   int           // tokens to generate, >= 1
	Sampling    sample.Params // per-request sampling
	Stop        []string      // stop strings
	IgnoreEOG   bool          // do not stop at end-of-generation tokens
	TopLogprobs int           // alternatives to report per token (0 = none; -1 = no logprobs at all)
	ID          string        // request id for logs
}

// TokenLogprob is the log-probability of one token, with alternatives.
type TokenLogprob struct {
	Token   int32
	Logprob float32
	Top     []TopLogprob
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   int32
	Logprob float32
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int // prompt tokens reused from shared KV blocks
}

// Event is one message on a request's channel. The last event has Done set
// and carries Finish and Usage, or Err.
type Event struct {
	Text     string         // newly completed text (never half a UTF-8 character)
	Tokens   []int32        // tokens behind this event
	Logprobs []TokenLogprob // one per token, when requested
	Done     bool
	Finish   string // "stop" or "length" on the last event
	Usage    Usage
	Err      error
	TTFT     time.Duration // on the first event with tokens: time from Submit
	Queued   time.Duration // on the first event with tokens: time from Submit to admission
}

// Stats is a snapshot of the engine's load.
type Stats struct {
	Queued    int
	Active    int
	LastBatch int // rows in the last step
	KV        kvcache.Stats
	Steps     int64
}

// Engine is the scheduler. Create with New, stop with Drain and Close.
type Engine struct {
	m    *model.Model
	tok  *tokenizer.Tokenizer
	cfg  Config
	pool *kvcache.Pool
	step Stepper

	incoming chan *sequence
	inflight atomic.Int64 // submitted and not yet finished
	draining atomic.Bool
	closed   chan struct{}
	done     chan struct{}
	once     sync.Once

	stats atomic.Pointer[Stats]

	// OnStep, when set, is called by the loop after each forward step
	// (metrics hooks). It must be fast and must not call the Engine.
	OnStep func(rows, seqs int, dur time.Duration)
}

// New starts an engine on m. The model must not be used by anything else
// while the engine runs.
func New(m *model.Model, tok *tokenizer.Tokenizer, cfg Config) (*Engine, error) {
	cfg.fill(m)
	kc := m.KVConfig(cfg.BlockSize, 1, cfg.KVType)
	blocks := kc.BlocksForBudget(cfg.KVBudget)
	minBlocks := (cfg.Context + cfg.BlockSize - 1) / cfg.BlockSize
	if blocks < minBlocks {
		return nil, fmt.Errorf("engine: KV budget %d bytes holds %d blocks of %d bytes; one full context (%d tokens) needs %d", cfg.KVBudget, blocks, kc.BlockBytes(), cfg.Context, minBlocks)
	}
	kc.Blocks = blocks
	pool, err := kvcache.NewPool(kc)
	if err != nil {
		return nil, err
	}
	var step Stepper
	if cfg.NewStepper != nil {
		if step, err = cfg.NewStepper(pool, cfg.MaxBatch, cfg.Context); err != nil {
			return nil, err
		}
	} else {
		st, err := m.NewStateOpts(model.StateOptions{SeqLen: cfg.Context, MaxBatch: cfg.MaxBatch, Shared: true})
		if err != nil {
			return nil, err
		}
		step = cpuStepper{m, st}
	}
	e := &Engine{m: m, tok: tok, cfg: cfg, pool: pool, step: step,
		incoming: make(chan *sequence, cfg.MaxQueue), closed: make(chan struct{}), done: make(chan struct{})}
	e.stats.Store(&Stats{KV: pool.Stats()})
	go e.loop()
	return e, nil
}

// Config returns the effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Stats returns the latest snapshot (updated after every step).
func (e *Engine) Stats() Stats { return *e.stats.Load() }

// Submit queues req and returns its event channel, which is closed after
// the last event. Cancelling ctx stops the request and frees its KV blocks
// within one step. Submit never blocks.
func (e *Engine) Submit(ctx context.Context, req Request) (<-chan Event, error) {
	if e.draining.Load() {
		return nil, ErrDraining
	}
	select {
	case <-e.closed:
		return nil, ErrClosed
	default:
	}
	if len(req.Prompt) == 0 {
		return nil, &InvalidRequestError{"the prompt is empty"}
	}
	for i, t := range req.Prompt {
		if t < 0 || int(t) >= e.m.Config.VocabSize {
			return nil, &InvalidRequestError{fmt.Sprintf("prompt token %d at index %d is outside the vocabulary (%d)", t, i, e.m.Config.VocabSize)}
		}
	}
	if req.MaxTokens < 1 {
		return nil, &InvalidRequestError{fmt.Sprintf("max_tokens must be at least 1, got %d", req.MaxTokens)}
	}
	if err := req.Sampling.Validate(); err != nil {
		return nil, &InvalidRequestError{err.Error()}
	}
	if len(req.Prompt) >= e.cfg.Context || len(req.Prompt)+req.MaxTokens > e.cfg.Context {
		return nil, &ContextLengthError{Prompt: len(req.Prompt), MaxTokens: req.MaxTokens, Context: e.cfg.Context}
	}
	s := newSequence(e, ctx, req)
	e.inflight.Add(1)
	select {
	case e.incoming <- s:
		return s.events, nil
	default:
		e.inflight.Add(-1)
		return nil, ErrOverloaded
	}
}

// Drain stops accepting requests and waits until every queued and active
// request has finished, or ctx ends; then the remaining ones are cancelled
// with ctx's error.
func (e *Engine) Drain(ctx context.Context) error {
	e.draining.Store(true)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if e.inflight.Load() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			e.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops the loop, failing every remaining request with ErrClosed,
// and waits for it to exit.
func (e *Engine) Close() {
	e.once.Do(func() { close(e.closed) })
	<-e.done
}

// KVPool exposes the pool for tests and metrics; only read it between steps.
func (e *Engine) KVPool() *kvcache.Pool { return e.pool }

// logprob helpers

// logSoftmax fills out with log-softmax(x) (float64 accumulation).
func logSoftmax(x, out []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	ls := float32(math.Log(s))
	for i, v := range x {
		out[i] = v - m - ls
	}
}
