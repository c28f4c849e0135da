package model

import (
	"fmt"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/kernels"
)

// Forward feeds tokens to the model at positions s.Pos, s.Pos+1, …, appends
// their keys and values to the KV cache and advances s.Pos.
//
// With all == false it returns the logits of the last token (VocabSize
// values); with all == true it returns the logits of every token, row-major
// (len(tokens), VocabSize), and len(tokens) may not exceed s.MaxBatch. The
// returned slice is owned by s and valid until the next call. Longer inputs
// with all == false are processed in steps of s.MaxBatch tokens.
//
// Forward allocates nothing.
func (m *Model) Forward(s *State, tokens []int32, all bool) ([]float32, error) {
	c := m.Config
	if len(tokens) == 0 {
		return nil, fmt.Errorf("model: Forward called with no tokens")
	}
	if all && len(tokens) > s.MaxBatch {
		return nil, fmt.Errorf("model: %d tokens exceed the batch size %d when all logits are requested", len(tokens), s.MaxBatch)
	}
	if s.Pos+len(tokens) > s.SeqLen {
		return nil, &ContextError{Have: s.Pos, Add: len(tokens), Max: s.SeqLen}
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= c.VocabSize {
			return nil, fmt.Errorf("model: token %d (at index %d) is outside the vocabulary [0, %d)", t, i, c.VocabSize)
		}
	}
	var logits []float32
	for len(tokens) > 0 {
		n := min(len(tokens), s.MaxBatch)
		logits = m.step(s, tokens[:n], all)
		tokens = tokens[n:]
	}
	return logits, nil
}

// step runs one batch of T <= MaxBatch tokens through the network: the
// forward pass of spec §3.1 (build_bitnet_158 in bitnet.cpp), with the
// architecture switches of §3.2–3.3. Read it top to bottom.
func (m *Model) step(s *State, tokens []int32, all bool) []float32 {
	c, w := m.Config, m.Weights
	T, dim := len(tokens), c.Dim
	pos0 := s.Pos

	// 1. Token embedding: x = E[token], no scaling.
	for t, tok := range tokens {
		w.TokenEmbd.embed(int(tok), s.x[t*dim:(t+1)*dim])
	}
	m.trace(-1, pos0, T, s.x)

	// RoPE angles depend only on the position: compute them once per step.
	for t := range T {
		kernels.RopeAngles(s.rope[t*c.NRot:(t+1)*c.NRot], pos0+t, c.RopeBase, c.NRot, 1/c.RopeScale, w.RopeFreqs)
	}

	// 2. The layers.
	for l := range w.Layers {
		m.attention(s, l, T, pos0)
		m.feedForward(s, l, T)
		m.trace(l, pos0, T, s.x)
	}
	s.Pos += T

	// 3. Final norm and 4. the head, only for the rows whose logits we return.
	first := T - 1
	if all {
		first = 0
	}
	for t := first; t < T; t++ {
		kernels.RMSNorm(s.xb[t*dim:(t+1)*dim], s.x[t*dim:(t+1)*dim], w.OutputNorm, c.NormEps)
	}
	m.classifier(s, first, T)
	return s.logits[:(T-first)*c.VocabSize]
}

