package cuda

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/model"
)

// Forward feeds tokens to the State's own sequence at positions s.Pos,
// s.Pos+1, … and advances s.Pos, exactly as model.Model.Forward: with all
// == false it returns the logits of the last token (VocabSize values),
// with all == true those of every token, (len(tokens), VocabSize), and
// len(tokens) may not exceed s.MaxBatch. Longer inputs with all == false
// run in steps of s.MaxBatch tokens. The slice is pinned host memory owned
// by s, valid until the next call. It allocates nothing.
func (g *Model) Forward(s *State, tokens []int32, all bool) ([]float32, error) {
	if s.pool != nil {
		return nil, errors.New("cuda: Forward on a State without its own sequence (use ForwardBatch)")
	}
	if err := model.CheckForward(tokens, all, s.Pos, s.MaxBatch, s.SeqLen); err != nil {
		return nil, err
	}
	var logits []float32
	for len(tokens) > 0 {
		n := s.batch.Fill(tokens, nil, all, s.MaxBatch)
		for i := range n {
			s.hmeta[s.offPos()+i] = int32(s.Pos + i)
		}
		var err error
		if logits, err = g.step(s, s.batch.Tokens, s.batch.Logits); err != nil {
			return nil, err
		}
		s.Pos += n
		tokens = tokens[n:]
	}
	return logits, nil
}

// ForwardBatch runs one step over rows of several sequences of the
// State's pool, exactly as model.Model.ForwardBatch: it reserves KV blocks
// for each sequence's new rows (kvcache.ErrNoSpace before computing
// anything if the pool is short), computes every row, stores keys and
// values in the device cache at the pool's block ids, advances each
// sequence and returns the logits of the rows marked in b.Logits, in row
// order. The rows of one sequence must be adjacent. It allocates nothing.
//
// The device holds the only copy of the keys and values: the host pool
// only manages block ids. kvcache.Seq.Truncate into a shared block copies
// rows on the host, which the device cannot see; see docs/gpu.md.
func (g *Model) ForwardBatch(s *State, b *model.Batch) ([]float32, error) {
	if s.pool == nil {
		return nil, errors.New("cuda: ForwardBatch on a State without a pool (use StateOptions.Pool)")
	}
	for r, seq := range b.Seqs {
		if seq != nil && seq.Pool() != s.pool {
			return nil, fmt.Errorf("cuda: row %d: sequence from another KV pool", r)
		}
	}
	if err := b.Prepare(s.MaxBatch, s.SeqLen, g.Config.VocabSize, s.rowPos); err != nil {
		return nil, err
	}
	T := len(b.Tokens)
	for r, seq := range b.Seqs {
		blocks := seq.Blocks()
		if len(blocks) > s.maxBlocks {
			return nil, fmt.Errorf("cuda: row %d: sequence holds %d KV blocks, the State's table has room for %d", r, len(blocks), s.maxBlocks)
		}
		s.rowSeq[r] = seq
		s.hmeta[s.offPos()+r] = int32(s.rowPos[r])
		bt := s.hmeta[s.offBT()+r*s.maxBlocks : s.offBT()+(r+1)*s.maxBlocks]
		copy(bt, blocks)
	}
	logits, err := g.step(s, b.Tokens, b.Logits)
	if err != nil {
		return nil, err
	}
	b.Advance(s.rowPos)
	clear(s.rowSeq[:T])
	return logits, nil
}

// step prepares the host side of one step (embeddings, the rows that
// need logits, the attention plan) and runs it on the device. Positions
// and block tables are already in s.hmeta.
func (g *Model) step(s *State, tokens []int32, wantLogits []bool) ([]float32, error) {
	c := g.Config
	T := len(tokens)
	s.T, s.nOut = T, 0
	for r, tok := range tokens {
		if tok < 0 || int(tok) >= c.VocabSize {
			return nil, fmt.Errorf("cuda: token %d (at row %d) is outside the vocabulary [0, %d)", tok, r, c.VocabSize)
		}
		if err := g.embed(tok, s.hx[r*c.Dim:(r+1)*c.Dim]); err != nil {
			return nil, fmt.Errorf("cuda: embedding of token %d: %w", tok, err)
		}
		if wantLogits[r] {
			s.hmeta[s.offOut()+s.nOut] = int32(r)
			s.nOut++
		}
	}
	s.planAttention()
	if err := g.Dev.run(s.stepCall); err != nil {
		return nil, err
	}
	if s.NoLogits || s.nOut == 0 {
		return nil, nil
	}
	return s.hlogits[:s.nOut*c.VocabSize], nil
}

