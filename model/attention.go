package model

import (
	"math"

	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/kvcache"
)

// batchAttentionJob computes the attention output of (query block, KV
// head) items of a step (spec §3.1 step 2.5, §3.5): for query head h of
// row t at position p of its sequence, with KV head g = h / KVMul,
//
//	s_j = q_h · k_{g,j} / √headDim     for every cached position j ≤ p
//	o_h = Σ_j softmax(s)_j · v_{g,j}
//
// reading the sequence's keys and values block by block from its pool.
//
// A query block is up to s.qbRows consecutive rows of one sequence (a
// prompt's rows; a decoded token of a batch is a block of one row), and an
// item takes all KVMul query heads of one KV head, so that every key and
// value block is converted once for all the rows and heads of the block.
// Scores come from kernels.MatMulF16, the scaled softmax from
// kernels.SoftmaxScale and the value sums from kernels.WeightedSumF16
// (kernels.ScoresI8 and kernels.WeightedSumI8 for a q8 cache), whose
// outputs do not depend on the blocking, so a prompt and the same tokens
// decoded one by one give the same bits. A step of one row goes through
// decodeAttentionJob instead, with the same sums.
type batchAttentionJob struct {
	s *State
	c *Config
	l int
}

func (j *batchAttentionJob) Run(lo, hi, worker int) {
	s, c, G := j.s, j.c, j.c.KVMul
	hd, qDim := c.HeadDim, c.QDim
	scale := attentionScale(c)
	nb := s.nqb
	attLen := s.qbRows * G * s.SeqLen
	att := s.att[worker*attLen : (worker+1)*attLen]
	for i := lo; i < hi; i++ {
		// Later blocks attend to more keys: hand them out first so
		// that the pool's last chunks are the short ones.
		b := nb - 1 - i/c.NKVHeads
		g := i % c.NKVHeads // GQA: contiguous groups of query heads share a KV head
		h0 := g * G
		t0, t1 := s.qb[b], s.qb[b+1]
		q := s.q[t0*qDim+h0*hd:]
		o := s.xb[t0*qDim+h0*hd:]
		attendBlock(s.rowSeq[t0], j.l, g, hd, G, q, qDim, t1-t0, s.rowPos[t0], att, s.SeqLen, o, scale)
	}
}

// attentionScale is 1/√headDim.
func attentionScale(c *Config) float32 { return float32(1 / math.Sqrt(float64(c.HeadDim))) }

// decodeAttentionJob is the attention of a step of one row (a lone
// decoded token), whose KV heads alone are too few items for the pool. It
// runs in three passes (phase 0, 1, 2), each with enough items: the
// scores of a KV head's query heads over a range of key blocks, the
// softmax of each head, and the value sums of a KV head's query heads over
// a range of 64 columns. Each output is the sum attendBlock computes for a
// prompt row (kernel outputs do not depend on how rows, keys or columns
// are split), so decoding gives a prompt's bits.
type decodeAttentionJob struct {
	s      *State
	c      *Config
	l      int
	phase  int
	n      int // positions attended: 0..n−1
	per    int // key blocks per score item
	chunks int // score items per KV head
	cols   int // value-sum items per KV head
}

// decodeAttention runs decodeAttentionJob for layer l of a one-row step.
func (m *Model) decodeAttention(s *State, l int) {
	c := m.Config
	n := s.rowPos[0] + 1
	bs := s.rowSeq[0].Pool().Config().BlockSize
	nb := (n + bs - 1) / bs
	// About four score items per worker, of four key blocks at least.
	chunks := max(1, min((nb+3)/4, (4*s.threads+c.NKVHeads-1)/c.NKVHeads))
	per := (nb + chunks - 1) / chunks
	cols := 1
	if c.HeadDim%64 == 0 {
		cols = c.HeadDim / 64
	}
	s.dattn = decodeAttentionJob{s: s, c: c, l: l, n: n, per: per, chunks: (nb + per - 1) / per, cols: cols}
	m.pool.Do(c.NKVHeads*s.dattn.chunks, 1, &s.dattn)
	s.dattn.phase = 1
	m.pool.Do(c.NHeads, 1, &s.dattn)
	s.dattn.phase = 2
	m.pool.Do(c.NKVHeads*cols, 1, &s.dattn)
}

func (j *decodeAttentionJob) Run(lo, hi, worker int) {
	s, c, G := j.s, j.c, j.c.KVMul
	hd, ld := c.HeadDim, s.SeqLen
	seq := s.rowSeq[0]
	pool := seq.Pool()
	cfg := pool.Config()
	bs, kvDim, kvh := cfg.BlockSize, cfg.KVDim(), cfg.KVHeads
	blocks := seq.Blocks()
	att := s.attDec
	for i := lo; i < hi; i++ {
		switch j.phase {
		case 0: // scores of KV head g's query heads over a range of key blocks
			g, ch := i/j.chunks, i%j.chunks
			h0 := g * G
			q := s.q[h0*hd : (h0+G)*hd]
			for bi := ch * j.per; bi < min((ch+1)*j.per, (j.n+bs-1)/bs); bi++ {
				keys := min(bs, j.n-bi*bs)
				out := att[h0*ld+bi*bs:]
				if cfg.Type == kvcache.F16 {
					kernels.MatMulF16(out, ld, pool.KeysF16(blocks[bi], j.l)[g*hd:], kvDim, keys, hd, q, hd, G)
					continue
				}
				k, ks := pool.KeysQ8(blocks[bi], j.l)
				kernels.ScoresI8(out, ld, k[g*hd:], kvDim, keys, hd, q, hd, G)
				for h := range G {
					sc := out[h*ld : h*ld+keys]
					for r := range sc {
						sc[r] *= ks[r*kvh+g]
					}
				}
			}
		case 1: // softmax of head i
			kernels.SoftmaxScale(att[i*ld:i*ld+j.n], attentionScale(c))
		case 2: // value sums of KV head g's query heads, columns c0..c0+w−1
			g, w := i/j.cols, hd/j.cols
			h0, c0 := g*G, i%j.cols*w
			o := s.xb[h0*hd+c0:]
			for h := range G {
				clear(o[h*hd : h*hd+w])
			}
			for bi := 0; bi*bs < j.n; bi++ {
				nk := min(bs, j.n-bi*bs)
				p := att[h0*ld+bi*bs:]
				if cfg.Type == kvcache.F16 {
					kernels.WeightedSumF16(o, hd, w, p, ld, G, pool.ValuesF16(blocks[bi], j.l)[g*hd+c0:], kvDim, nk)
					continue
				}
				v, vs := pool.ValuesQ8(blocks[bi], j.l)
				kernels.WeightedSumI8(o, hd, w, p, ld, G, v[g*hd+c0:], kvDim, vs[g:], kvh, nk)
			}
		}
	}
}

