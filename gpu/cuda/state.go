package cuda

import (
	"fmt"
	"unsafe"

	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
)

// attnChunk is the number of positions one attn_decode block covers; a
// row at position p spreads over ⌈(p+1)/attnChunk⌉ blocks per head
// (split-K), merged by attn_combine.
const attnChunk = 256

// prefillTile is the most rows of one sequence an attn_prefill block
// handles (PF_ROWS in attention.cu).
const prefillTile = 16

// gemvMaxT is the most tokens the GEMV kernels take (GEMV_MAX_T); larger
// steps use the tiled GEMM.
const gemvMaxT = 8

// State is the GPU counterpart of model.State: every activation buffer of
// a step for up to MaxBatch rows and the KV cache, carved from one device
// allocation (the arena) made by NewState, plus pinned host buffers for
// the transfers. Nothing is allocated per token. A State made with
// StateOptions.Pool == nil owns one sequence (Forward); one made with a
// pool runs ForwardBatch over that pool's sequences, with the device KV
// blocks numbered as the pool's blocks. A State is used by one goroutine
// at a time.
type State struct {
	SeqLen   int // longest sequence in positions
	MaxBatch int // most rows one step processes
	Pos      int // positions in the own sequence (Forward only)

	// NoLogits, when set, makes Forward and ForwardBatch leave the logits
	// on the device and return nil; Argmax then picks the tokens there.
	NoLogits bool

	g         *Model
	pool      *kvcache.Pool // shared pool; nil for an own sequence
	blockSize int
	kvBlocks  int // blocks of device KV
	maxBlocks int // block-table entries per row
	maxSplit  int // most attn_decode splits

	// Device arena, (rows, columns) row-major f32 unless noted.
	arena      DevicePtr
	arenaBytes int64
	x          DevicePtr // (MaxBatch, Dim) residual stream
	xb         DevicePtr // (MaxBatch, Dim) final-normed rows for the head
	qkv        DevicePtr // (MaxBatch, QDim+2·KVDim) q, k, v
	att        DevicePtr // (MaxBatch, QDim) attention output
	h          DevicePtr // (MaxBatch, HiddenDim) FFN hidden state
	gu         DevicePtr // (MaxBatch, 2·HiddenDim) gate and up (GEMM path)
	xq         DevicePtr // (MaxBatch, maxK) int8 activations
	xs, xsum   DevicePtr // (MaxBatch) f32 scales, int32 sums
	logits     DevicePtr // (MaxBatch, VocabSize)
	part       DevicePtr // (MaxBatch, NHeads, maxSplit, HeadDim+2) split-K partials
	meta       DevicePtr // int32 step metadata, layout as hmeta
	kc, vc     DevicePtr // (kvBlocks, NLayers, blockSize, KVDim) binary16

	// Pinned host memory.
	host    unsafe.Pointer
	hx      []float32 // (MaxBatch, Dim) embeddings of the step's tokens
	hmeta   []int32   // rowPos | rows | tiles | outRows | argmax | blockTable
	hlogits []float32 // (MaxBatch, VocabSize)

	// The step being run.
	batch             model.Batch
	rowSeq            []*kvcache.Seq // (MaxBatch) sequence of each row (ForwardBatch)
	rowPos            []int          // (MaxBatch) position of each row (ForwardBatch)
	T, nOut           int
	nDec, nTiles      int
	nSplit            int
	stepCall, argCall *call
	err               error // first launch error of the step
}

// Offsets (in int32s) of the parts of hmeta / meta.
func (s *State) offPos() int   { return 0 }
func (s *State) offRows() int  { return s.MaxBatch }
func (s *State) offTiles() int { return 2 * s.MaxBatch }
func (s *State) offOut() int   { return 4 * s.MaxBatch }
func (s *State) offArg() int   { return 5 * s.MaxBatch }
func (s *State) offBT() int    { return 6 * s.MaxBatch }
func (s *State) metaLen() int  { return 6*s.MaxBatch + s.MaxBatch*s.maxBlocks }

// StateOptions configure NewState.
type StateOptions struct {
	SeqLen    int           // longest sequence; <= 0 means the training context
	MaxBatch  int           // rows per step (default 64)
	BlockSize int           // KV positions per block of the own sequence (default model.DefaultBlockSize)
	Pool      *kvcache.Pool // shared mode: run ForwardBatch over this pool's sequences (F16 only)
}

