package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitnet-go/bitnet/decode"
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
	// ErrStalled ends a request whose reader left its event buffer full
	// for longer than Config.StallTimeout (see the package doc).
	ErrStalled = errors.New("engine: the request's reader stopped taking events; sequence cancelled")
)

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

	// EventBuffer is the number of events a request's channel holds
	// before its sequence waits for the reader (default 16); the final
	// event always has a slot of its own.
	EventBuffer int
	// StallTimeout is how long a sequence may wait for its reader with a
	// full event buffer before it is cancelled with ErrStalled and
	// counted in Stats.Stalled (default DefaultStallTimeout).
	StallTimeout time.Duration

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

// BatchModel is a model that runs batched steps on a State of type S:
// *model.Model on *model.State, or a GPU model on its own State.
type BatchModel[S any] interface {
	ForwardBatch(st S, b *model.Batch) ([]float32, error)
}

// StepperOf returns the Stepper running m on st; its Close calls closeFn
// (nil: nothing to release).
func StepperOf[S any](m BatchModel[S], st S, closeFn func() error) Stepper {
	return modelStepper[S]{m, st, closeFn}
}

type modelStepper[S any] struct {
	m       BatchModel[S]
	st      S
	closeFn func() error
}

func (c modelStepper[S]) ForwardBatch(b *model.Batch) ([]float32, error) {
	return c.m.ForwardBatch(c.st, b)
}

func (c modelStepper[S]) Close() error {
	if c.closeFn == nil {
		return nil
	}
	return c.closeFn()
}

// Defaults of the event buffer policy.
const (
	DefaultEventBuffer  = 16
	DefaultStallTimeout = 30 * time.Second
)

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
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
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

// Usage counts tokens.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int // prompt tokens reused from shared KV blocks
}

// Event is one message on a request's channel. The last event has Done set
// and carries Finish and Usage, or Err.
type Event struct {
	Text     string                // newly completed text (never half a UTF-8 character)
	Tokens   []int32               // tokens behind this event
	Logprobs []decode.TokenLogprob // one per token, when requested
	Done     bool
	Finish   decode.Finish // on the last event, unless Err is set
	Usage    Usage
	Err      error
	Timings  Timings  // the request's timings known when the event was sent
	Step     StepInfo // the forward step that produced Tokens (zero on events without tokens)
}

// Timings are one request's milestones, read from time.Now (so they carry
// the monotonic clock and compare safely). A milestone not reached yet is
// the zero Time; once set, Queued <= Admitted <= FirstToken <= Finished.
type Timings struct {
	Queued     time.Time // Submit accepted the request
	Admitted   time.Time // the request got its KV blocks and a sequence slot
	FirstToken time.Time // the first generated token was sampled
	Finished   time.Time // the request ended (set on the final event only)
}

// StepInfo describes one batched forward step.
type StepInfo struct {
	Rows       int       // token rows of all sequences
	Seqs       int       // active sequences
	Start, End time.Time // when the forward pass ran
}

// Stats is a snapshot of the engine's load.
type Stats struct {
	Queued    int // submitted, not yet admitted: the counter bounded by MaxQueue
	Active    int // admitted sequences (prefilling or decoding)
	LastBatch int // rows in the last step
	KV        kvcache.Stats
	Steps     int64 // forward steps run
	Stalled   int64 // sequences cancelled with ErrStalled since New

	// StepRows and StepSeconds count every step's rows and duration.
	StepRows, StepSeconds Histogram
}

// Histogram counts observations in fixed buckets.
type Histogram struct {
	Bounds []float64 // bucket upper bounds, ascending; shared, never modified
	Counts []uint64  // Counts[i]: observations in (Bounds[i-1], Bounds[i]]; len(Bounds)+1, the last for +Inf
	Sum    float64
	Count  uint64
}

func newHistogram(bounds []float64) Histogram {
	return Histogram{Bounds: bounds, Counts: make([]uint64, len(bounds)+1)}
}

func (h *Histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.Bounds, v)
	h.Counts[i]++
	h.Sum += v
	h.Count++
}

func (h Histogram) clone() Histogram {
	h.Counts = append([]uint64(nil), h.Counts...)
	return h
}

// The bucket bounds of Stats.StepRows (1 to 512 rows) and Stats.StepSeconds
// (0.5 ms to ~8 s).
var (
	stepRowBounds    = expBounds(1, 2, 10)
	stepSecondBounds = expBounds(0.0005, 2, 15)
)

func expBounds(start, factor float64, n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = start
		start *= factor
	}
	return b
}

// Engine is the scheduler. Create with New, stop with Drain and Close.
type Engine struct {
	m    *model.Model
	tok  *tokenizer.Tokenizer
	cfg  Config
	pool *kvcache.Pool
	step Stepper

	incoming chan *sequence
	queued   atomic.Int64 // submitted and not yet admitted (bounded by cfg.MaxQueue)
	inflight atomic.Int64 // submitted and not yet finished
	stalled  atomic.Int64 // sequences cancelled with ErrStalled
	draining atomic.Bool
	closed   chan struct{}
	done     chan struct{}
	once     sync.Once

	stats atomic.Pointer[Stats]
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
		step = StepperOf(m, st, nil)
	}
	e := &Engine{m: m, tok: tok, cfg: cfg, pool: pool, step: step,
		incoming: make(chan *sequence, cfg.MaxQueue), closed: make(chan struct{}), done: make(chan struct{})}
	e.stats.Store(&Stats{KV: pool.Stats(), StepRows: newHistogram(stepRowBounds), StepSeconds: newHistogram(stepSecondBounds)})
	go e.loop()
	return e, nil
}

// Config returns the effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Stats returns the latest snapshot (updated after every step), with
// Queued and Stalled read live from their counters.
func (e *Engine) Stats() Stats {
	st := *e.stats.Load()
	st.Queued = int(e.queued.Load())
	st.Stalled = e.stalled.Load()
	return st
}

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
	if err := decode.CheckContext(len(req.Prompt), req.MaxTokens, e.cfg.Context, 0); err != nil {
		return nil, err
	}
	// The queue bound: one counter over everything submitted and not yet
	// admitted, whether still in the intake channel or in the loop's
	// waiting list. The channel's capacity is MaxQueue, so the send below
	// cannot block while the counter holds.
	if e.queued.Add(1) > int64(e.cfg.MaxQueue) {
		e.queued.Add(-1)
		return nil, ErrOverloaded
	}
	s := newSequence(e, ctx, req)
	e.inflight.Add(1)
	select {
	case e.incoming <- s:
		return s.events, nil
	default:
		e.inflight.Add(-1)
		e.queued.Add(-1)
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