// attention is one attention block (spec §3.1 steps 2.1–2.8):
//
//	a = RMSNorm(x; attn_norm)
//	q, k, v = BitLinear(Wq, a), BitLinear(Wk, a), BitLinear(Wv, a)
//	q, k = RoPE(q), RoPE(k); append k, v to the cache
//	o_h = Σ_t softmax(q_h·k_t/√hd) v_t over cached t ≤ pos (GQA: kv head h/kvMul)
//	o = RMSNorm(o; attn_sub_norm)          (BitNet architectures only)
//	x = x + BitLinear(Wo, o)
func (m *Model) attention(s *State, l, T, pos0 int) {
	c, L := m.Config, &m.Weights.Layers[l]
	dim, kvDim, qDim, hd := c.Dim, c.KVDim, c.QDim, c.HeadDim

	for t := range T {
		kernels.RMSNorm(s.xb[t*dim:(t+1)*dim], s.x[t*dim:(t+1)*dim], L.AttnNorm, c.NormEps)
	}
	m.linear(s, &L.Q, s.xb, s.q, T)
	m.linear(s, &L.K, s.xb, s.kb, T)
	m.linear(s, &L.V, s.xb, s.vb, T)

	rope := kernels.RopeNeoX
	if c.Rope == RopeNorm {
		rope = kernels.RopeNorm
	}
	for t := range T {
		cs := s.rope[t*c.NRot : (t+1)*c.NRot]
		for h := range c.NHeads {
			rope(s.q[t*qDim+h*hd:t*qDim+(h+1)*hd], cs, c.NRot)
		}
		for h := range c.NKVHeads {
			rope(s.kb[t*kvDim+h*hd:t*kvDim+(h+1)*hd], cs, c.NRot)
		}
		// The cache stores binary16, as llama.cpp's default KV cache does.
		slot := (pos0 + t) * kvDim
		kernels.ToF16(s.keyCache[l][slot:slot+kvDim], s.kb[t*kvDim:(t+1)*kvDim])
		kernels.ToF16(s.valueCache[l][slot:slot+kvDim], s.vb[t*kvDim:(t+1)*kvDim])
	}

	s.attn = attentionJob{s: s, c: c, l: l, T: T, pos0: pos0}
	m.pool.Do(T*c.NHeads, 1, &s.attn)

	if L.AttnSubNorm != nil {
		for t := range T {
			o := s.xb[t*qDim : (t+1)*qDim]
			kernels.RMSNorm(o, o, L.AttnSubNorm, c.NormEps)
		}
	}
	m.linear(s, &L.O, s.xb, s.out, T)
	addTo(s.x[:T*dim], s.out[:T*dim])
}

// feedForward is one FFN block (spec §3.1 steps 2.9–2.13):
//
//	b = RMSNorm(x; ffn_norm)
//	h = act(BitLinear(Wgate, b)) ⊙ BitLinear(Wup, b)     act = relu² or SiLU
//	h = RMSNorm(h; ffn_sub_norm)                           (BitNet only)
//	x = x + BitLinear(Wdown, h)
func (m *Model) feedForward(s *State, l, T int) {
	c, L := m.Config, &m.Weights.Layers[l]
	dim, hid := c.Dim, c.HiddenDim

	for t := range T {
		kernels.RMSNorm(s.xb[t*dim:(t+1)*dim], s.x[t*dim:(t+1)*dim], L.FFNNorm, c.NormEps)
	}
	m.linear(s, &L.Gate, s.xb, s.hb, T)
	m.linear(s, &L.Up, s.xb, s.hb2, T)
	if c.Act == ReluSqr {
		kernels.ReluSqrMul(s.hb[:T*hid], s.hb2[:T*hid])
	} else {
		kernels.SiluMul(s.hb[:T*hid], s.hb2[:T*hid])
	}
	if L.FFNSubNorm != nil {
		for t := range T {
			h := s.hb[t*hid : (t+1)*hid]
			kernels.RMSNorm(h, h, L.FFNSubNorm, c.NormEps)
		}
	}
	m.linear(s, &L.Down, s.hb, s.out, T)
	addTo(s.x[:T*dim], s.out[:T*dim])
}

// classifier computes logits rows [first, T) from the final-normed rows of
// s.xb: logits = E·y with E the tied embedding or output.weight (spec §3.1
// step 4). The head is not ternary and its input is not int8-quantized.
func (m *Model) classifier(s *State, first, T int) {
	c := m.Config
	if m.Weights.Output.Type == gguf.TypeF16 {
		// ggml converts the activations of an F16 product to F16 first.
		kernels.RoundF16(s.xb[first*c.Dim : T*c.Dim])
	}
	s.head = headJob{s: s, w: m.Weights.Output, first: first, T: T, dim: c.Dim, vocab: c.VocabSize}
	m.pool.Do(c.VocabSize, 64, &s.head)
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func (m *Model) trace(layer, pos0, T int, x []float32) {
	if m.Trace == nil {
		return
	}
	d := m.Config.Dim
	for t := range T {
		m.Trace(layer, pos0+t, x[t*d:(t+1)*d])
	}
}
