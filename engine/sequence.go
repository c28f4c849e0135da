package engine

import (
	"context"
	"time"

	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/kvcache"
)

// sequence is one request's state; only the loop goroutine touches it
// (accept runs on helper goroutines while the loop waits for them).
type sequence struct {
	e         *Engine
	ctx       context.Context
	req       Request
	events    chan Event // capacity cfg.EventBuffer+1: the last slot is the final event's
	kv        *kvcache.Seq
	gen       *decode.Stream // sampling, stop strings, text; its History is the prompt then the generated tokens
	cached    int            // prompt positions attached from shared blocks
	published bool
	times     Timings
	stalled   time.Time // when the event buffer was first seen full; zero while it has room
}

func newSequence(e *Engine, ctx context.Context, req Request) *sequence {
	if ctx == nil {
		ctx = context.Background()
	}
	opt := decode.Options{MaxTokens: req.MaxTokens, Sampling: req.Sampling, Stop: req.Stop, IgnoreEOG: req.IgnoreEOG,
		Logprobs: req.TopLogprobs >= 0, TopLogprobs: req.TopLogprobs}
	return &sequence{
		e:      e,
		ctx:    ctx,
		req:    req,
		events: make(chan Event, e.cfg.EventBuffer+1),
		gen:    decode.NewStream(e.tok, e.m.Config.VocabSize, req.Prompt, opt),
		times:  Timings{Queued: time.Now()},
	}
}

// pending is the number of tokens not yet in the KV cache: the rest of the
// prompt, or the last sampled token.
func (s *sequence) pending() int { return len(s.gen.History()) - s.kv.Len() }

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
func (s *sequence) finish(finish decode.Finish, err error) {
	if s.times.Admitted.IsZero() {
		s.e.queued.Add(-1) // it never left the queue
	}
	s.times.Finished = time.Now()
	ev := Event{Done: true, Finish: finish, Err: err, Timings: s.times,
		Usage: Usage{PromptTokens: len(s.req.Prompt), CompletionTokens: s.gen.Generated(), CachedTokens: s.cached}}
	// Blocks go back before the channel closes, so a client that sees the
	// end also sees the pool without them.
	if s.kv != nil {
		s.kv.Free()
	}
	s.send(ev)
	close(s.events)
	s.e.inflight.Add(-1)
}

// accept takes the logits of the sequence's last row and sends the next
// token with its text (decode.Stream does the work). It reports how the
// sequence finished, or an error; the caller then calls finish (which
// returns KV blocks to the pool, so it must run on the loop goroutine,
// while accept may run in parallel for different sequences).
func (s *sequence) accept(logits []float32, step StepInfo) (decode.Finish, error) {
	t, err := s.gen.Next(logits)
	if err != nil {
		return decode.FinishNone, err
	}
	if s.times.FirstToken.IsZero() {
		s.times.FirstToken = time.Now()
	}
	ev := Event{Text: t.Text, Tokens: []int32{t.ID}, Timings: s.times, Step: step}
	if t.Logprob != nil {
		ev.Logprobs = []decode.TokenLogprob{*t.Logprob}
	}
	s.send(ev)
	return t.Finish, nil
}
