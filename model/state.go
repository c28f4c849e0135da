package model

import "github.com/bitnet-go/bitnet/kvcache"

// State is the wave of activations: every scratch buffer of the forward
// pass for up to MaxBatch rows, allocated once so that Forward and
// ForwardBatch allocate nothing. A State made by NewState also owns the KV
// cache of one sequence (Forward); one made with StateOptions.Shared has no
// cache of its own and runs batches of rows from sequences of a shared
// kvcache.Pool (ForwardBatch). A State is used by one goroutine at a time.
type State struct {
	SeqLen   int // longest sequence in positions (own cache capacity; attention scratch)
	MaxBatch int // most rows one forward step processes
	Pos      int // positions in the own sequence's cache (Forward only)

	threads int // workers of the model's pool: per-worker scratch below

	pool   *kvcache.Pool  // own cache (nil when shared)
	seq    *kvcache.Seq   // own sequence (nil when shared)
	batch  Batch          // (MaxBatch) rows of Forward's steps
	rowSeq []*kvcache.Seq // (MaxBatch) sequence of each row of the current step
	rowPos []int          // (MaxBatch) position of each row
	rowOut []int          // (MaxBatch) rows whose logits the step returns
	attDec []float32      // (NHeads, SeqLen) scores of a lone decoded row
	qb     []int          // (MaxBatch+1) first row of each query block of the step, then T
	nqb    int            // query blocks of the step
	qbRows int            // most rows per query block
	headA  []byte         // (MaxBatch, Dim) offset int8 activations of the q8 head
	headS  []float32      // (MaxBatch) their scales

	x      []float32 // (MaxBatch, Dim) residual stream
	xb     []float32 // (MaxBatch, max(Dim, QDim)) normed input / attention output
	q      []float32 // (MaxBatch, QDim)
	kb, vb []float32 // (MaxBatch, KVDim) new keys and values before caching
	hb     []float32 // (MaxBatch, HiddenDim) gate, then the FFN hidden state
	hb2    []float32 // (MaxBatch, HiddenDim) up
	out    []float32 // (MaxBatch, Dim) projection outputs added to x
	xq     []int8    // (MaxBatch, maxK) int8 activations
	xs     []float32 // (MaxBatch) per-token activation scales (I2_S)
	xsum   []int32   // (MaxBatch) per-token Σ q of the int8 activations (I2_S)
	iacc   []int32   // (threads, MaxBatch·i2sRowBlock) integer dot products
	xd     []float32 // (MaxBatch, maxK/256) per-block scales (Q8_K, TQ types)
	rope   []float32 // (MaxBatch, NRot) cos/sin pairs per position
	att    []float32 // (threads, qbRows, KVMul, SeqLen) attention scores per worker
	rowTmp []float32 // (threads, maxK) dequantized head rows, TQ block scales
	logits []float32 // (MaxBatch, VocabSize)

	jobs stepJobs // the pool tasks of a step
}

// stepJobs holds the pool tasks of a step, one value per kind, so that
// handing one to the pool allocates nothing. They are scheduling, not
// activations: each is filled just before its use and read only by it.
type stepJobs struct {
	battn    batchAttentionJob
	dattn    decodeAttentionJob
	headq    headQ8Job
	head     headJob
	lin      linearJob
	prep     prepJob
	norm     normRows
	glu      gluRows
	rope     ropeStoreRows
	residual residualRows
}

// StateOptions configure NewStateOpts.
type StateOptions struct {
	SeqLen    int          // longest sequence; <= 0 means the training context
	MaxBatch  int          // rows per step (default 64)
	KVType    kvcache.Type // element type of the own cache
	BlockSize int          // positions per block of the own cache (default 16)
	Shared    bool         // no own cache: only ForwardBatch with sequences of a shared pool
}

// NewState allocates the buffers and an f16 KV cache for one sequence of up
// to seqLen tokens processed in steps of at most maxBatch tokens. seqLen <=
// 0 means the model's training context; it may not exceed it.
func (m *Model) NewState(seqLen, maxBatch int) (*State, error) {
	return m.NewStateOpts(StateOptions{SeqLen: seqLen, MaxBatch: maxBatch})
}