// planAttention sorts the rows into single-row runs (decode, split-K over
// positions) and prefill tiles of up to prefillTile consecutive rows of
// one sequence: a pure function of the row positions and sequences.
func (s *State) planAttention() {
	pos := s.hmeta[s.offPos() : s.offPos()+s.T]
	same := func(a, b int) bool {
		if s.pool == nil {
			return true
		}
		return s.rowSeq[a] == s.rowSeq[b]
	}
	s.nDec, s.nTiles = 0, 0
	maxPos := int32(0)
	for r0 := 0; r0 < s.T; {
		r1 := r0 + 1
		for r1 < s.T && same(r0, r1) {
			r1++
		}
		if r1-r0 == 1 {
			s.hmeta[s.offRows()+s.nDec] = int32(r0)
			s.nDec++
			maxPos = max(maxPos, pos[r0])
		} else {
			for t0 := r0; t0 < r1; t0 += prefillTile {
				s.hmeta[s.offTiles()+2*s.nTiles] = int32(t0)
				s.hmeta[s.offTiles()+2*s.nTiles+1] = int32(min(prefillTile, r1-t0))
				s.nTiles++
			}
		}
		r0 = r1
	}
	s.nSplit = (int(maxPos) + attnChunk) / attnChunk
}

// I2_S epilogue modes (i2s_store in common.cuh).
const (
	modeStore = 0
	modeAdd   = 1
)

// stepDevice runs on the owner goroutine: the forward pass of spec §3.1
// for s.T rows, step for step as model.Model.step. Read it top to bottom.
func (s *State) stepDevice() error {
	g, dev, c := s.g, s.g.Dev, s.g.Config
	s.err = nil
	// Upload the embeddings x = E[token] and the step's metadata.
	if err := dev.htodAsync(s.x, s.host, int64(4*s.T*c.Dim)); err != nil {
		return err
	}
	metaBytes := int64(4 * (s.offBT() + s.T*s.maxBlocks))
	if err := dev.htodAsync(s.meta, unsafe.Pointer(&s.hmeta[0]), metaBytes); err != nil {
		return err
	}
	for l := range g.layers {
		s.attention(l)
		s.feedForward(l)
	}
	s.classifier()
	if s.err != nil {
		return s.err
	}
	if !s.NoLogits && s.nOut > 0 {
		if err := dev.dtohAsync(unsafe.Pointer(&s.hlogits[0]), s.logits, int64(4*s.nOut*c.VocabSize)); err != nil {
			return err
		}
	}
	return dev.sync()
}

// attention mirrors model.attention (spec §3.1 steps 2.1–2.8):
//
//	a = RMSNorm(x; attn_norm), int8-quantized
//	q, k, v = BitLinear([Wq;Wk;Wv], a)
//	q, k = RoPE(q), RoPE(k); store k, v in the cache
//	o_h = softmax(q_h·K_g/√hd)·V_g
//	o = RMSNorm(o; attn_sub_norm), int8-quantized (no norm without sub-norms)
//	x = x + BitLinear(Wo, o)
func (s *State) attention(l int) {
	c, L := s.g.Config, &s.g.layers[l]
	s.normQuant(s.x, c.Dim, L.attnNorm)
	s.linear(&L.qkv, s.qkv, modeStore)
	s.ropeStore(l)
	s.attend(l)
	s.normQuant(s.att, c.QDim, L.attnSubNorm)
	s.linear(&L.o, s.x, modeAdd)
}

// feedForward mirrors model.feedForward (spec §3.1 steps 2.9–2.13):
//
//	b = RMSNorm(x; ffn_norm), int8-quantized
//	h = act(BitLinear(Wgate, b)) ⊙ BitLinear(Wup, b)
//	h = RMSNorm(h; ffn_sub_norm), int8-quantized
//	x = x + BitLinear(Wdown, h)
func (s *State) feedForward(l int) {
	c, L := s.g.Config, &s.g.layers[l]
	s.normQuant(s.x, c.Dim, L.ffnNorm)
	s.gateUp(&L.gateUp)
	s.normQuant(s.h, c.HiddenDim, L.ffnSubNorm)
	s.linear(&L.down, s.x, modeAdd)
}

