package model

import (
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
	m.linears(s, x, T, w, out, nil, nil, nil, nil)
}

// linears is linear for up to three projections that read the same input
// (q, k and v; gate and up; unused ones nil): x is quantized once and all
// their output rows are computed in one parallel loop, so a decoded token
// pays one pool synchronisation per group instead of one per matrix.
// Projections of different weight families are run one after the other.
func (m *Model) linears(s *State, x []float32, T int, w0 *Linear, o0 []float32, w1 *Linear, o1 []float32, w2 *Linear, o2 []float32) {
	if (w1 != nil && family(w1.Type) != family(w0.Type)) || (w2 != nil && family(w2.Type) != family(w0.Type)) {
		m.linears(s, x, T, w0, o0, nil, nil, nil, nil)
		if w1 != nil {
			m.linears(s, x, T, w1, o1, nil, nil, nil, nil)
		}
		if w2 != nil {
			m.linears(s, x, T, w2, o2, nil, nil, nil, nil)
		}
		return
	}
	m.prepareInput(s, w0.Type, x, w0.Cols, T)
	j := &s.jobs.lin
	*j = linearJob{s: s, x: x, T: T}
	for _, p := range [3]struct {
		w *Linear
		o []float32
	}{{w0, o0}, {w1, o1}, {w2, o2}} {
		if p.w == nil {
			continue
		}
		j.w[j.n], j.out[j.n], j.end[j.n] = p.w, p.o, j.rows+p.w.Rows
		j.rows += p.w.Rows
		j.n++
	}
	m.pool.Do(j.rows, 16, j)
}

// weight families by the input form they need.
const (
	famFloat = iota // float activations
	famI8           // per-token int8 (I2_S)
	famQ8K          // per-256-block int8 (TQ1_0, TQ2_0)
	famF16          // float activations rounded to f16
)

func family(t gguf.Type) int {
	switch t {
	case gguf.TypeI2_S:
		return famI8
	case gguf.TypeTQ2_0, gguf.TypeTQ1_0:
		return famQ8K
	case gguf.TypeF16:
		return famF16
	}
	return famFloat
}

// prepareInput puts x (T rows of K) in the form weights of type typ need:
// s.xq with s.xs/s.xsum (I2_S) or s.xd (TQ types), or x rounded to f16 in
// place. Rows are independent, so a prefill spreads them over the pool.
func (m *Model) prepareInput(s *State, typ gguf.Type, x []float32, K, T int) {
	f := family(typ)
	if f == famFloat {
		return
	}
	s.jobs.prep = prepJob{s: s, fam: f, x: x, K: K}
	if T == 1 {
		s.jobs.prep.Run(0, 1, 0)
		return
	}
	m.pool.Do(T, 4, &s.jobs.prep)
}

// prepJob quantizes (or rounds) rows [lo, hi) of a linear's input.
type prepJob struct {
	s   *State
	fam int
	x   []float32
	K   int
}

func (j *prepJob) Run(lo, hi, _ int) {
	s, K := j.s, j.K
	for t := lo; t < hi; t++ {
		x := j.x[t*K : (t+1)*K]
		switch j.fam {
		case famI8:
			s.xs[t], s.xsum[t] = kernels.QuantizeI8(x, s.xq[t*K:(t+1)*K])
		case famQ8K:
			nb := K / 256
			kernels.QuantizeQ8K(x, s.xq[t*K:(t+1)*K], s.xd[t*nb:(t+1)*nb])
		case famF16:
			kernels.RoundF16(x) // ggml's vec_dot_type for F16 is F16
		}
	}
}

// i2sRowBlock is the number of output rows of an I2_S product computed per
// kernel call: their integer results for every token of the step fit in the
// worker's s.iacc.
const i2sRowBlock = 64

// linearJob computes output rows of up to three linears sharing an input,
// for every token. Item i of the loop is row i of the concatenation of the
// matrices' rows.
type linearJob struct {
	s    *State
	w    [3]*Linear
	out  [3][]float32 // (T, w[i].Rows)
	end  [3]int       // cumulative row counts
	n    int          // matrices in use
	rows int
	x    []float32 // (T, Cols) float input, for float weights
	T    int
}

func (j *linearJob) Run(lo, hi, worker int) {
	start := 0
	for i := range j.n {
		if a, b := max(lo, start), min(hi, j.end[i]); a < b {
			j.run(j.w[i], j.out[i], a-start, b-start, worker)
		}
		start = j.end[i]
	}
}

// run computes rows [lo, hi) of w into out.
func (j *linearJob) run(w *Linear, out []float32, lo, hi, worker int) {
	s, T := j.s, j.T
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
				o := out[t*N+n0 : t*N+n0+nr]
				xs := s.xs[t]
				for i, v := range a {
					// ggml_compute_forward_mul_mat_one_chunk: (acc − Σq)/s·β,
					// in float32, in this order (spec §4.3).
					o[i] = float32(v) / xs * w.Beta
				}
			}
		}
	case w.Type == gguf.TypeTQ2_0:
		// One call for the worker's rows and every token: MatMulTQ2 decodes
		// each weight block once for all T tokens (decode is T == 1) and
		// blocks rows and tokens for the cache itself. Each output is
		// bit-identical to DotTQ2Q8K in every kernel set, so prefill and
		// decode agree.
		rb := w.RowBytes
		kernels.MatMulTQ2(out[lo:], N, w.Data[lo*rb:hi*rb], hi-lo, K, T, s.xq[:T*K], s.xd[:T*nb])
	case w.Type == gguf.TypeTQ1_0:
		// MatMulTQ1 rewrites the rows a chunk at a time as TQ2_0 blocks with
		// the same values and scales and runs the TQ2_0 kernels on them:
		// bit-identical to DotTQ1Q8K in every kernel set.
		rb := w.RowBytes
		kernels.MatMulTQ1(out[lo:], N, w.Data[lo*rb:hi*rb], hi-lo, K, T, s.xq[:T*K], s.xd[:T*nb])
	case w.Type == gguf.TypeF16:
		kernels.MatMulF16(out[lo:], N, w.f16[lo*K:hi*K], K, hi-lo, K, j.x, K, T)
	default:
		tmp := s.rowTmpFor(worker)
		for n := lo; n < hi; n++ {
			for t := range T {
				out[t*N+n] = w.rowDot(n, j.x[t*K:(t+1)*K], tmp)
			}
		}
	}
	if w.OutScale != 1 || w.Bias != nil {
		for t := range T {
			o := out[t*N : (t+1)*N]
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

// iaccFor returns worker's integer accumulators (MaxBatch·i2sRowBlock).
func (s *State) iaccFor(worker int) []int32 {
	n := s.MaxBatch * i2sRowBlock
	return s.iacc[worker*n : (worker+1)*n]
}

// rowTmpFor returns worker's scratch row.
func (s *State) rowTmpFor(worker int) []float32 {
	n := len(s.rowTmp) / s.threads
	return s.rowTmp[worker*n : (worker+1)*n]
}
