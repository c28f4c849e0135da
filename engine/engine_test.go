package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/generate"
	"github.com/bitnet-go/bitnet/internal/testmodel"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

func setup(t testing.TB) (*model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	return testmodel.Embedded(t, 2)
}

func newEngine(t testing.TB, m *model.Model, tok *tokenizer.Tokenizer, cfg Config) *Engine {
	t.Helper()
	e, err := New(m, tok, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// collect reads every event and returns the text and the last event.
func collect(t testing.TB, ch <-chan Event) (string, Event) {
	t.Helper()
	var sb strings.Builder
	var last Event
	for ev := range ch {
		sb.WriteString(ev.Text)
		last = ev
	}
	if !last.Done {
		t.Fatal("channel closed without a final event")
	}
	return sb.String(), last
}

// solo is the single-sequence reference for a greedy continuation.
func solo(t *testing.T, m *model.Model, tok *tokenizer.Tokenizer, prompt []int32, n int) string {
	st, _ := m.NewState(512, 64)
	var sb strings.Builder
	if _, err := generate.Generate(context.Background(), m, st, tok, prompt, generate.Options{MaxTokens: n}, func(s string) error {
		sb.WriteString(s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

var prompts = []string{
	"In the beginning God created the heaven and the earth.",
	"And the LORD said unto Moses,",
	"Blessed are the",
	"The LORD is my shepherd;",
	"And it came to pass in those days, that there went out a decree",
	"For God so loved the world,",
	"Now the serpent was more subtil than any beast of the field",
	"Vanity of vanities, saith the Preacher,",
}

func TestConcurrentEqualsSolo(t *testing.T) {
	m, tok := setup(t)
	want := make([]string, len(prompts))
	for i, p := range prompts {
		want[i] = solo(t, m, tok, tok.Encode(p, true, false), 24)
	}
	e := newEngine(t, m, tok, Config{MaxBatch: 16, PrefillChunk: 5, BlockSize: 4})
	var wg sync.WaitGroup
	got := make([]string, len(prompts))
	last := make([]Event, len(prompts))
	for i, p := range prompts {
		ch, err := e.Submit(context.Background(), Request{Prompt: tok.Encode(p, true, false), MaxTokens: 24})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], last[i] = collect(t, ch)
		}()
	}
	wg.Wait()
	for i := range prompts {
		if got[i] != want[i] {
			t.Errorf("prompt %d batched:\n got %q\nwant %q", i, got[i], want[i])
		}
		if u := last[i].Usage; u.CompletionTokens != 24 || u.PromptTokens != len(tok.Encode(prompts[i], true, false)) || last[i].Finish != decode.FinishLength {
			t.Errorf("prompt %d: usage %+v finish %q", i, u, last[i].Finish)
		}
	}
	waitIdle(t, e)
	if st := e.KVPool().Stats(); st.Used != 0 {
		t.Errorf("after all requests: %+v, want no used blocks", st)
	}
}

func waitIdle(t *testing.T, e *Engine) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := e.Stats(); s.Active == 0 && s.Queued == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("engine not idle: %+v", e.Stats())
}

func TestCancelFreesBlocks(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{MaxBatch: 8, BlockSize: 4})
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := e.Submit(ctx, Request{Prompt: tok.Encode(prompts[0], true, false), MaxTokens: 500, IgnoreEOG: true})
	if err != nil {
		t.Fatal(err)
	}
	<-ch // first token
	if st := e.KVPool().Stats(); st.Used == 0 {
		t.Fatalf("a running request holds no blocks: %+v", st)
	}
	cancel()
	_, last := collect(t, ch)
	if !errors.Is(last.Err, context.Canceled) {
		t.Errorf("final event error %v, want context.Canceled", last.Err)
	}
	waitIdle(t, e)
	if st := e.KVPool().Stats(); st.Used != 0 {
		t.Errorf("after cancel: %+v, want every block back", st)
	}
}

func TestPrefixShared(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{MaxBatch: 16, BlockSize: 4})
	system := "<|begin_of_text|>System: Thou art a scribe of the house of Israel, answering in the words of the King James Bible.<|eot_id|>"
	p1 := tok.Encode(system+"User: Who was Moses?<|eot_id|>Assistant: ", false, true)
	p2 := tok.Encode(system+"User: Who was David?<|eot_id|>Assistant: ", false, true)
	ch, _ := e.Submit(context.Background(), Request{Prompt: p1, MaxTokens: 4})
	_, first := collect(t, ch)
	ch, _ = e.Submit(context.Background(), Request{Prompt: p2, MaxTokens: 4})
	text, second := collect(t, ch)
	if first.Usage.CachedTokens != 0 || second.Usage.CachedTokens < 16 {
		t.Errorf("cached tokens: first %d, second %d (want 0 and most of the shared system prompt)", first.Usage.CachedTokens, second.Usage.CachedTokens)
	}
	if want := solo(t, m, tok, p2, 4); text != want {
		t.Errorf("with a shared prefix: %q, recomputed: %q", text, want)
	}
}

func TestSubmitErrors(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{MaxBatch: 4, MaxQueue: 2, Context: 64})
	long := make([]int32, 70)
	var cle *decode.ContextLengthError
	if _, err := e.Submit(context.Background(), Request{Prompt: long, MaxTokens: 1}); !errors.As(err, &cle) || cle.Field != decode.FieldPrompt {
		t.Errorf("prompt over the context: %v, want a ContextLengthError blaming the prompt", err)
	}
	if _, err := e.Submit(context.Background(), Request{Prompt: long[:60], MaxTokens: 10}); !errors.As(err, &cle) || cle.Field != decode.FieldMaxTokens {
		t.Errorf("prompt + max_tokens over the context: %v, want a ContextLengthError blaming max_tokens", err)
	}
	var ire *InvalidRequestError
	if _, err := e.Submit(context.Background(), Request{Prompt: []int32{1}, MaxTokens: 0}); !errors.As(err, &ire) {
		t.Errorf("max_tokens 0: %v", err)
	}
	if _, err := e.Submit(context.Background(), Request{Prompt: []int32{99999}, MaxTokens: 1}); !errors.As(err, &ire) {
		t.Errorf("token outside the vocabulary: %v", err)
	}
	// Fill the queue faster than the loop drains it.
	overloaded := false
	var chans []<-chan Event
	for range 50 {
		ch, err := e.Submit(context.Background(), Request{Prompt: tok.Encode("And", true, false), MaxTokens: 40, IgnoreEOG: true})
		if errors.Is(err, ErrOverloaded) {
			overloaded = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	if !overloaded {
		t.Error("50 quick submissions with a queue of 2 never overloaded")
	}
	for _, ch := range chans {
		collect(t, ch)
	}
}

func TestDrain(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{MaxBatch: 8})
	ch, err := e.Submit(context.Background(), Request{Prompt: tok.Encode("And", true, false), MaxTokens: 30, IgnoreEOG: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- e.Drain(context.Background()) }()
	_, last := collect(t, ch)
	if last.Err != nil || last.Usage.CompletionTokens != 30 {
		t.Errorf("in-flight request during drain: %+v", last)
	}
	if err := <-done; err != nil {
		t.Errorf("Drain: %v", err)
	}
	if _, err := e.Submit(context.Background(), Request{Prompt: []int32{1}, MaxTokens: 1}); !errors.Is(err, ErrDraining) {
		t.Errorf("Submit after Drain: %v, want ErrDraining", err)
	}
	// A drain that times out cancels what is left.
	e2 := newEngine(t, m, tok, Config{MaxBatch: 8})
	ch, _ = e2.Submit(context.Background(), Request{Prompt: tok.Encode("And", true, false), MaxTokens: 1500, IgnoreEOG: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e2.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Drain with a short deadline: %v", err)
	}
	_, last = collect(t, ch)
	if !errors.Is(last.Err, ErrClosed) {
		t.Errorf("request cut by the drain deadline ended with %v, want ErrClosed", last.Err)
	}
}

func TestLogprobs(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{})
	ch, _ := e.Submit(context.Background(), Request{Prompt: tok.Encode(prompts[0], true, false), MaxTokens: 3, TopLogprobs: 3})
	n := 0
	for ev := range ch {
		for _, lp := range ev.Logprobs {
			n++
			if len(lp.Top) != 3 || lp.Top[0].Logprob < lp.Top[1].Logprob || lp.Logprob > 0 {
				t.Errorf("logprob %+v", lp)
			}
			// Greedy: the chosen token is the most likely one.
			if lp.Top[0].Token != lp.Token {
				t.Errorf("greedy token %d is not the top alternative %d", lp.Token, lp.Top[0].Token)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d logprobs for 3 tokens", n)
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		work           []int
		decode         []bool
		maxRows, chunk int
		start          int
		want           []int
	}{
		{[]int{1, 1, 1}, []bool{true, true, true}, 8, 4, 0, []int{1, 1, 1}},
		{[]int{1, 1, 1}, []bool{true, true, true}, 2, 4, 0, []int{1, 1, 0}},
		{[]int{1, 1, 1}, []bool{true, true, true}, 2, 4, 1, []int{0, 1, 1}},
		{[]int{100, 1, 7}, []bool{false, true, false}, 8, 4, 0, []int{4, 1, 3}},
		{[]int{100, 1, 7}, []bool{false, true, false}, 16, 32, 0, []int{15, 1, 0}},
		{[]int{3}, []bool{false}, 64, 32, 0, []int{3}},
	} {
		rows := make([]int, len(tc.work))
		total := plan(tc.work, tc.decode, tc.maxRows, tc.chunk, tc.start, rows)
		if fmt.Sprint(rows) != fmt.Sprint(tc.want) {
			t.Errorf("plan(%v, %v, %d, %d, %d) = %v, want %v", tc.work, tc.decode, tc.maxRows, tc.chunk, tc.start, rows, tc.want)
		}
		sum := 0
		for _, r := range rows {
			sum += r
		}
		if sum != total || total > tc.maxRows {
			t.Errorf("total %d, rows sum %d, max %d", total, sum, tc.maxRows)
		}
	}
}

// countingStepper wraps the CPU path to check that Config.NewStepper is
// used for every step and closed with the engine.
type countingStepper struct {
	Stepper
	steps  *atomic.Int64
	closed *atomic.Bool
}

func (c countingStepper) ForwardBatch(b *model.Batch) ([]float32, error) {
	c.steps.Add(1)
	return c.Stepper.ForwardBatch(b)
}

func (c countingStepper) Close() error { c.closed.Store(true); return nil }

func TestCustomStepper(t *testing.T) {
	m, tok := setup(t)
	var steps atomic.Int64
	var closed atomic.Bool
	var gotPool *kvcache.Pool
	cfg := Config{MaxBatch: 16, MaxSeqs: 4, NewStepper: func(pool *kvcache.Pool, maxBatch, ctx int) (Stepper, error) {
		gotPool = pool
		st, err := m.NewStateOpts(model.StateOptions{SeqLen: ctx, MaxBatch: maxBatch, Shared: true})
		if err != nil {
			return nil, err
		}
		return countingStepper{StepperOf(m, st, nil), &steps, &closed}, nil
	}}
	e, err := New(m, tok, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if gotPool != e.KVPool() {
		t.Fatal("NewStepper did not get the engine's pool")
	}
	ch, err := e.Submit(context.Background(), Request{Prompt: tok.Encode("In the beginning", true, false), MaxTokens: 5, IgnoreEOG: true, TopLogprobs: -1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ev := range ch {
		if ev.Err != nil {
			t.Fatal(ev.Err)
		}
		n += len(ev.Tokens)
	}
	e.Close()
	if n != 5 || steps.Load() < 5 || !closed.Load() {
		t.Fatalf("%d tokens, %d steps, closed %v; want 5 tokens, >= 5 steps through the stepper, closed", n, steps.Load(), closed.Load())
	}

	// A failing constructor fails New.
	cfg.NewStepper = func(*kvcache.Pool, int, int) (Stepper, error) { return nil, errors.New("no device") }
	if _, err := New(m, tok, cfg); err == nil || !strings.Contains(err.Error(), "no device") {
		t.Fatalf("New with a failing stepper: %v", err)
	}
}

// TestSlowReader: a reader that stalls well past the event buffer loses no
// event: its sequence waits (others keep going) and resumes when the
// reader comes back, with the same text as a reader that kept up.
func TestSlowReader(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{EventBuffer: 2, StallTimeout: time.Minute})
	prompt := tok.Encode(prompts[0], true, false)
	const n = 24
	slow, err := e.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: n, IgnoreEOG: true})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := e.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: n, IgnoreEOG: true})
	if err != nil {
		t.Fatal(err)
	}
	fastText, fastLast := collect(t, fast) // runs to the end while slow is not read
	if fastLast.Usage.CompletionTokens != n {
		t.Fatalf("the sequence read on time: %+v", fastLast)
	}
	time.Sleep(50 * time.Millisecond)
	if got := len(slow); got > 2+1 {
		t.Fatalf("%d events buffered for a stalled reader, want at most EventBuffer+1 = 3", got)
	}
	var text strings.Builder
	tokens := 0
	var last Event
	for ev := range slow {
		text.WriteString(ev.Text)
		tokens += len(ev.Tokens)
		last = ev
	}
	if tokens != n || last.Err != nil || last.Usage.CompletionTokens != n || text.String() != fastText {
		t.Errorf("stalled reader got %d tokens, %q, end %+v; want %d tokens and %q", tokens, text.String(), last, n, fastText)
	}
	if st := e.Stats(); st.Stalled != 0 {
		t.Errorf("Stats.Stalled = %d after a stall shorter than StallTimeout, want 0", st.Stalled)
	}
}

// TestStallTimeout: a reader that never comes back gets the documented
// cancellation (ErrStalled on the final event, its tokens before it
// intact) and the engine counts it.
func TestStallTimeout(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{EventBuffer: 3, StallTimeout: 30 * time.Millisecond})
	ch, err := e.Submit(context.Background(), Request{Prompt: tok.Encode("And", true, false), MaxTokens: 100, IgnoreEOG: true})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Stalled == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled sequence was never cancelled: %+v", e.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	tokens := 0
	var last Event
	for ev := range ch {
		tokens += len(ev.Tokens)
		last = ev
	}
	if tokens != 3 || !errors.Is(last.Err, ErrStalled) || last.Usage.CompletionTokens != 3 {
		t.Errorf("stalled request: %d tokens delivered, final %+v; want the 3 buffered tokens and ErrStalled", tokens, last)
	}
	waitIdle(t, e)
	if u := e.KVPool().Stats().Used; u != 0 {
		t.Errorf("%d KV blocks still used after the stall cancellation", u)
	}
}

// TestTimings: every request reports its milestones, in order.
func TestTimings(t *testing.T) {
	m, tok := setup(t)
	e := newEngine(t, m, tok, Config{MaxSeqs: 1})
	var chans []<-chan Event
	for i := range 3 { // MaxSeqs 1: the later ones queue
		ch, err := e.Submit(context.Background(), Request{Prompt: tok.Encode(prompts[i], true, false), MaxTokens: 5})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	for i, ch := range chans {
		var first, last Event
		for ev := range ch {
			if len(ev.Tokens) > 0 && first.Timings.FirstToken.IsZero() {
				first = ev
			}
			last = ev
		}
		tm := last.Timings
		if tm.Queued.IsZero() || tm.Admitted.IsZero() || tm.FirstToken.IsZero() || tm.Finished.IsZero() {
			t.Fatalf("request %d: timings missing: %+v", i, tm)
		}
		if tm.Admitted.Before(tm.Queued) || tm.FirstToken.Before(tm.Admitted) || tm.Finished.Before(tm.FirstToken) {
			t.Errorf("request %d: timings out of order: %+v", i, tm)
		}
		if first.Timings.FirstToken != tm.FirstToken || !first.Timings.Finished.IsZero() {
			t.Errorf("request %d: first token event timings %+v, final %+v", i, first.Timings, tm)
		}
		if s := first.Step; s.Rows < 1 || s.Seqs < 1 || s.End.Before(s.Start) {
			t.Errorf("request %d: step info %+v", i, s)
		}
	}
	if st := e.Stats(); st.StepRows.Count == 0 || st.StepRows.Count != st.StepSeconds.Count || uint64(st.Steps) != st.StepRows.Count {
		t.Errorf("step histograms: rows %d, seconds %d observations over %d steps", st.StepRows.Count, st.StepSeconds.Count, st.Steps)
	}
}
