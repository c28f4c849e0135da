package model

import (
	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/kernels"
)

// classifier computes logits rows [first, T) from the final-normed rows of
// s.xb: logits = E·y with E the tied embedding or output.weight (spec §3.1
// step 4). The head is not ternary, and its input is quantized only for the
// int8 head of --head q8.
func (m *Model) classifier(s *State, first, T int) {
	c := m.Config
	if m.headQ8 != nil {
		// --head q8: int8 activations against the int8 head.
		for t := first; t < T; t++ {
			q := s.xq[t*c.Dim : (t+1)*c.Dim]
			s.headS[t], _ = kernels.QuantizeI8(s.xb[t*c.Dim:(t+1)*c.Dim], q)
			kernels.OffsetU8(s.headA[t*c.Dim:(t+1)*c.Dim], q)
		}
		s.jobs.headq = headQ8Job{s: s, h: m.headQ8, first: first, T: T, dim: c.Dim, vocab: c.VocabSize}
		m.pool.Do(c.VocabSize, 64, &s.jobs.headq)
		return
	}
	if m.Weights.Output.Type == gguf.TypeF16 {
		// ggml converts the activations of an F16 product to F16 first.
		kernels.RoundF16(s.xb[first*c.Dim : T*c.Dim])
	}
	s.jobs.head = headJob{s: s, w: m.Weights.Output, first: first, T: T, dim: c.Dim, vocab: c.VocabSize}
	m.pool.Do(c.VocabSize, 64, &s.jobs.head)
}

// headJob computes logits for vocabulary rows [lo, hi).
type headJob struct {
	s          *State
	w          *Matrix
	first, T   int
	dim, vocab int
}

func (j *headJob) Run(lo, hi, worker int) {
	s, w := j.s, j.w
	if w.Type == gguf.TypeF16 {
		// kernels.MatMulF16 reads each head row once for every token of
		// the step, and a logit's bits depend only on its row and token,
		// so prefill, token-by-token and batched decoding agree exactly.
		kernels.MatMulF16(s.logits[lo:], j.vocab, w.f16[lo*j.dim:hi*j.dim], j.dim, hi-lo, j.dim, s.xb[j.first*j.dim:], j.dim, j.T-j.first)
		return
	}
	tmp := s.rowTmpFor(worker)[:j.dim]
	// One kernel (rowDot) for every token count, so that prefill and
	// token-by-token decoding produce identical logits whatever kernel set
	// runs. The row stays in L1 across the tokens of a step.
	for n := lo; n < hi; n++ {
		for t := j.first; t < j.T; t++ {
			s.logits[(t-j.first)*j.vocab+n] = w.rowDot(n, s.xb[t*j.dim:(t+1)*j.dim], tmp)
		}
	}
}
