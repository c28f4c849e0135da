package crossval

import (
	"fmt"
	"math"

	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
)

// PerplexityResult is the outcome of Perplexity.
type PerplexityResult struct {
	Windows     int     `json:"windows"`
	Predictions int     `json:"predictions"`
	MeanNLL     float64 `json:"mean_nll"`
	Perplexity  float64 `json:"perplexity"`
}

// Perplexity scores tokens in non-overlapping windows of window tokens taken
// from the start (a trailing partial window is dropped): each window starts
// with an empty cache and no BOS, and every token after the first is
// predicted from the ones before it. This is the measure recorded for
// kjv-tiny in shared/models/kjv-tiny/reference/reference.json.
func Perplexity(m *model.Model, tokens []int32, window int, progress func(done, total int)) (*PerplexityResult, error) {
	return PerplexityKV(m, tokens, window, kvcache.F16, progress)
}

// PerplexityKV is Perplexity with the KV cache stored as kvType (to measure
// what the q8 cache costs).
func PerplexityKV(m *model.Model, tokens []int32, window int, kvType kvcache.Type, progress func(done, total int)) (*PerplexityResult, error) {
	if window < 2 {
		return nil, fmt.Errorf("crossval: perplexity window %d must be at least 2", window)
	}
	if window > m.Config.SeqLen {
		return nil, fmt.Errorf("crossval: perplexity window %d exceeds the context length %d", window, m.Config.SeqLen)
	}
	nWin := len(tokens) / window
	if nWin == 0 {
		return nil, fmt.Errorf("crossval: %d tokens are fewer than one window of %d", len(tokens), window)
	}
	st, err := m.NewStateOpts(model.StateOptions{SeqLen: window, MaxBatch: min(window, 64), KVType: kvType})
	if err != nil {
		return nil, err
	}
	V := m.Config.VocabSize
	var nll float64
	n := 0
	for w := range nWin {
		st.Reset()
		win := tokens[w*window : (w+1)*window]
		for i := 0; i < window; i += st.MaxBatch {
			chunk := win[i:min(i+st.MaxBatch, window)]
			logits, err := m.Forward(st, chunk, true)
			if err != nil {
				return nil, err
			}
			for t := range chunk {
				next := i + t + 1
				if next >= window {
					break
				}
				nll += -logSoftmaxAt(logits[t*V:(t+1)*V], int(win[next]))
				n++
			}
		}
		if progress != nil {
			progress(w+1, nWin)
		}
	}
	mean := nll / float64(n)
	return &PerplexityResult{Windows: nWin, Predictions: n, MeanNLL: mean, Perplexity: math.Exp(mean)}, nil
}

// logSoftmaxAt returns log softmax(x)[i], computed in float64.
func logSoftmaxAt(x []float32, i int) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return float64(x[i]) - m - math.Log(s)
}
