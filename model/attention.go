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
	s.jobs.dattn = decodeAttentionJob{s: s, c: c, l: l, n: n, per: per, chunks: (nb + per - 1) / per, cols: cols}
	m.pool.Do(c.NKVHeads*s.jobs.dattn.chunks, 1, &s.jobs.dattn)
	s.jobs.dattn.phase = 1
	m.pool.Do(c.NHeads, 1, &s.jobs.dattn)
	s.jobs.dattn.phase = 2
	m.pool.Do(c.NKVHeads*cols, 1, &s.jobs.dattn)
}

func (j *decodeAttentionJob) Run(lo, hi, worker int) {
	s, c, G := j.s, j.c, j.c.KVMul
	hd, ld := c.HeadDim, s.SeqLen
	seq := s.rowSeq[0]
	pool, blocks := seq.Pool(), seq.Blocks()
	bs := pool.Config().BlockSize
	att := s.attDec
	for i := lo; i < hi; i++ {
		switch j.phase {
		case 0: // scores of KV head g's query heads over a range of key blocks
			g, ch := i/j.chunks, i%j.chunks
			h0 := g * G
			for bi := ch * j.per; bi < min((ch+1)*j.per, (j.n+bs-1)/bs); bi++ {
				keyScores(pool, blocks[bi], j.l, g, min(bs, j.n-bi*bs), s.q[h0*hd:], hd, G, att[h0*ld+bi*bs:], ld)
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
				valueSums(pool, blocks[bi], j.l, g, c0, w, att[h0*ld+bi*bs:], ld, G, min(bs, j.n-bi*bs), o, hd)
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
	pool, blocks := seq.Pool(), seq.Blocks()
	bs := pool.Config().BlockSize
	nmax := pos0 + R // keys seen by the last row
	for bi := 0; bi*bs < nmax; bi++ {
		keys := min(bs, nmax-bi*bs)
		r0 := max(0, bi*bs-pos0) // first row that sees a key of this block
		if R-r0 >= G {
			// A head at a time, the rows as the query vectors. Rows see
			// different numbers of these keys; the scores past a row's
			// position are computed and never read.
			for h := range G {
				keyScores(pool, blocks[bi], l, g, keys, q[r0*ldq+h*hd:], ldq, R-r0, att[(r0*G+h)*ldAtt+bi*bs:], G*ldAtt)
			}
			continue
		}
		// Fewer rows than heads (decoded rows of a batch): a row at a
		// time, its G heads as the query vectors.
		for r := r0; r < R; r++ {
			keyScores(pool, blocks[bi], l, g, min(keys, pos0+r+1-bi*bs), q[r*ldq:], hd, G, att[r*G*ldAtt+bi*bs:], ldAtt)
		}
	}
	for r := range R {
		clear(o[r*ldq : r*ldq+G*hd])
		for h := range G {
			kernels.SoftmaxScale(att[(r*G+h)*ldAtt:(r*G+h)*ldAtt+pos0+r+1], scale)
		}
	}
	for bi := 0; bi*bs < nmax; bi++ {
		for r := max(0, bi*bs-pos0); r < R; r++ {
			valueSums(pool, blocks[bi], l, g, 0, hd, att[r*G*ldAtt+bi*bs:], ldAtt, G, min(bs, pos0+r+1-bi*bs), o[r*ldq:], hd)
		}
	}
}

// keyScores writes the scores of T query vectors (q[t·ldq:], HeadDim
// each) against the first `keys` keys of KV head g in cache block blk
// of layer l: out[t·ldo + r] = q_t · k_r, times the key's scale for a q8
// cache (before the softmax's 1/√headDim). kernels.MatMulF16 and
// kernels.ScoresI8 make each score independent of T and of the tiling.
func keyScores(pool *kvcache.Pool, blk int32, l, g, keys int, q []float32, ldq, T int, out []float32, ldo int) {
	cfg := pool.Config()
	hd, kvDim := cfg.HeadDim, cfg.KVDim()
	if cfg.Type == kvcache.F16 {
		kernels.MatMulF16(out, ldo, pool.KeysF16(blk, l)[g*hd:], kvDim, keys, hd, q, ldq, T)
		return
	}
	k, ks := pool.KeysQ8(blk, l)
	kernels.ScoresI8(out, ldo, k[g*hd:], kvDim, keys, hd, q, ldq, T)
	for t := range T {
		sc := out[t*ldo : t*ldo+keys]
		for r := range sc {
			sc[r] *= ks[r*cfg.KVHeads+g]
		}
	}
}

// valueSums adds to nq outputs (o[j·ldo:]) columns c0..c0+w−1 of the
// first nk values of KV head g in cache block blk of layer l, weighted by
// p[j·ldp + r] (kernels.WeightedSumF16, kernels.WeightedSumI8 with each
// weight times the value's scale): sums in order of position whatever the
// split of rows, positions or columns.
func valueSums(pool *kvcache.Pool, blk int32, l, g, c0, w int, p []float32, ldp, nq, nk int, o []float32, ldo int) {
	cfg := pool.Config()
	hd, kvDim := cfg.HeadDim, cfg.KVDim()
	if cfg.Type == kvcache.F16 {
		kernels.WeightedSumF16(o, ldo, w, p, ldp, nq, pool.ValuesF16(blk, l)[g*hd+c0:], kvDim, nk)
		return
	}
	v, vs := pool.ValuesQ8(blk, l)
	kernels.WeightedSumI8(o, ldo, w, p, ldp, nq, v[g*hd+c0:], kvDim, vs[g:], cfg.KVHeads, nk)
}
