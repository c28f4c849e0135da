package engine

import (
	"context"
	"sort"
	"time"

	"github.com/bitnet-go/bitnet/internal/textstop"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// sequence is one request's state; only the loop goroutine touches it.
type sequence struct {
	e         *Engine
	ctx       context.Context
	req       Request
	events    chan Event
	kv        *kvcache.Seq
	tokens    []int32 // prompt then generated tokens
	generated int
	cached    int // prompt positions attached from shared blocks
	published bool
	sampler   *sample.Sampler
	dec       *tokenizer.Decoder
	stop      *textstop.Holder
	submitted time.Time
	admitted  time.Time
	sentFirst bool
	lp        []float32 // log-softmax scratch, when logprobs are wanted
}

func newSequence(e *Engine, ctx context.Context, req Request) *sequence {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &sequence{
		e:         e,
		ctx:       ctx,
		req:       req,
		events:    make(chan Event, req.MaxTokens+2), // one per token, a flush and the end: sends never block
		tokens:    make([]int32, 0, len(req.Prompt)+req.MaxTokens),
		sampler:   sample.New(req.Sampling, e.m.Config.VocabSize),
		dec:       e.tok.NewDecoder(),
		stop:      textstop.New(req.Stop),
		submitted: time.Now(),
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

// send delivers an event; the buffer is sized so that it never blocks, but
// a vanished client must never stall the loop either.
func (s *sequence) send(ev Event) {
	select {
	case s.events <- ev:
	default:
	}
}

// finish ends the request: a final event, its KV blocks back to the pool.
func (s *sequence) finish(finish string, err error) {
	ev := Event{Done: true, Finish: finish, Err: err,
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
func (s *sequence) accept(e *Engine, logits []float32) (done bool, finish string, err error) {
	tok := s.sampler.Sample(logits, s.tokens)
	if tok < 0 {
		return true, "", errNonFinite
	}
	s.tokens = append(s.tokens, tok)
	s.generated++
	ev := Event{Tokens: []int32{tok}}
	if !s.sentFirst {
		ev.TTFT = time.Since(s.submitted)
		ev.Queued = s.admitted.Sub(s.submitted)
		s.sentFirst = true
	}
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
	logSoftmax(logits, s.lp)
	tl := TokenLogprob{Token: tok, Logprob: s.lp[tok]}
	if k := s.req.TopLogprobs; k > 0 {
		idx := make([]int32, 0, k+1)
		for i, v := range s.lp {
			if len(idx) < k || v > s.lp[idx[len(idx)-1]] {
				idx = append(idx, int32(i))
				sort.SliceStable(idx, func(a, b int) bool { return s.lp[idx[a]] > s.lp[idx[b]] })
				if len(idx) > k {
					idx = idx[:k]
				}
			}
		}
		for _, i := range idx {
			tl.Top = append(tl.Top, TopLogprob{Token: i, Logprob: s.lp[i]})
		}
	}
	return tl
}
