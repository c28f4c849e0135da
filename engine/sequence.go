package engine

import (
	"context"
	"time"

	"github.com/bitnet-go/bitnet/internal/textstop"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// sequence is one request's state; only the loop goroutine touches it
// (accept runs on helper goroutines while the loop waits for them).
type sequence struct {
	e         *Engine
	ctx       context.Context
	req       Request
	events    chan Event // capacity cfg.EventBuffer+1: the last slot is the final event's
	kv        *kvcache.Seq
	tokens    []int32 // prompt then generated tokens
	generated int
	cached    int // prompt positions attached from shared blocks
	published bool
	sampler   *sample.Sampler
	dec       *tokenizer.Decoder
	stop      *textstop.Holder
	times     Timings
	stalled   time.Time // when the event buffer was first seen full; zero while it has room
	lp        []float32 // log-softmax scratch, when logprobs are wanted
}

func newSequence(e *Engine, ctx context.Context, req Request) *sequence {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &sequence{
		e:       e,
		ctx:     ctx,
		req:     req,
		events:  make(chan Event, e.cfg.EventBuffer+1),
		tokens:  make([]int32, 0, len(req.Prompt)+req.MaxTokens),
		sampler: sample.New(req.Sampling, e.m.Config.VocabSize),
		dec:     e.tok.NewDecoder(),
		stop:    textstop.New(req.Stop),
		times:   Timings{Queued: time.Now()},
	}
	s.tokens = append(s.tokens, req.Prompt...)
	if req.TopLogprobs >= 0 {
		s.lp = make([]float32, e.m.Config.VocabSize)
	}
	return s
}

// pending is the number of tokens not yet in the KV cache: the rest of the
// prompt, or the last sampled token.
func (s *sequence) pending() int { return len(s.tokens) - s.kv.Len() }

// decoding reports whether the prompt is fully computed.
func (s *sequence) decoding() bool { return s.kv.Len() >= len(s.req.Prompt) }

// full reports whether the reader has left cfg.EventBuffer events untaken:
// the sequence then sits out the steps (it would have nowhere to put its
// next token) until the reader catches up or StallTimeout passes.
func (s *sequence) full(now time.Time) bool {
	if len(s.events) < s.e.cfg.EventBuffer {
		s.stalled = time.Time{}
		return false
	}
	if s.stalled.IsZero() {
		s.stalled = now
	}
	return true
}

// stalledOut reports whether the buffer has been full for longer than
// StallTimeout.
func (s *sequence) stalledOut(now time.Time) bool {
	return !s.stalled.IsZero() && now.Sub(s.stalled) > s.e.cfg.StallTimeout
}

// send delivers an event. The loop only computes a token for a sequence
// whose buffer has room (full), and the final event has a slot of its own,
// so the send never blocks; the default case guards that invariant.
func (s *sequence) send(ev Event) {
	select {
	case s.events <- ev:
	default:
		panic("engine: event buffer overflow (a sequence ran with a full buffer)")
	}
}

// finish ends the request: a final event, its KV blocks back to the pool.
func (s *sequence) finish(finish string, err error) {
	if s.times.Admitted.IsZero() {
		s.e.queued.Add(-1) // it never left the queue
	}
	s.times.Finished = time.Now()
	ev := Event{Done: true, Finish: finish, Err: err, Timings: s.times,
		Usage: Usage{PromptTokens: len(s.req.Prompt), CompletionTokens: s.generated, CachedTokens: s.cached}}
	// Blocks go back before the channel closes, so a client that sees the
	// end also sees the pool without them.
	if s.kv != nil {
		s.kv.Free()
	}
	s.send(ev)
	close(s.events)
	s.e.inflight.Add(-1)
}

// accept takes the logits of the sequence's last row, samples the next
// token and emits its text. It reports whether the sequence is finished and
// how; the caller then calls finish (which returns KV blocks to the pool,
// so it must run on the loop goroutine, while accept may run in parallel
// for different sequences).
func (s *sequence) accept(e *Engine, logits []float32, step StepInfo) (done bool, finish string, err error) {
	tok := s.sampler.Sample(logits, s.tokens)
	if tok < 0 {
		return true, "", errNonFinite
	}
	s.tokens = append(s.tokens, tok)
	s.generated++
	if s.times.FirstToken.IsZero() {
		s.times.FirstToken = time.Now()
	}
	ev := Event{Tokens: []int32{tok}, Timings: s.times, Step: step}
	if s.lp != nil {
		ev.Logprobs = []TokenLogprob{s.logprob(logits, tok)}
	}
	if !s.req.IgnoreEOG && e.tok.IsEOG(tok) {
		ev.Text = s.stop.Flush(s.dec.Flush())
		s.send(ev)
		return true, "stop", nil
	}
	text, stop := s.stop.Add(s.dec.Add(tok))
	ev.Text = text
	if stop != "" {
		s.send(ev)
		return true, "stop", nil
	}
	if s.generated >= s.req.MaxTokens {
		ev.Text += s.stop.Flush(s.dec.Flush())
		s.send(ev)
		return true, "length", nil
	}
	s.send(ev)
	return false, "", nil
}

// logprob reports tok's log-probability and the TopLogprobs best tokens,
// from the logits before penalties and temperature (OpenAI's convention).
func (s *sequence) logprob(logits []float32, tok int32) TokenLogprob {
	sample.LogSoftmax(logits, s.lp)
	tl := TokenLogprob{Token: tok, Logprob: s.lp[tok]}
	for _, i := range sample.TopIndices(s.lp, s.req.TopLogprobs, nil) {
		tl.Top = append(tl.Top, TopLogprob{Token: i, Logprob: s.lp[i]})
	}
	return tl
}
