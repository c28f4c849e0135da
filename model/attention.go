package model

import (
	"math"

	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/kvcache"
)

// batchAttentionJob computes the attention output of (row, head group)
// items of a step (spec §3.1 step 2.5, §3.5): for query head h of row t at
// position p of its sequence, with KV head g = h / KVMul,
//
//	s_j = q_h · k_{g,j} / √headDim     for every cached position j ≤ p
//	o_h = Σ_j softmax(s)_j · v_{g,j}
//
// reading the sequence's keys and values block by block from its pool.
// An item is `group` consecutive query heads of one KV head (all KVMul of
// them for prefill, so each f16 key and value is converted once for the
// group; one head for a single decoded row, which spreads the work over
// more items). Scores come from kernels.MatMulF16 and value sums from
// kernels.AxpyF16Heads, whose outputs do not depend on the grouping, so
// prefill and decoding give the same bits.
type batchAttentionJob struct {
	s     *State
	c     *Config
	l     int
	group int // query heads per item: 1 or c.KVMul
}

func (j *batchAttentionJob) Run(lo, hi, worker int) {
	s, c, G := j.s, j.c, j.group
	hd, qDim := c.HeadDim, c.QDim
	scale := float32(1 / math.Sqrt(float64(hd)))
	per := c.NHeads / G // items per row
	for i := lo; i < hi; i++ {
		t, h0 := i/per, i%per*G
		seq, pos := s.rowSeq[t], s.rowPos[t]
		g := h0 / c.KVMul // GQA: contiguous groups of query heads share a KV head
		q := s.q[t*qDim+h0*hd : t*qDim+(h0+G)*hd]
		att := s.att[worker*c.KVMul*s.SeqLen : (worker+1)*c.KVMul*s.SeqLen]
		o := s.xb[t*qDim+h0*hd : t*qDim+(h0+G)*hd]
		attendHeads(seq, j.l, g, hd, G, q, att, s.SeqLen, pos+1, o, scale)
	}
}

// attendHeads computes the outputs o (G heads, hd apart) of the G query
// heads q (hd apart) sharing KV head g over positions 0..n−1 of seq. att
// holds each head's scores, ldAtt apart.
func attendHeads(seq *kvcache.Seq, l, g, hd, G int, q, att []float32, ldAtt, n int, o []float32, scale float32) {
	pool := seq.Pool()
	cfg := pool.Config()
	bs, kvDim, kvh := cfg.BlockSize, cfg.KVDim(), cfg.KVHeads
	blocks := seq.Blocks()
	for bi := 0; bi*bs < n; bi++ {
		rows := min(bs, n-bi*bs)
		if cfg.Type == kvcache.F16 {
			keys := pool.KeysF16(blocks[bi], l)
			kernels.MatMulF16(att[bi*bs:], ldAtt, keys[g*hd:], kvDim, rows, hd, q, hd, G)
			for h := range G {
				sc := att[h*ldAtt+bi*bs : h*ldAtt+bi*bs+rows]
				for r := range sc {
					sc[r] *= scale
				}
			}
		} else {
			keys, ks := pool.KeysQ8(blocks[bi], l)
			for h := range G {
				sc := att[h*ldAtt+bi*bs : h*ldAtt+bi*bs+rows]
				qh := q[h*hd : (h+1)*hd]
				for r := range sc {
					sc[r] = dotF32I8(qh, keys[r*kvDim+g*hd:r*kvDim+(g+1)*hd]) * ks[r*kvh+g] * scale
				}
			}
		}
	}
	for h := range G {
		kernels.Softmax(att[h*ldAtt : h*ldAtt+n])
	}
	clear(o)
	var a [64]float32 // one weight per head of the group (KVMul ≤ 64, checked at load)
	for bi := 0; bi*bs < n; bi++ {
		rows := min(bs, n-bi*bs)
		if cfg.Type == kvcache.F16 {
			vals := pool.ValuesF16(blocks[bi], l)
			for r := range rows {
				for h := range G {
					a[h] = att[h*ldAtt+bi*bs+r]
				}
				kernels.AxpyF16Heads(o, hd, a[:G], vals[r*kvDim+g*hd:r*kvDim+(g+1)*hd])
			}
		} else {
			vals, vs := pool.ValuesQ8(blocks[bi], l)
			for h := range G {
				oh := o[h*hd : (h+1)*hd]
				for r := range rows {
					w := att[h*ldAtt+bi*bs+r]
					axpyI8(oh, w*vs[r*kvh+g], vals[r*kvDim+g*hd:r*kvDim+(g+1)*hd])
				}
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
