package model

import (
	"math"

	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/kvcache"
)

// batchAttentionJob computes the attention output of (row, head) pairs of a
// step (spec §3.1 step 2.5, §3.5): for query head h of row t at position p
// of its sequence, with KV head g = h / KVMul,
//
//	s_j = q_h · k_{g,j} / √headDim     for every cached position j ≤ p
//	o_h = Σ_j softmax(s)_j · v_{g,j}
//
// reading the sequence's keys and values block by block from its pool.
type batchAttentionJob struct {
	s *State
	c *Config
	l int
}

func (j *batchAttentionJob) Run(lo, hi, worker int) {
	s, c := j.s, j.c
	hd, qDim := c.HeadDim, c.QDim
	scale := float32(1 / math.Sqrt(float64(hd)))
	for i := lo; i < hi; i++ {
		t, h := i/c.NHeads, i%c.NHeads
		seq, pos := s.rowSeq[t], s.rowPos[t]
		g := h / c.KVMul // GQA: contiguous groups of query heads share a KV head
		q := s.q[t*qDim+h*hd : t*qDim+(h+1)*hd]
		att := s.att[worker*s.SeqLen : worker*s.SeqLen+pos+1]
		o := s.xb[t*qDim+h*hd : t*qDim+(h+1)*hd]
		attendHead(seq, j.l, g, hd, q, att, o, scale)
	}
}

// attendHead computes one head's output o over the positions 0..len(att)−1
// of seq, using att for the scores.
func attendHead(seq *kvcache.Seq, l, g, hd int, q, att, o []float32, scale float32) {
	pool := seq.Pool()
	cfg := pool.Config()
	bs, kvDim, kvh := cfg.BlockSize, cfg.KVDim(), cfg.KVHeads
	blocks := seq.Blocks()
	n := len(att)
	for bi := 0; bi*bs < n; bi++ {
		rows := min(bs, n-bi*bs)
		sc := att[bi*bs : bi*bs+rows]
		if cfg.Type == kvcache.F16 {
			keys := pool.KeysF16(blocks[bi], l)
			for r := range sc {
				sc[r] = kernels.DotF32F16(q, keys[r*kvDim+g*hd:r*kvDim+(g+1)*hd]) * scale
			}
		} else {
			keys, ks := pool.KeysQ8(blocks[bi], l)
			for r := range sc {
				sc[r] = dotF32I8(q, keys[r*kvDim+g*hd:r*kvDim+(g+1)*hd]) * ks[r*kvh+g] * scale
			}
		}
	}
	kernels.Softmax(att)
	clear(o)
	for bi := 0; bi*bs < n; bi++ {
		rows := min(bs, n-bi*bs)
		a := att[bi*bs : bi*bs+rows]
		if cfg.Type == kvcache.F16 {
			vals := pool.ValuesF16(blocks[bi], l)
			for r, w := range a {
				kernels.AxpyF16(o, w, vals[r*kvDim+g*hd:r*kvDim+(g+1)*hd])
			}
		} else {
			vals, vs := pool.ValuesQ8(blocks[bi], l)
			for r, w := range a {
				axpyI8(o, w*vs[r*kvh+g], vals[r*kvDim+g*hd:r*kvDim+(g+1)*hd])
			}
		}
	}
}

// dotF32I8 returns Σ a[i]·b[i] for an int8 vector b.
func dotF32I8(a []float32, b []int8) float32 {
	b = b[:len(a)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		s0 += a[i] * float32(b[i])
		s1 += a[i+1] * float32(b[i+1])
	}
	for ; i < len(a); i++ {
		s0 += a[i] * float32(b[i])
	}
	return s0 + s1
}

// axpyI8 adds a·x[i] to y[i] for an int8 vector x.
func axpyI8(y []float32, a float32, x []int8) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * float32(x[i])
	}
}
