package model

import (
	"math"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/kernels"
)

// linear computes out = BitLinear(W, x) for T rows of x (spec §4):
//
//	ternary W: per-token int8 quantization of x, exact integer dot products,
//	           rescaled per the reference kernel of W's type (I2_S: per-token
//	           absmax, y = acc/s·β; TQ1_0/TQ2_0: per-256 Q8_K blocks, as
//	           llama.cpp quantizes their activations)
//	float W:   plain float product with x (bitnet.cpp runs F32/F16 ternary
//	           files this way, without activation quantization)
//
// then the optional per-projection scale and bias. x is (T, W.Cols) and out
// (T, W.Rows), both row-major.
func (m *Model) linear(s *State, w *Linear, x, out []float32, T int) {
	K := w.Cols
	switch w.Type {
	case gguf.TypeI2_S:
		for t := range T {
			s.xs[t], s.xsum[t] = kernels.QuantizeI8(x[t*K:(t+1)*K], s.xq[t*K:(t+1)*K])
		}
	case gguf.TypeTQ2_0, gguf.TypeTQ1_0:
		nb := K / 256
		for t := range T {
			kernels.QuantizeQ8K(x[t*K:(t+1)*K], s.xq[t*K:(t+1)*K], s.xd[t*nb:(t+1)*nb])
		}
	case gguf.TypeF16:
		kernels.RoundF16(x[:T*K]) // ggml's vec_dot_type for F16 is F16
	}
	s.lin = linearJob{s: s, w: w, x: x, out: out, T: T}
	m.pool.Do(w.Rows, 16, &s.lin)
}

// i2sRowBlock is the number of output rows of an I2_S product computed per
// kernel call: their integer results for every token of the step fit in the
// worker's s.iacc.
const i2sRowBlock = 64

// linearJob computes output rows [lo, hi) of a linear for every token.
type linearJob struct {
	s   *State
	w   *Linear
	x   []float32 // (T, Cols) float input, for float weights
	out []float32 // (T, Rows)
	T   int
}

func (j *linearJob) Run(lo, hi, worker int) {
	s, w, T := j.s, j.w, j.T
	K, N := w.Cols, w.Rows
	nb := K / 256
	switch {
	case w.Type == gguf.TypeI2_S:
		// Blocks of i2sRowBlock rows: MatMulI2S reads each weight row once
		// for all T tokens (decode is T == 1). The integers are exact in
		// every kernel set, so prefill and decode outputs are identical.
		acc := s.iaccFor(worker)
		rb := w.RowBytes
		for n0 := lo; n0 < hi; n0 += i2sRowBlock {
			nr := min(i2sRowBlock, hi-n0)
			kernels.MatMulI2S(acc, nr, w.Data[n0*rb:(n0+nr)*rb], nr, K, s.xq[:T*K], s.xsum[:T])
			for t := range T {
				a := acc[t*nr : (t+1)*nr]
				o := j.out[t*N+n0 : t*N+n0+nr]
				xs := s.xs[t]
				for i, v := range a {
					// ggml_compute_forward_mul_mat_one_chunk: (acc − Σq)/s·β,
					// in float32, in this order (spec §4.3).
					o[i] = float32(v) / xs * w.Beta
				}
			}
		}
	case w.Type == gguf.TypeTQ2_0:
		// Decode and prefill run the same kernel per token on blocks of
		// rows that stay in cache across the tokens; it is bit-identical to
		// the generic DotTQ2Q8K in every kernel set.
		rb := w.RowBytes
		for n0 := lo; n0 < hi; n0 += i2sRowBlock {
			nr := min(i2sRowBlock, hi-n0)
			wb := w.Data[n0*rb : (n0+nr)*rb]
			for t := range T {
				kernels.MatVecTQ2(j.out[t*N+n0:t*N+n0+nr], wb, s.xq[t*K:(t+1)*K], s.xd[t*nb:(t+1)*nb])
			}
		}
	case w.Type == gguf.TypeTQ1_0 && T == 1:
		for n := lo; n < hi; n++ {
			j.out[n] = kernels.DotTQ1Q8K(w.Row(n), s.xq[:K], s.xd[:nb])
		}
	case w.Type == gguf.TypeTQ1_0:
		tw, dw := s.wtFor(worker)[:K], s.rowTmpFor(worker)[:nb]
		for n := lo; n < hi; n++ {
			kernels.UnpackTQ1(w.Row(n), tw, dw)
			for t := range T {
				j.out[t*N+n] = kernels.DotBlocksQ8K(tw, s.xq[t*K:(t+1)*K], dw, s.xd[t*nb:(t+1)*nb])
			}
		}
	default:
		tmp := s.rowTmpFor(worker)
		for n := lo; n < hi; n++ {
			for t := range T {
				j.out[t*N+n] = w.rowDot(n, j.x[t*K:(t+1)*K], tmp)
			}
		}
	}
	if w.OutScale != 1 || w.Bias != nil {
		for t := range T {
			o := j.out[t*N : (t+1)*N]
			for n := lo; n < hi; n++ {
				if w.OutScale != 1 {
					o[n] *= w.OutScale
				}
				if w.Bias != nil {
					o[n] += w.Bias[n]
				}
			}
		}
	}
}

