package decode

import (
	"errors"

	"github.com/bitnet-go/bitnet/internal/textstop"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// ErrNonFinite is returned by Stream.Next when the logits hold no finite
// value to sample from.
var ErrNonFinite = errors.New("decode: the model produced no finite logits")

// Options control one generation's token stream.
type Options struct {
	MaxTokens int           // tokens to generate, >= 1
	AtLimit   Finish        // the finish MaxTokens gives: FinishLength (the default) or FinishContext
	Sampling  sample.Params // temperature 0 is greedy
	Stop      []string      // generation ends before the first occurrence of any of these
	IgnoreEOG bool          // keep going past end-of-generation tokens
	// Logprobs asks for the chosen token's log-probability with each token,
	// and TopLogprobs for that many alternatives besides.
	Logprobs    bool
	TopLogprobs int
}

// TokenLogprob is the log-probability of one token (natural log, from the
// logits before penalties and temperature), with the best alternatives.
type TokenLogprob struct {
	Token   int32
	Logprob float32
	Top     []TopLogprob // best first
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   int32
	Logprob float32
}

// Token is what one step of a Stream produced.
type Token struct {
	ID         int32
	Text       string        // text finished by this token: never half a UTF-8 character, never a possible stop-string prefix; at the end, everything held back
	Logprob    *TokenLogprob // when Options.Logprobs
	Finish     Finish        // FinishNone while the generation goes on
	StopString string        // the stop string that ended it (FinishStop)
}

// Stream is the per-token generation path of one sequence, shared by
// package generate (bitnet run and chat) and the engine (bitnet serve):
// sample the next token from the logits of the last position, check for
// end of generation and the token limit, detokenize (holding back
// incomplete UTF-8), hold back and match stop strings, and report
// logprobs. A Stream is not safe for concurrent use.
type Stream struct {
	opt     Options
	tok     *tokenizer.Tokenizer
	history []int32 // prompt then generated tokens
	gen     int
	sampler *sample.Sampler
	dec     *tokenizer.Decoder
	stop    *textstop.Holder
	lp      []float32 // log-softmax scratch, when logprobs are wanted
	top     []int32   // TopIndices scratch
	finish  Finish
}

// NewStream starts the stream of a sequence whose prompt is prompt, on a
// vocabulary of vocab tokens. opt.MaxTokens must be at least 1 and
// opt.Sampling valid (sample.Params.Validate); the callers check both.
func NewStream(tok *tokenizer.Tokenizer, vocab int, prompt []int32, opt Options) *Stream {
	if opt.AtLimit == FinishNone {
		opt.AtLimit = FinishLength
	}
	s := &Stream{opt: opt, tok: tok, sampler: sample.New(opt.Sampling, vocab), dec: tok.NewDecoder(), stop: textstop.New(opt.Stop)}
	s.history = make([]int32, 0, len(prompt)+max(0, opt.MaxTokens))
	s.history = append(s.history, prompt...)
	if opt.Logprobs {
		s.lp = make([]float32, vocab)
	}
	return s
}

// History returns the prompt followed by the generated tokens; it is
// valid until the next call to Next.
func (s *Stream) History() []int32 { return s.history }

// Generated returns the number of tokens generated so far.
func (s *Stream) Generated() int { return s.gen }

// Finished returns how the stream ended, FinishNone while it goes on.
func (s *Stream) Finished() Finish { return s.finish }

// Next samples the next token from logits (the last position's, vocab
// values) and returns it with the text it finishes. Once a Token carries a
// Finish, the stream is done and Next must not be called again.
func (s *Stream) Next(logits []float32) (Token, error) {
	if s.finish != FinishNone {
		panic("decode: Stream.Next called after the stream finished")
	}
	id := s.sampler.Sample(logits, s.history)
	if id < 0 {
		return Token{ID: -1}, ErrNonFinite
	}
	s.history = append(s.history, id)
	s.gen++
	t := Token{ID: id}
	if s.lp != nil {
		t.Logprob = s.logprob(logits, id)
	}
	if !s.opt.IgnoreEOG && s.tok.IsEOG(id) {
		t.Text, t.Finish = s.stop.Flush(s.dec.Flush()), FinishEOG
	} else {
		t.Text, t.StopString = s.stop.Add(s.dec.Add(id))
		switch {
		case t.StopString != "":
			t.Finish = FinishStop
		case s.gen >= s.opt.MaxTokens:
			t.Text += s.stop.Flush(s.dec.Flush())
			t.Finish = s.opt.AtLimit
		}
	}
	s.finish = t.Finish
	return t, nil
}

// logprob reports id's log-probability and the TopLogprobs best tokens.
func (s *Stream) logprob(logits []float32, id int32) *TokenLogprob {
	sample.LogSoftmax(logits, s.lp)
	tl := &TokenLogprob{Token: id, Logprob: s.lp[id]}
	s.top = sample.TopIndices(s.lp, s.opt.TopLogprobs, s.top)
	for _, i := range s.top {
		tl.Top = append(tl.Top, TopLogprob{Token: i, Logprob: s.lp[i]})
	}
	return tl
}
