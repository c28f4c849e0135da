package model

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/bitnet-go/bitnet/internal/bigmem"
	"github.com/bitnet-go/bitnet/kernels"
)

// headQ8 is the output matrix quantized at load to int8 with one scale per
// row (bitnet --head q8): half the bytes of an f16 head to read per
// decoded token. It is not stored on disk. Activations are quantized per
// token like a BitLinear input (kernels.QuantizeI8), so
//
//	logit_n = (Σ_k q_k·w8_nk) / s_act · scale_n
//
// with Σ q·w8 computed exactly as Σ (q+128)·w8 − 128·Σ w8 (VPDPBUSD form).
type headQ8 struct {
	w      []int8 // (vocab, dim), in huge-page memory (internal/bigmem)
	free   func()
	scale  []float32 // (vocab) max|row|/127
	rowSum []int32   // (vocab) Σ_k w8_nk
}

// quantizeHeadJob fills a headQ8 from the output matrix, rows in parallel.
type quantizeHeadJob struct {
	m   *Matrix
	h   *headQ8
	tmp [][]float32 // per worker
}

func (j *quantizeHeadJob) Run(lo, hi, worker int) {
	K := j.m.Cols
	row := j.tmp[worker]
	for n := lo; n < hi; n++ {
		j.m.embed(n, row) // the row as float32, whatever the head type
		var amax float32
		for _, v := range row {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		w := j.h.w[n*K : (n+1)*K]
		var sum int32
		if amax > 0 {
			inv := 127 / amax
			for k, v := range row {
				q := int32(math.RoundToEven(float64(v * inv)))
				w[k] = int8(q)
				sum += q
			}
		}
		j.h.scale[n] = amax / 127
		j.h.rowSum[n] = sum
	}
}

// quantizeHead builds the q8 head of m.
func (m *Model) quantizeHead() error {
	out := m.Weights.Output
	V, K := out.Rows, out.Cols
	if int64(V)*int64(K) > math.MaxInt32*8 {
		return fmt.Errorf("model: output matrix %d × %d too large for the q8 head", V, K)
	}
	buf, free := bigmem.Bytes(V * K)
	h := &headQ8{w: unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)), free: free, scale: make([]float32, V), rowSum: make([]int32, V)}
	job := &quantizeHeadJob{m: out, h: h, tmp: make([][]float32, m.pool.Threads())}
	for i := range job.tmp {
		job.tmp[i] = make([]float32, K)
	}
	m.pool.Do(V, 256, job)
	m.headQ8 = h
	return nil
}

// headQ8Job computes logits rows [first, T) for vocabulary rows [lo, hi)
// from the int8 head; s.headA holds each row's offset activations and
// s.headS their scales.
type headQ8Job struct {
	s          *State
	h          *headQ8
	first, T   int
	dim, vocab int
}

func (j *headQ8Job) Run(lo, hi, worker int) {
	s, h, K := j.s, j.h, j.dim
	acc := s.iaccFor(worker) // MaxBatch·i2sRowBlock int32
	blk := min(len(acc), 256)
	// Blocks of rows (in L2) times every token of the step: MatMulU8I8
	// reads each row once per four tokens. The integers are exact, so
	// batched and single-token logits agree.
	for n0 := lo; n0 < hi; n0 += blk {
		n1 := min(n0+blk, hi)
		for t0 := j.first; t0 < j.T; {
			nt := min(j.T-t0, len(acc)/(n1-n0))
			kernels.MatMulU8I8(acc, n1-n0, h.w[n0*K:n1*K], n1-n0, K, s.headA[t0*K:], K, nt)
			for t := t0; t < t0+nt; t++ {
				a := acc[(t-t0)*(n1-n0) : (t-t0+1)*(n1-n0)]
				inv := s.headS[t]
				o := s.logits[(t-j.first)*j.vocab+n0 : (t-j.first)*j.vocab+n1]
				for i, v := range a {
					o[i] = float32(v-128*h.rowSum[n0+i]) / inv * h.scale[n0+i]
				}
			}
			t0 += nt
		}
	}
}