// NewState allocates a State's device arena and pinned buffers. It fails
// with a *FitError giving the sizes when they do not fit in free device
// memory.
func (g *Model) NewState(o StateOptions) (*State, error) {
	c := g.Config
	seqLen, maxBatch, err := c.StateSize(o.SeqLen, o.MaxBatch)
	if err != nil {
		return nil, err
	}
	maxBatch = min(maxBatch, 4096)
	s := &State{SeqLen: seqLen, MaxBatch: maxBatch, g: g, pool: o.Pool}
	if o.Pool != nil {
		pc := o.Pool.Config()
		want := kvcache.Config{Layers: c.NLayers, KVHeads: c.NKVHeads, HeadDim: c.HeadDim, BlockSize: pc.BlockSize, Blocks: pc.Blocks, Type: kvcache.F16}
		if pc != want {
			return nil, fmt.Errorf("cuda: KV pool %+v does not match the model (want %+v; the GPU cache is f16)", pc, want)
		}
		s.blockSize, s.kvBlocks = pc.BlockSize, pc.Blocks
	} else {
		s.blockSize = o.BlockSize
		if s.blockSize <= 0 {
			s.blockSize = model.DefaultBlockSize
		}
		s.kvBlocks = (seqLen + s.blockSize - 1) / s.blockSize
	}
	s.maxBlocks = (seqLen + s.blockSize - 1) / s.blockSize
	s.maxSplit = (seqLen + attnChunk - 1) / attnChunk

	// Carve the arena: every buffer 256-byte aligned.
	maxK := max(c.Dim, c.QDim, c.HiddenDim)
	nqkv := c.QDim + 2*c.KVDim
	mb := int64(maxBatch)
	var off int64
	carve := func(dst *DevicePtr, n int64) {
		*dst = DevicePtr(off) // offset for now; based after the allocation
		off += (n + 255) &^ 255
	}
	carve(&s.x, 4*mb*int64(c.Dim))
	carve(&s.xb, 4*mb*int64(c.Dim))
	carve(&s.qkv, 4*mb*int64(nqkv))
	carve(&s.att, 4*mb*int64(c.QDim))
	carve(&s.h, 4*mb*int64(c.HiddenDim))
	carve(&s.gu, 4*mb*int64(2*c.HiddenDim))
	carve(&s.xq, mb*int64(maxK))
	carve(&s.xs, 4*mb)
	carve(&s.xsum, 4*mb)
	carve(&s.logits, 4*mb*int64(c.VocabSize))
	carve(&s.part, 4*mb*int64(c.NHeads)*int64(s.maxSplit)*int64(c.HeadDim+2))
	carve(&s.meta, 4*int64(s.metaLen()))
	kvBytes := 2 * int64(s.kvBlocks) * int64(c.NLayers) * int64(s.blockSize) * int64(c.KVDim)
	carve(&s.kc, kvBytes)
	carve(&s.vc, kvBytes)
	s.arenaBytes = off

	free, total, err := g.Dev.MemInfo()
	if err != nil {
		return nil, err
	}
	if s.arenaBytes > free {
		return nil, &FitError{What: "activations and KV cache", Need: s.arenaBytes, Free: free, Total: total, Device: g.Dev.Info,
			Detail: fmt.Sprintf("KV %.1f MiB for %d blocks of %d positions, activations %.1f MiB for batch %d; weights use %.1f MiB",
				mib(2*kvBytes), s.kvBlocks, s.blockSize, mib(s.arenaBytes-2*kvBytes), maxBatch, mib(g.weightBytes))}
	}
	hostBytes := 4 * (mb*int64(c.Dim) + int64(s.metaLen()) + mb*int64(c.VocabSize))
	err = g.Dev.Do(func() error {
		base, err := g.Dev.alloc(s.arenaBytes, "state arena")
		if err != nil {
			return err
		}
		s.arena = base
		for _, p := range []*DevicePtr{&s.x, &s.xb, &s.qkv, &s.att, &s.h, &s.gu, &s.xq, &s.xs, &s.xsum, &s.logits, &s.part, &s.meta, &s.kc, &s.vc} {
			*p += base
		}
		if s.host, err = g.Dev.allocHost(hostBytes, "state transfers"); err != nil {
			g.Dev.free(base)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.hx = hostF32(s.host, maxBatch*c.Dim)
	s.hmeta = hostI32(unsafe.Add(s.host, 4*maxBatch*c.Dim), s.metaLen())
	s.hlogits = hostF32(unsafe.Add(s.host, 4*(maxBatch*c.Dim+s.metaLen())), maxBatch*c.VocabSize)
	if s.pool == nil {
		// The own sequence's block table is the identity, the same for
		// every row.
		for r := range maxBatch {
			bt := s.hmeta[s.offBT()+r*s.maxBlocks : s.offBT()+(r+1)*s.maxBlocks]
			for i := range bt {
				bt[i] = int32(i)
			}
		}
	}
	s.rowSeq = make([]*kvcache.Seq, maxBatch)
	s.rowPos = make([]int, maxBatch)
	s.batch = model.Batch{Tokens: make([]int32, 0, maxBatch), Logits: make([]bool, 0, maxBatch)}
	s.stepCall = newCall(s.stepDevice)
	s.argCall = newCall(s.argmaxDevice)
	return s, nil
}

// ArenaBytes is the device memory of the State (activations and KV).
func (s *State) ArenaBytes() int64 { return s.arenaBytes }

// Reset forgets the own sequence.
func (s *State) Reset() { s.Pos = 0 }

// Close frees the State's device and pinned memory.
func (s *State) Close() error {
	if s.arena == 0 || s.g.Dev == nil {
		return nil
	}
	dev := s.g.Dev
	err := dev.Do(func() error {
		dev.free(s.arena)
		if s.host != nil {
			dev.drv.cuMemFreeHost(s.host)
		}
		return nil
	})
	s.arena, s.host, s.hx, s.hmeta, s.hlogits = 0, nil, nil, nil, nil
	return err
}