// attentionJob computes the attention output of (token, head) pairs.
type attentionJob struct {
	s       *State
	c       *Config
	l       int
	T, pos0 int
}

func (j *attentionJob) Run(lo, hi, worker int) {
	s, c := j.s, j.c
	hd, kvDim, qDim := c.HeadDim, c.KVDim, c.QDim
	scale := float32(1 / math.Sqrt(float64(hd)))
	kc, vc := s.keyCache[j.l], s.valueCache[j.l]
	for i := lo; i < hi; i++ {
		t, h := i/c.NHeads, i%c.NHeads
		pos := j.pos0 + t
		g := h / c.KVMul // GQA: contiguous groups of query heads share a KV head
		q := s.q[t*qDim+h*hd : t*qDim+(h+1)*hd]
		att := s.att[worker*s.SeqLen : worker*s.SeqLen+pos+1]
		for p := range att {
			att[p] = kernels.DotF32F16(q, kc[p*kvDim+g*hd:p*kvDim+(g+1)*hd]) * scale
		}
		kernels.Softmax(att)
		o := s.xb[t*qDim+h*hd : t*qDim+(h+1)*hd]
		clear(o)
		for p, a := range att {
			kernels.AxpyF16(o, a, vc[p*kvDim+g*hd:p*kvDim+(g+1)*hd])
		}
	}
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
	tmp := s.rowTmpFor(worker)[:j.dim]
	// One kernel (rowDot, i.e. kernels.DotF16 for an f16 head) for every
	// token count, so that prefill and token-by-token decoding produce
	// identical logits whatever kernel set runs. The f16 row stays in L1
	// across the tokens of a step.
	for n := lo; n < hi; n++ {
		for t := j.first; t < j.T; t++ {
			s.logits[(t-j.first)*j.vocab+n] = w.rowDot(n, s.xb[t*j.dim:(t+1)*j.dim], tmp)
		}
	}
}

// wtFor returns worker's scratch for one unpacked ternary row.
func (s *State) wtFor(worker int) []int8 {
	n := len(s.wt) / (len(s.att) / s.SeqLen)
	return s.wt[worker*n : (worker+1)*n]
}

// iaccFor returns worker's integer accumulators (MaxBatch·i2sRowBlock).
func (s *State) iaccFor(worker int) []int32 {
	n := s.MaxBatch * i2sRowBlock
	return s.iacc[worker*n : (worker+1)*n]
}

// rowTmpFor returns worker's scratch row.
func (s *State) rowTmpFor(worker int) []float32 {
	n := len(s.rowTmp) / (len(s.att) / s.SeqLen)
	return s.rowTmp[worker*n : (worker+1)*n]
}
