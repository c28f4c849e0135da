package crossval

import (
	"fmt"

	"github.com/bitnet-go/bitnet/model"
)

// Options control Run.
type Options struct {
	Greedy    bool       // also compare greedy continuations
	Tolerance *Tolerance // overrides the set's tolerance when non-nil
	Batch     int        // tokens per forward step (default 64)
}

// Run evaluates m on every case of r and judges the result.
func Run(m *model.Model, r *Reference, opt Options) (*Report, error) {
	if m.Config.VocabSize != r.VocabSize {
		return nil, fmt.Errorf("crossval: model vocabulary %d differs from the reference's %d", m.Config.VocabSize, r.VocabSize)
	}
	tol := r.Tolerance
	if opt.Tolerance != nil {
		tol = *opt.Tolerance
	}
	batch := opt.Batch
	if batch <= 0 {
		batch = 64
	}
	var results []CaseResult
	for _, c := range r.Cases {
		ref, err := r.ReadLogits(c.LogitsFile, len(c.Tokens))
		if err != nil {
			return nil, err
		}
		ctx := len(c.Tokens) + len(c.GreedyTokens) + 1
		st, err := m.NewState(min(ctx, m.Config.SeqLen), batch)
		if err != nil {
			return nil, err
		}
		ours, err := AllLogits(m, st, c.Tokens)
		if err != nil {
			return nil, fmt.Errorf("crossval: case %s: %w", c.Name, err)
		}
		res := Compare(c.Name, ours, ref, r.VocabSize, tol.TieMargin)
		if opt.Greedy && len(c.GreedyTokens) > 0 {
			last := ours[(len(c.Tokens)-1)*r.VocabSize:]
			if err := greedy(m, st, last, c.GreedyTokens, tol.TieMargin, &res); err != nil {
				return nil, fmt.Errorf("crossval: case %s: %w", c.Name, err)
			}
		}
		results = append(results, res)
	}
	return Summarise(r.Dir, r.ModelPath(), tol, results, opt.Greedy), nil
}

// AllLogits runs tokens through a fresh or continuing state and returns the
// logits of every position, [len(tokens)][V].
func AllLogits(m *model.Model, st *model.State, tokens []int32) ([]float32, error) {
	V := m.Config.VocabSize
	out := make([]float32, 0, len(tokens)*V)
	for i := 0; i < len(tokens); i += st.MaxBatch {
		chunk := tokens[i:min(i+st.MaxBatch, len(tokens))]
		l, err := m.Forward(st, chunk, true)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

// greedy continues from logits with argmax decoding for len(want) tokens
// and records where it first departs from want.
func greedy(m *model.Model, st *model.State, logits []float32, want []int32, tieMargin float64, res *CaseResult) error {
	res.GreedyChecked = true
	res.GreedyLen = len(want)
	res.GreedyMatch = -1
	for i := range want {
		tok, gap := top2(logits[:m.Config.VocabSize])
		res.GreedyOurs = append(res.GreedyOurs, int32(tok))
		if int32(tok) != want[i] && res.GreedyMatch < 0 {
			res.GreedyMatch = i
			res.GreedyGap = gap
			res.GreedyTieStop = gap < tieMargin
			break
		}
		if i == len(want)-1 || st.Pos >= st.SeqLen {
			break
		}
		var err error
		logits, err = m.Forward(st, []int32{int32(tok)}, false)
		if err != nil {
			return err
		}
	}
	if res.GreedyMatch < 0 {
		res.GreedyMatch = len(want)
	}
	res.GreedyOK = res.GreedyMatch == len(want) || res.GreedyTieStop
	return nil
}