// queryBlocks splits the T rows of a step into blocks of at most s.qbRows
// consecutive rows of one sequence (rows of a sequence are adjacent, at
// consecutive positions): s.qb[b] is the first row of block b, s.qb[s.nqb]
// = T.
func (s *State) queryBlocks(T int) {
	n := 0
	for t := 0; t < T; {
		s.qb[n] = t
		n++
		u := t + 1
		for u < T && u-t < s.qbRows && s.rowSeq[u] == s.rowSeq[t] {
			u++
		}
		t = u
	}
	s.qb[n] = T
	s.nqb = n
}

// attendBlock computes the outputs o of the G query heads sharing KV head
// g for R consecutive rows of seq at positions pos0..pos0+R−1: row r's
// head h reads q[r·ldq + h·hd:] and writes o[r·ldq + h·hd:], attending to
// positions 0..pos0+r. att holds the scores of row r, head h at
// att[(r·G+h)·ldAtt:].
func attendBlock(seq *kvcache.Seq, l, g, hd, G int, q []float32, ldq, R, pos0 int, att []float32, ldAtt int, o []float32, scale float32) {
	pool := seq.Pool()
	cfg := pool.Config()
	bs, kvDim, kvh := cfg.BlockSize, cfg.KVDim(), cfg.KVHeads
	blocks := seq.Blocks()
	nmax := pos0 + R // keys seen by the last row
	for bi := 0; bi*bs < nmax; bi++ {
		keys := min(bs, nmax-bi*bs)
		r0 := max(0, bi*bs-pos0) // first row that sees a key of this block
		if cfg.Type == kvcache.F16 {
			k := pool.KeysF16(blocks[bi], l)[g*hd:]
			for h := range G {
				// Rows see different numbers of these keys; the scores
				// past a row's position are computed and never read.
				kernels.MatMulF16(att[(r0*G+h)*ldAtt+bi*bs:], G*ldAtt, k, kvDim, keys, hd, q[r0*ldq+h*hd:], ldq, R-r0)
			}
			continue
		}
		// q8: the int8 dot products (kernels.ScoresI8, whose outputs do
		// not depend on the blocking either), each times its key's scale.
		k, ks := pool.KeysQ8(blocks[bi], l)
		k = k[g*hd:]
		if R-r0 >= G {
			// A head at a time, the rows as the tokens.
			for h := range G {
				kernels.ScoresI8(att[(r0*G+h)*ldAtt+bi*bs:], G*ldAtt, k, kvDim, keys, hd, q[r0*ldq+h*hd:], ldq, R-r0)
			}
		} else {
			// Decoded rows: a row at a time, its G heads as the tokens.
			for r := r0; r < R; r++ {
				nk := min(keys, pos0+r+1-bi*bs)
				kernels.ScoresI8(att[r*G*ldAtt+bi*bs:], ldAtt, k, kvDim, nk, hd, q[r*ldq:], hd, G)
			}
		}
		for r := r0; r < R; r++ {
			nk := min(keys, pos0+r+1-bi*bs)
			for h := range G {
				sc := att[(r*G+h)*ldAtt+bi*bs : (r*G+h)*ldAtt+bi*bs+nk]
				for j := range sc {
					sc[j] *= ks[j*kvh+g]
				}
			}
		}
	}
	for r := range R {
		clear(o[r*ldq : r*ldq+G*hd])
		for h := range G {
			kernels.SoftmaxScale(att[(r*G+h)*ldAtt:(r*G+h)*ldAtt+pos0+r+1], scale)
		}
	}
	for bi := 0; bi*bs < nmax; bi++ {
		r0 := max(0, bi*bs-pos0)
		if cfg.Type == kvcache.F16 {
			v := pool.ValuesF16(blocks[bi], l)[g*hd:]
			for r := r0; r < R; r++ {
				nk := min(bs, pos0+r+1-bi*bs)
				kernels.WeightedSumF16(o[r*ldq:], hd, hd, att[r*G*ldAtt+bi*bs:], ldAtt, G, v, kvDim, nk)
			}
			continue
		}
		// q8: each probability times its value's scale weighs the int8
		// values (kernels.WeightedSumI8).
		v, vs := pool.ValuesQ8(blocks[bi], l)
		for r := r0; r < R; r++ {
			nk := min(bs, pos0+r+1-bi*bs)
			kernels.WeightedSumI8(o[r*ldq:], hd, hd, att[r*G*ldAtt+bi*bs:], ldAtt, G, v[g*hd:], kvDim, vs[g:], kvh, nk)
		}
	}
}
