// Package embed holds the pure functions of text embeddings (spec §10.9,
// §10.11, §10.12): pooling per-token hidden rows into one vector, the
// llama.cpp embd_normalize modes, Matryoshka truncation, similarity scores
// and the base64 wire encoding. It imports only the standard library.
package embed

import (
	"errors"
	"fmt"
	"math"
)

// Pooling is a pooling type with llama.cpp's numbering (enum
// llama_pooling_type): 0 NONE, 1 MEAN, 2 CLS, 3 LAST, 4 RANK.
type Pooling int

// Pooling types. PoolingUnspecified (−1) means "no choice made".
const (
	PoolingUnspecified Pooling = -1
	PoolingNone        Pooling = 0
	PoolingMean        Pooling = 1
	PoolingCLS         Pooling = 2
	PoolingLast        Pooling = 3
	PoolingRank        Pooling = 4
)

// ErrRank is returned for RANK pooling, which needs a classifier head these
// models do not have.
var ErrRank = errors.New("embed: rank pooling is not supported (no cls head)")

// DefaultPooling applies the default rule of spec §10.9. requested is the
// explicit request/CLI/config choice (PoolingUnspecified if none), declared
// the file's {arch}.pooling_type (PoolingUnspecified if absent), hasNormIn
// whether the file has *_norm_in tensors. overridden reports that the
// declared value was replaced (the caller logs it). With followFile set, the
// file's declared value is used as written (bitnet.cpp's behaviour), the one
// switch away from the spec's rule.
func DefaultPooling(requested, declared Pooling, hasNormIn, followFile bool) (p Pooling, overridden bool) {
	switch {
	case requested != PoolingUnspecified:
		return requested, false
	case !followFile && hasNormIn && (declared == PoolingMean || declared == PoolingUnspecified):
		return PoolingLast, declared != PoolingUnspecified
	case declared != PoolingUnspecified:
		return declared, false
	}
	return PoolingLast, false
}

// Pool reduces the T per-token rows (each of the same width d) to one
// vector of width d: MEAN averages all rows (BOS/EOS included), CLS takes
// row 0, LAST row T−1. NONE and RANK are not single-vector poolings and
// return an error, as does an empty or ragged input.
func Pool(rows [][]float32, p Pooling) ([]float32, error) {
	if len(rows) == 0 {
		return nil, errors.New("embed: no token rows to pool")
	}
	d := len(rows[0])
	for t, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("embed: row %d has width %d, expected %d", t, len(r), d)
		}
	}
	out := make([]float32, d)
	switch p {
	case PoolingMean:
		acc := make([]float64, d)
		for _, r := range rows {
			for i, v := range r {
				acc[i] += float64(v)
			}
		}
		for i := range acc {
			out[i] = float32(acc[i] / float64(len(rows)))
		}
	case PoolingCLS:
		copy(out, rows[0])
	case PoolingLast:
		copy(out, rows[len(rows)-1])
	case PoolingRank:
		return nil, ErrRank
	default:
		return nil, fmt.Errorf("embed: pooling %d does not give one vector per input, expected mean (1), cls (2) or last (3)", p)
	}
	return out, nil
}

// Normalize scales x in place by embd_normalize mode (llama.cpp
// common_embd_normalize): S is computed in float64 and every element is
// multiplied by float32(1/S), or by 0 when S is not positive. Modes: −1 none
// (S = 1), 0 max-abs scaled to the int16 range (S = max|x|/32760), 1 taxicab
// (S = Σ|x|), 2 Euclidean (S = sqrt(Σx²)), p > 2 the p-norm. Modes below −1
// are an error. When 1/S overflows float32 (subnormal input), x_i/S is
// computed in float64, so a finite non-zero input never yields NaN.
func Normalize(x []float32, mode int) error {
	var s float64
	switch {
	case mode < -1:
		return fmt.Errorf("embed: embd_normalize %d, expected -1, 0, 1, 2 or p > 2", mode)
	case mode == -1:
		s = 1
	case mode == 0:
		for _, v := range x {
			s = math.Max(s, math.Abs(float64(v)))
		}
		s /= 32760
	case mode == 2:
		for _, v := range x {
			s += float64(v) * float64(v)
		}
		s = math.Sqrt(s)
	default:
		for _, v := range x {
			s += math.Pow(math.Abs(float64(v)), float64(mode))
		}
		s = math.Pow(s, 1/float64(mode))
	}
	var k float32
	if s > 0 {
		k = float32(1 / s)
	}
	if math.IsInf(float64(k), 0) {
		// S is below float32's range (subnormal input): llama.cpp's
		// x·(float)(1/S) would give Inf and 0·Inf = NaN, so divide in
		// float64 instead.
		for i := range x {
			x[i] = float32(float64(x[i]) / s)
		}
		return nil
	}
	for i := range x {
		x[i] *= k
	}
	return nil
}

// Truncate returns x[:m] normalized by mode (spec §10.9 dimensions: pool,
// truncate, then renormalize). m must satisfy 0 < m ≤ len(x). The result
// shares x's storage.
func Truncate(x []float32, m, mode int) ([]float32, error) {
	if m <= 0 || m > len(x) {
		return nil, fmt.Errorf("embed: dimensions %d, expected 1..%d", m, len(x))
	}
	x = x[:m]
	return x, Normalize(x, mode)
}
