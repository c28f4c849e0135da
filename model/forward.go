package model

import (
	"fmt"

	"github.com/bitnet-go/bitnet/internal/workpool"
	"github.com/bitnet-go/bitnet/kernels"
)

// Forward feeds tokens to the State's own sequence at positions s.Pos,
// s.Pos+1, …, appends their keys and values to its cache and advances
// s.Pos.
//
// With all == false it returns the logits of the last token (VocabSize
// values); with all == true it returns the logits of every token, row-major
// (len(tokens), VocabSize), and len(tokens) may not exceed s.MaxBatch. The
// returned slice is owned by s and valid until the next call. Longer inputs
// with all == false are processed in steps of s.MaxBatch tokens.
//
// Forward allocates nothing.
func (m *Model) Forward(s *State, tokens []int32, all bool) ([]float32, error) {
	if s.seq == nil {
		return nil, fmt.Errorf("model: Forward on a State without its own cache (use ForwardBatch)")
	}
	if err := CheckForward(tokens, all, s.Pos, s.MaxBatch, s.SeqLen); err != nil {
		return nil, err
	}
	var logits []float32
	for len(tokens) > 0 {
		n := s.batch.Fill(tokens, s.seq, all, s.MaxBatch)
		var err error
		if logits, err = m.ForwardBatch(s, &s.batch); err != nil {
			return nil, err
		}
		s.Pos = s.seq.Len()
		tokens = tokens[n:]
	}
	return logits, nil
}

// ForwardBatch runs one step: it reserves KV blocks for every sequence's
// new rows (failing with kvcache.ErrNoSpace before computing anything if
// the pool is short), computes every row, stores the keys and values, and
// advances each sequence. It returns the logits of the rows marked in
// b.Logits, in row order, (marked rows, VocabSize), owned by s until its
// next use. All weights are read once per step, whatever the number of
// sequences. It allocates nothing.
func (m *Model) ForwardBatch(s *State, b *Batch) ([]float32, error) {
	if err := b.Prepare(s.MaxBatch, s.SeqLen, m.Config.VocabSize, s.rowPos); err != nil {
		return nil, err
	}
	nOut := 0
	for r, seq := range b.Seqs {
		s.rowSeq[r] = seq
		if b.Logits[r] {
			s.rowOut[nOut] = r
			nOut++
		}
	}
	m.step(s, b.Tokens, nOut)
	b.Advance(s.rowPos)
	return s.logits[:nOut*m.Config.VocabSize], nil
}

// step runs one batch of T <= MaxBatch rows through the network: the
// forward pass of spec §3.1 (build_bitnet_158 in bitnet.cpp), with the
// architecture switches of §3.2–3.3. Row t is token tokens[t] at position
// s.rowPos[t] of sequence s.rowSeq[t]; logits are computed for the nOut
// rows listed in s.rowOut. Read it top to bottom.
func (m *Model) step(s *State, tokens []int32, nOut int) {
	c, w := m.Config, m.Weights
	T, dim := len(tokens), c.Dim

	// 1. Token embedding: x = E[token], no scaling.
	for t, tok := range tokens {
		w.TokenEmbd.embed(int(tok), s.x[t*dim:(t+1)*dim])
	}
	m.trace(s, -1, T)

	// RoPE angles depend only on the position, the attention's query
	// blocks only on the rows: compute them once per step.
	s.queryBlocks(T)
	for t := range T {
		kernels.RopeAngles(s.rope[t*c.NRot:(t+1)*c.NRot], s.rowPos[t], c.RopeBase, c.NRot, 1/c.RopeScale, w.RopeFreqs)
	}

	// 2. The layers.
	for l := range w.Layers {
		m.attention(s, l, T)
		m.feedForward(s, l, T)
		m.trace(s, l, T)
	}

	// 3. Final norm and 4. the head, only for the rows whose logits we
	// return, gathered into the first nOut rows of xb.
	for i, t := range s.rowOut[:nOut] {
		kernels.RMSNorm(s.xb[i*dim:(i+1)*dim], s.x[t*dim:(t+1)*dim], w.OutputNorm, c.NormEps)
	}
	m.classifier(s, 0, nOut)
}

// attention is one attention block (spec §3.1 steps 2.1–2.8):
//
//	a = RMSNorm(x; attn_norm)
//	q, k, v = BitLinear(Wq, a), BitLinear(Wk, a), BitLinear(Wv, a)
//	q, k = RoPE(q), RoPE(k); append k, v to the cache
//	o_h = Σ_t softmax(q_h·k_t/√hd) v_t over cached t ≤ pos (GQA: kv head h/kvMul)
//	o = RMSNorm(o; attn_sub_norm)          (BitNet architectures only)
//	x = x + BitLinear(Wo, o)
func (m *Model) attention(s *State, l, T int) {
	c, L := m.Config, &m.Weights.Layers[l]

	m.norm(s, T, s.xb, s.x, L.AttnNorm, c.Dim)
	m.linears(s, s.xb, T, &L.Q, s.q, &L.K, s.kb, &L.V, s.vb)
	s.jobs.rope = ropeStoreRows{m: m, s: s, l: l}
	m.eachRow(T, &s.jobs.rope)

	// Query blocks take a KV head's query heads together (each key and
	// value block converted once for them). A lone decoded row has too few
	// such items to share among the workers: its scores are split by key
	// ranges and its value sums by columns instead (same bits).
	if T == 1 {
		m.decodeAttention(s, l)
	} else {
		s.jobs.battn = batchAttentionJob{s: s, c: c, l: l}
		m.pool.Do(s.nqb*c.NHeads/c.KVMul, 1, &s.jobs.battn)
	}

	if L.AttnSubNorm != nil {
		m.norm(s, T, s.xb, s.xb, L.AttnSubNorm, c.QDim)
	}
	m.linear(s, &L.O, s.xb, s.out, T)
	m.residual(s, T, s.x, s.out)
}