// classifier mirrors the end of model.step: y = RMSNorm(x; output_norm)
// for the rows whose logits are wanted (rounded to f16 for an F16 head, as
// ggml), then logits = E·y (spec §3.1 steps 3–4).
func (s *State) classifier() {
	g, c := s.g, s.g.Config
	if s.nOut == 0 {
		return
	}
	round16 := 0
	if g.cpu.Weights.Output.Type == gguf.TypeF16 {
		round16 = 1
	}
	s.args().ptr(s.xb).i32(c.Dim).ptr(s.x).i32(c.Dim).ptr(s.metaAt(s.offOut())).ptr(g.outNorm).i32(c.Dim).f32(c.NormEps).i32(round16)
	s.launch("rmsnorm", s.nOut, 1, 1, 256)
	kernel := "head_f32"
	if g.headF16 {
		kernel = "head_f16"
	}
	for r0 := 0; r0 < s.nOut; r0 += gemvMaxT {
		n := min(gemvMaxT, s.nOut-r0)
		s.args().ptr(s.logits + DevicePtr(4*r0*c.VocabSize)).i32(c.VocabSize).ptr(g.head).i32(c.VocabSize).i32(c.Dim).
			ptr(s.xb + DevicePtr(4*r0*c.Dim)).i32(c.Dim).i32(n)
		s.launch(kernel, ceilDiv(c.VocabSize, 8), 1, 1, 256)
	}
}

// normQuant quantizes the T rows of x (leading dimension and length n)
// into s.xq/s.xs/s.xsum, after RMSNorm with weight w when w != 0.
func (s *State) normQuant(x DevicePtr, n int, w DevicePtr) {
	s.args().ptr(s.xq).ptr(s.xs).ptr(s.xsum).ptr(x).i32(n).ptr(w).i32(n).f32(s.g.Config.NormEps)
	s.launch("norm_quant", s.T, 1, 1, 256)
}

// linear computes out (T, N) = BitLinear(W, xq) (mode 0) or adds it to out
// (mode 1): the GEMV kernel for up to gemvMaxT rows, the GEMM beyond.
func (s *State) linear(w *devLinear, out DevicePtr, mode int) {
	s.args().ptr(out).i32(w.N).ptr(w.w).i32(w.N).i32(w.K).ptr(s.xq).ptr(s.xs).ptr(s.xsum).i32(s.T).
		ptr(w.beta).ptr(w.oscale).ptr(w.bias).i32(mode)
	if s.T <= gemvMaxT {
		s.launch("i2s_gemv", ceilDiv(w.N, 8), 1, 1, 256)
	} else {
		s.launch("i2s_gemm", ceilDiv(w.N, 64), ceilDiv(s.T, 32), 1, 256)
	}
}

// gateUp computes s.h = act(gate) ⊙ up from the fused [gate; up] matrix.
func (s *State) gateUp(w *devLinear) {
	c := s.g.Config
	H := w.N / 2
	act := 0
	if c.Act == model.SiLU {
		act = 1
	}
	if s.T <= gemvMaxT {
		s.args().ptr(s.h).i32(H).ptr(w.w).i32(H).i32(w.K).ptr(s.xq).ptr(s.xs).ptr(s.xsum).i32(s.T).
			ptr(w.beta).ptr(w.oscale).ptr(w.bias).i32(act)
		s.launch("i2s_gemv_glu", ceilDiv(H, 8), 1, 1, 256)
		return
	}
	s.linear(w, s.gu, modeStore)
	s.args().ptr(s.h).i32(H).ptr(s.gu).i32(w.N).i32(H).i32(act)
	s.launch("act_mul", ceilDiv(H, 256), s.T, 1, 256)
}

