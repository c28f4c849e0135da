// Package generate runs the prompt-then-decode loop shared by the command
// line tools: prefill, sampling, end-of-generation and stop-string
// handling, and UTF-8-safe streaming of the generated text.
package generate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bitnet-go/bitnet/internal/textstop"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// Options control one generation.
type Options struct {
	MaxTokens int           // tokens to generate; < 0 means until the context is full
	Sampling  sample.Params // temperature 0 is greedy
	Stop      []string      // generation ends before the first occurrence of any of these
	IgnoreEOG bool          // keep going past end-of-generation tokens
}

// Finish says why generation ended.
type Finish string

const (
	FinishEOG     Finish = "stop"    // an end-of-generation token (EOS, EOT, …)
	FinishStop    Finish = "stop"    // a stop string
	FinishLength  Finish = "length"  // MaxTokens reached
	FinishContext Finish = "context" // the context is full (MaxTokens < 0)
)

// Result reports what happened.
type Result struct {
	PromptTokens int
	GenTokens    int
	Tokens       []int32 // the generated ids, EOG token included
	PromptTime   time.Duration
	GenTime      time.Duration
	Finish       Finish
	StopString   string // the stop string that ended generation, if any
}

// PromptTokPerSec is prefill throughput.
func (r *Result) PromptTokPerSec() float64 { return rate(r.PromptTokens, r.PromptTime) }

// GenTokPerSec is decoding throughput (the first token, which comes out of
// the prefill, is not counted).
func (r *Result) GenTokPerSec() float64 { return rate(r.GenTokens-1, r.GenTime) }

func rate(n int, d time.Duration) float64 {
	if n <= 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// ErrContext is returned (wrapped) when the prompt and the requested
// generation do not fit the context.
var ErrContext = errors.New("generate: context too small")

// Generate feeds prompt to st (continuing after the st.Pos tokens already
// cached) and generates up to opt.MaxTokens tokens, passing each piece of
// finished text to emit as soon as it is complete: never half a UTF-8
// character, never text that might turn out to start a stop string. An
// error from emit or a cancelled ctx stops generation and is returned.
func Generate(ctx context.Context, m *model.Model, st *model.State, tok *tokenizer.Tokenizer, prompt []int32, opt Options, emit func(string) error) (*Result, error) {
	if len(prompt) == 0 {
		return nil, errors.New("generate: empty prompt")
	}
	if err := opt.Sampling.Validate(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	free := st.SeqLen - st.Pos
	if len(prompt) >= free {
		return nil, fmt.Errorf("%w: the prompt has %d tokens but only %d of the context's %d positions are free; shorten the prompt or raise --ctx (the model was trained with %d)",
			ErrContext, len(prompt), free, st.SeqLen, m.Config.SeqLen)
	}
	if opt.MaxTokens >= 0 && len(prompt)+opt.MaxTokens > free {
		return nil, fmt.Errorf("%w: %d prompt tokens + %d to generate exceed the %d free positions of the context (%d); lower -n, shorten the prompt or raise --ctx (the model was trained with %d)",
			ErrContext, len(prompt), opt.MaxTokens, free, st.SeqLen, m.Config.SeqLen)
	}
	maxTok := opt.MaxTokens
	if maxTok < 0 {
		maxTok = free - len(prompt)
	}
	res := &Result{PromptTokens: len(prompt), Finish: FinishLength}
	if maxTok == 0 {
		return res, nil
	}

	history := make([]int32, 0, len(prompt)+maxTok)
	history = append(history, prompt...)
	sampler := sample.New(opt.Sampling, m.Config.VocabSize)
	dec := tok.NewDecoder()
	held := textstop.New(opt.Stop)

	start := time.Now()
	logits, err := m.Forward(st, prompt, false)
	if err != nil {
		return nil, err
	}
	res.PromptTime = time.Since(start)
	start = time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		next := sampler.Sample(logits, history)
		if next < 0 {
			return res, errors.New("generate: the model produced no finite logits")
		}
		history = append(history, next)
		res.Tokens = append(res.Tokens, next)
		res.GenTokens++
		if !opt.IgnoreEOG && tok.IsEOG(next) {
			res.Finish = FinishEOG
			break
		}
		text, stop := held.Add(dec.Add(next))
		if text != "" {
			if err := emit(text); err != nil {
				return res, err
			}
		}
		if stop != "" {
			res.Finish, res.StopString = FinishStop, stop
			break
		}
		if res.GenTokens >= maxTok {
			if opt.MaxTokens < 0 {
				res.Finish = FinishContext
			}
			break
		}
		if logits, err = m.Forward(st, history[len(history)-1:], false); err != nil {
			return res, err
		}
	}
	res.GenTime = time.Since(start)
	if res.StopString == "" {
		if text := held.Flush(dec.Flush()); text != "" {
			if err := emit(text); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