// feedForward is one FFN block (spec §3.1 steps 2.9–2.13):
//
//	b = RMSNorm(x; ffn_norm)
//	h = act(BitLinear(Wgate, b)) ⊙ BitLinear(Wup, b)     act = relu² or SiLU
//	h = RMSNorm(h; ffn_sub_norm)                           (BitNet only)
//	x = x + BitLinear(Wdown, h)
func (m *Model) feedForward(s *State, l, T int) {
	c, L := m.Config, &m.Weights.Layers[l]

	m.norm(s, T, s.xb, s.x, L.FFNNorm, c.Dim)
	m.linears(s, s.xb, T, &L.Gate, s.hb, &L.Up, s.hb2, nil, nil)
	s.jobs.glu = gluRows{g: s.hb, u: s.hb2, w: L.FFNSubNorm, n: c.HiddenDim, act: c.Act, eps: c.NormEps}
	m.eachRow(T, &s.jobs.glu)
	m.linear(s, &L.Down, s.hb, s.out, T)
	m.residual(s, T, s.x, s.out)
}

// Per-row tasks of a step. Rows are independent, so a prefill spreads
// them over the pool; a single decoded row runs inline (eachRow).

// normRows: dst = RMSNorm(src; w), rows of n (dst may be src).
type normRows struct {
	dst, src, w []float32
	n           int
	eps         float32
}

func (j *normRows) Run(lo, hi, _ int) {
	for t := lo; t < hi; t++ {
		kernels.RMSNorm(j.dst[t*j.n:(t+1)*j.n], j.src[t*j.n:(t+1)*j.n], j.w, j.eps)
	}
}

// gluRows: g = act(g) ⊙ u, then RMSNorm(g; w) when w != nil (ffn_sub_norm).
type gluRows struct {
	g, u, w []float32
	n       int
	act     Activation
	eps     float32
}

func (j *gluRows) Run(lo, hi, _ int) {
	for t := lo; t < hi; t++ {
		g, u := j.g[t*j.n:(t+1)*j.n], j.u[t*j.n:(t+1)*j.n]
		if j.act == ReluSqr {
			kernels.ReluSqrMul(g, u)
		} else {
			kernels.SiluMul(g, u)
		}
		if j.w != nil {
			kernels.RMSNorm(g, g, j.w, j.eps)
		}
	}
}

// ropeStoreRows: RoPE on each row's q and k, then its k and v into the
// KV cache of layer l (ropeStore).
type ropeStoreRows struct {
	m *Model
	s *State
	l int
}

func (j *ropeStoreRows) Run(lo, hi, _ int) {
	for t := lo; t < hi; t++ {
		j.m.ropeStore(j.s, j.l, t)
	}
}

// residualRows: x += y, rows of n.
type residualRows struct {
	x, y []float32
	n    int
}

func (j *residualRows) Run(lo, hi, _ int) {
	for i, v := range j.y[lo*j.n : hi*j.n] {
		j.x[lo*j.n+i] += v
	}
}

// eachRow runs a per-row task over the T rows of a step.
func (m *Model) eachRow(T int, task workpool.Task) {
	if T == 1 {
		task.Run(0, 1, 0)
		return
	}
	m.pool.Do(T, 1, task)
}

// norm is dst = RMSNorm(src; w) for T rows of n.
func (m *Model) norm(s *State, T int, dst, src, w []float32, n int) {
	s.jobs.norm = normRows{dst: dst, src: src, w: w, n: n, eps: m.Config.NormEps}
	m.eachRow(T, &s.jobs.norm)
}

// residual is x += y for T rows of Dim.
func (m *Model) residual(s *State, T int, x, y []float32) {
	s.jobs.residual = residualRows{x: x, y: y, n: m.Config.Dim}
	m.eachRow(T, &s.jobs.residual)
}

// ropeStore applies RoPE (spec §3.4) to row t's query and key heads and
// writes its key and value into the sequence's cache for layer l.
func (m *Model) ropeStore(s *State, l, t int) {
	c := m.Config
	qDim, kvDim, hd := c.QDim, c.KVDim, c.HeadDim
	rope := kernels.RopeNeoX
	if c.Rope == RopeNorm {
		rope = kernels.RopeNorm
	}
	cs := s.rope[t*c.NRot : (t+1)*c.NRot]
	for h := range c.NHeads {
		rope(s.q[t*qDim+h*hd:t*qDim+(h+1)*hd], cs, c.NRot)
	}
	for h := range c.NKVHeads {
		rope(s.kb[t*kvDim+h*hd:t*kvDim+(h+1)*hd], cs, c.NRot)
	}
	// The cache stores binary16 (as llama.cpp's default cache) or q8.
	s.rowSeq[t].Store(l, s.rowPos[t], s.kb[t*kvDim:(t+1)*kvDim], s.vb[t*kvDim:(t+1)*kvDim])
}

func (m *Model) trace(s *State, layer, T int) {
	if m.Trace == nil {
		return
	}
	d := m.Config.Dim
	for t := range T {
		m.Trace(layer, s.rowPos[t], s.x[t*d:(t+1)*d])
	}
}
