// Package generate runs the prompt-then-decode loop shared by the command
// line tools: prefill, sampling, end-of-generation and stop-string
// handling, and UTF-8-safe streaming of the generated text.
package generate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bitnet-go/bitnet/decode"
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

// Result reports what happened.
type Result struct {
	PromptTokens int
	GenTokens    int
	Tokens       []int32 // the generated ids, EOG token included
	PromptTime   time.Duration
	GenTime      time.Duration
	Finish       decode.Finish
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

// Generate feeds prompt to st (continuing after the st.Pos tokens already
// cached) and generates up to opt.MaxTokens tokens, passing each piece of
// finished text to emit as soon as it is complete: never half a UTF-8
// character, never text that might turn out to start a stop string. An
// error from emit or a cancelled ctx stops generation and is returned. A
// prompt that does not fit the free positions of the context gets a
// *decode.ContextLengthError.
func Generate(ctx context.Context, m *model.Model, st *model.State, tok *tokenizer.Tokenizer, prompt []int32, opt Options, emit func(string) error) (*Result, error) {
	return GenerateOn(ctx, CPU(m, st), m.Config, tok, prompt, opt, emit)
}

// A Forwarder runs a model over one sequence for GenerateOn: the CPU
// model (CPU) or another backend with the same semantics (cmd/bitnet run
// --device binds a GPU model's State).
type Forwarder interface {
	// Forward feeds tokens at the next positions and returns the logits
	// of the last one, valid until the next call.
	Forward(tokens []int32) ([]float32, error)
	Pos() int    // positions already cached
	SeqLen() int // positions the sequence can hold
}

// CPU returns the Forwarder of m on st.
func CPU(m *model.Model, st *model.State) Forwarder {
	return ForwarderOf(m, st, func() int { return st.Pos }, st.SeqLen)
}

// SeqModel is a model that runs one sequence on a State of type S:
// *model.Model on *model.State, or a GPU model on its own State.
type SeqModel[S any] interface {
	Forward(st S, tokens []int32, all bool) ([]float32, error)
}

// ForwarderOf returns the Forwarder running m on st, a sequence of seqLen
// positions of which pos reports those cached.
func ForwarderOf[S any](m SeqModel[S], st S, pos func() int, seqLen int) Forwarder {
	return seqForwarder[S]{m, st, pos, seqLen}
}

type seqForwarder[S any] struct {
	m      SeqModel[S]
	st     S
	pos    func() int
	seqLen int
}

func (c seqForwarder[S]) Forward(t []int32) ([]float32, error) { return c.m.Forward(c.st, t, false) }
func (c seqForwarder[S]) Pos() int                             { return c.pos() }
func (c seqForwarder[S]) SeqLen() int                          { return c.seqLen }

// GenerateOn is Generate on any Forwarder of a model with configuration c.
func GenerateOn(ctx context.Context, f Forwarder, c *model.Config, tok *tokenizer.Tokenizer, prompt []int32, opt Options, emit func(string) error) (*Result, error) {
	if len(prompt) == 0 {
		return nil, errors.New("generate: empty prompt")
	}
	if err := opt.Sampling.Validate(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := decode.CheckContext(len(prompt), opt.MaxTokens, f.SeqLen(), f.Pos()); err != nil {
		return nil, err
	}
	free := f.SeqLen() - f.Pos()
	atLimit := decode.FinishLength
	maxTok := opt.MaxTokens
	if maxTok < 0 {
		maxTok, atLimit = free-len(prompt), decode.FinishContext
	}
	res := &Result{PromptTokens: len(prompt), Finish: atLimit}
	if maxTok == 0 {
		return res, nil
	}
	gen := decode.NewStream(tok, c.VocabSize, prompt, decode.Options{MaxTokens: maxTok, AtLimit: atLimit,
		Sampling: opt.Sampling, Stop: opt.Stop, IgnoreEOG: opt.IgnoreEOG})

	start := time.Now()
	logits, err := f.Forward(prompt)
	if err != nil {
		return nil, err
	}
	res.PromptTime = time.Since(start)
	start = time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		t, err := gen.Next(logits)
		if err != nil {
			return res, fmt.Errorf("generate: %w", err)
		}
		res.Tokens = append(res.Tokens, t.ID)
		res.GenTokens++
		if t.Text != "" {
			if err := emit(t.Text); err != nil {
				return res, err
			}
		}
		if t.Finish != decode.FinishNone {
			res.Finish, res.StopString = t.Finish, t.StopString
			break
		}
		h := gen.History()
		if logits, err = f.Forward(h[len(h)-1:]); err != nil {
			return res, err
		}
	}
	res.GenTime = time.Since(start)
	return res, nil
}