// DefaultBlockSize is the KV block size of a State's own cache.
const DefaultBlockSize = 16

// KVConfig is the shape of a KV pool for this model.
func (m *Model) KVConfig(blockSize, blocks int, typ kvcache.Type) kvcache.Config {
	c := m.Config
	return kvcache.Config{Layers: c.NLayers, KVHeads: c.NKVHeads, HeadDim: c.HeadDim, BlockSize: blockSize, Blocks: blocks, Type: typ}
}

// NewStateOpts allocates a State as o describes.
func (m *Model) NewStateOpts(o StateOptions) (*State, error) {
	c := m.Config
	seqLen, maxBatch, err := c.StateSize(o.SeqLen, o.MaxBatch)
	if err != nil {
		return nil, err
	}
	maxK := max(c.Dim, c.QDim, c.HiddenDim)
	threads := m.pool.Threads()
	// Query blocks of up to 16 rows share each key and value block; their
	// scores take at most 1 MiB per worker (one row per block at least).
	qbRows := max(1, min(16, maxBatch, (1<<18)/(c.KVMul*seqLen)))
	s := &State{
		SeqLen:   seqLen,
		MaxBatch: maxBatch,
		threads:  threads,
		x:        make([]float32, maxBatch*c.Dim),
		xb:       make([]float32, maxBatch*max(c.Dim, c.QDim)),
		q:        make([]float32, maxBatch*c.QDim),
		kb:       make([]float32, maxBatch*c.KVDim),
		vb:       make([]float32, maxBatch*c.KVDim),
		hb:       make([]float32, maxBatch*c.HiddenDim),
		hb2:      make([]float32, maxBatch*c.HiddenDim),
		out:      make([]float32, maxBatch*c.Dim),
		xq:       make([]int8, maxBatch*maxK),
		xs:       make([]float32, maxBatch),
		xsum:     make([]int32, maxBatch),
		iacc:     make([]int32, threads*maxBatch*i2sRowBlock),
		xd:       make([]float32, maxBatch*(maxK/256+1)),
		rope:     make([]float32, maxBatch*c.NRot),
		att:      make([]float32, threads*qbRows*c.KVMul*seqLen),
		attDec:   make([]float32, c.NHeads*seqLen),
		qb:       make([]int, maxBatch+1),
		qbRows:   qbRows,
		rowTmp:   make([]float32, threads*maxK),
		logits:   make([]float32, maxBatch*c.VocabSize),
	}
	if m.headQ8 != nil {
		s.headA, s.headS = make([]byte, maxBatch*c.Dim), make([]float32, maxBatch)
	}
	s.rowSeq = make([]*kvcache.Seq, maxBatch)
	s.rowPos = make([]int, maxBatch)
	s.rowOut = make([]int, maxBatch)
	s.batch = Batch{Tokens: make([]int32, 0, maxBatch), Seqs: make([]*kvcache.Seq, 0, maxBatch), Logits: make([]bool, 0, maxBatch)}
	if !o.Shared {
		bs := o.BlockSize
		if bs <= 0 {
			bs = DefaultBlockSize
		}
		pool, err := kvcache.NewPool(m.KVConfig(bs, (seqLen+bs-1)/bs, o.KVType))
		if err != nil {
			return nil, err
		}
		s.pool, s.seq = pool, pool.NewSeq(seqLen)
	}
	return s, nil
}

// Reset forgets the own sequence so the State can start a new one.
func (s *State) Reset() { s.Truncate(0) }

// Truncate drops cached positions from n on, keeping the first n (a shared
// conversation prefix, for instance). n must be in [0, Pos].
func (s *State) Truncate(n int) {
	if s.seq == nil {
		panic("model: Truncate on a State without its own cache")
	}
	if n < 0 || n > s.Pos {
		panic("model: Truncate out of range")
	}
	if err := s.seq.Truncate(n); err != nil {
		panic(err) // the own pool never shares blocks, so no copy is needed
	}
	s.Pos = n
}

// KVBytes is the size of the own KV cache in bytes.
func (s *State) KVBytes() int64 {
	if s.pool == nil {
		return 0
	}
	c := s.pool.Config()
	return int64(c.Blocks) * c.BlockBytes()
}
