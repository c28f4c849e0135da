package sample

import "math"

// LogSoftmax fills out[:len(x)] with log-softmax(x):
//
//	out[i] = x[i] - max(x) - log Σ_j exp(x[j] - max(x))
//
// with the sum accumulated in float64. These are the log-probabilities
// OpenAI's logprobs report: from the raw logits, before penalties and
// temperature. out must hold at least len(x) values; it may be x itself.
func LogSoftmax(x, out []float32) {
	if len(out) < len(x) {
		panic("sample: LogSoftmax output shorter than its input")
	}
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	ls := float32(math.Log(s))
	for i, v := range x {
		out[i] = v - m - ls
	}
}

// TopIndices appends to idx[:0] the indices of the k largest values of v,
// largest first; equal values keep index order. It returns the slice,
// which reuses idx's array when it has room for k+1 entries.
func TopIndices(v []float32, k int, idx []int32) []int32 {
	idx = idx[:0]
	if k <= 0 {
		return idx
	}
	for i, x := range v {
		if len(idx) == k && x <= v[idx[k-1]] {
			continue
		}
		// Insert i after every index whose value is >= x.
		j := len(idx)
		idx = append(idx, int32(i))
		for j > 0 && v[idx[j-1]] < x {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = int32(i)
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}