// ropeStore rotates q and k of every row and writes k, v to the cache.
func (s *State) ropeStore(l int) {
	c := s.g.Config
	neox := 1
	if c.Rope == model.RopeNorm {
		neox = 0
	}
	s.args().ptr(s.qkv).i32(c.QDim + 2*c.KVDim).i32(c.NHeads).i32(c.NKVHeads).i32(c.HeadDim).i32(c.NRot).i32(neox).
		ptr(s.g.rope).ptr(s.metaAt(s.offPos())).ptr(s.metaAt(s.offBT())).i32(s.maxBlocks).
		ptr(s.kc).ptr(s.vc).i32(l).i32(c.NLayers).i32(s.blockSize)
	s.launch("rope_store", s.T, 1, 1, 256)
}

// attend computes s.att for every row: split-K decode for single-row
// runs, tiled prefill for runs of several rows.
func (s *State) attend(l int) {
	c := s.g.Config
	scale := float32(1 / math.Sqrt(float64(c.HeadDim)))
	ldq := c.QDim + 2*c.KVDim
	if s.nDec > 0 {
		s.args().ptr(s.att).i32(c.QDim).ptr(s.qkv).i32(ldq).ptr(s.metaAt(s.offRows())).ptr(s.metaAt(s.offPos())).
			ptr(s.metaAt(s.offBT())).i32(s.maxBlocks).ptr(s.kc).ptr(s.vc).i32(l).i32(c.NLayers).i32(s.blockSize).
			i32(c.NHeads).i32(c.KVMul).i32(c.HeadDim).i32(c.KVDim).f32(scale).i32(attnChunk).i32(s.nSplit).ptr(s.part)
		s.launch("attn_decode", c.NHeads, s.nDec, s.nSplit, 128)
		if s.nSplit > 1 {
			s.args().ptr(s.att).i32(c.QDim).ptr(s.metaAt(s.offRows())).ptr(s.part).i32(c.NHeads).i32(c.HeadDim).i32(s.nSplit)
			s.launch("attn_combine", c.NHeads, s.nDec, 1, 128)
		}
	}
	if s.nTiles > 0 {
		s.args().ptr(s.att).i32(c.QDim).ptr(s.qkv).i32(ldq).ptr(s.metaAt(s.offTiles())).ptr(s.metaAt(s.offPos())).
			ptr(s.metaAt(s.offBT())).i32(s.maxBlocks).ptr(s.kc).ptr(s.vc).i32(l).i32(c.NLayers).i32(s.blockSize).
			i32(c.NHeads).i32(c.KVMul).i32(c.HeadDim).i32(c.KVDim).f32(scale)
		s.launch("attn_prefill", c.NHeads, s.nTiles, 1, 256)
	}
}

// Argmax returns the greedy token of each row whose logits the last step
// computed, picked on the device (the smallest index of the largest
// logit, as sample.Greedy), so that decoding need not copy the logits to
// the host (set s.NoLogits). The slice is owned by s until the next call.
func (g *Model) Argmax(s *State) ([]int32, error) {
	if s.nOut == 0 {
		return nil, errors.New("cuda: Argmax before a step that computed logits")
	}
	if err := g.Dev.run(s.argCall); err != nil {
		return nil, err
	}
	return s.hmeta[s.offArg() : s.offArg()+s.nOut], nil
}

func (s *State) argmaxDevice() error {
	c, dev := s.g.Config, s.g.Dev
	s.err = nil
	s.args().ptr(s.metaAt(s.offArg())).ptr(s.logits).i32(c.VocabSize).i32(c.VocabSize)
	s.launch("argmax", s.nOut, 1, 1, 1024)
	if s.err != nil {
		return s.err
	}
	if err := dev.dtohAsync(unsafe.Pointer(&s.hmeta[s.offArg()]), s.metaAt(s.offArg()), int64(4*s.nOut)); err != nil {
		return err
	}
	return dev.sync()
}

// metaAt is the device address of int32 i of the metadata block.
func (s *State) metaAt(i int) DevicePtr { return s.meta + DevicePtr(4*i) }

// args starts the argument list of the next launch.
func (s *State) args() *launchParams { return s.g.Dev.args() }

// launch starts a kernel unless an earlier launch of the step failed; the
// first error is kept in s.err.
func (s *State) launch(name string, gx, gy, gz, bx int) {
	if s.err != nil {
		return
	}
	s.err = s.g.Dev.launch(name, gx, gy, gz, bx)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
