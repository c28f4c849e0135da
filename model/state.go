package model

// State is the wave of activations for one sequence: every scratch buffer
// of the forward pass and the KV cache, allocated once by NewState so that
// Forward allocates nothing. A State belongs to one sequence and one
// goroutine at a time.
type State struct {
	SeqLen   int // capacity of the KV cache in tokens
	MaxBatch int // most tokens one forward step processes
	Pos      int // tokens already in the KV cache

	x      []float32 // (MaxBatch, Dim) residual stream
	xb     []float32 // (MaxBatch, max(Dim, QDim)) normed input / attention output
	q      []float32 // (MaxBatch, QDim)
	kb, vb []float32 // (MaxBatch, KVDim) new keys and values before caching
	hb     []float32 // (MaxBatch, HiddenDim) gate, then the FFN hidden state
	hb2    []float32 // (MaxBatch, HiddenDim) up
	out    []float32 // (MaxBatch, Dim) projection outputs added to x
	xq     []int8    // (MaxBatch, maxK) int8 activations
	xs     []float32 // (MaxBatch) per-token activation scales (I2_S)
	xd     []float32 // (MaxBatch, maxK/256) per-block scales (Q8_K, TQ types)
	rope   []float32 // (MaxBatch, NRot) cos/sin pairs per position
	att    []float32 // (threads, SeqLen) attention scores per worker
	rowTmp []float32 // (threads, maxK) dequantized head rows, TQ block scales
	wt     []int8    // (threads, maxK) one unpacked ternary weight row
	logits []float32 // (MaxBatch, VocabSize)

	keyCache   [][]uint16 // (NLayers)(SeqLen, KVDim) binary16
	valueCache [][]uint16 // (NLayers)(SeqLen, KVDim) binary16

	lin  linearJob
	attn attentionJob
	head headJob
}

// NewState allocates the buffers for a sequence of up to seqLen tokens
// processed in steps of at most maxBatch tokens. seqLen <= 0 means the
// model's training context; it may not exceed it.
func (m *Model) NewState(seqLen, maxBatch int) (*State, error) {
	c := m.Config
	if seqLen <= 0 {
		seqLen = c.SeqLen
	}
	if seqLen > c.SeqLen {
		return nil, &ContextError{Have: 0, Add: seqLen, Max: c.SeqLen}
	}
	maxBatch = max(1, min(maxBatch, seqLen))
	maxK := max(c.Dim, c.QDim, c.HiddenDim)
	threads := m.pool.Threads()
	s := &State{
		SeqLen:   seqLen,
		MaxBatch: maxBatch,
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
		xd:       make([]float32, maxBatch*(maxK/256+1)),
		rope:     make([]float32, maxBatch*c.NRot),
		att:      make([]float32, threads*seqLen),
		rowTmp:   make([]float32, threads*maxK),
		wt:       make([]int8, threads*maxK),
		logits:   make([]float32, maxBatch*c.VocabSize),
	}
	s.keyCache = make([][]uint16, c.NLayers)
	s.valueCache = make([][]uint16, c.NLayers)
	for l := range c.NLayers {
		s.keyCache[l] = make([]uint16, seqLen*c.KVDim)
		s.valueCache[l] = make([]uint16, seqLen*c.KVDim)
	}
	return s, nil
}

// Reset forgets the sequence so the State can start a new one.
func (s *State) Reset() { s.Pos = 0 }

// Truncate drops cached tokens from position n on, keeping the first n (a
// shared prompt prefix, for instance). n must be in [0, Pos].
func (s *State) Truncate(n int) {
	if n < 0 || n > s.Pos {
		panic("model: Truncate out of range")
	}
	s.Pos = n
}

// KVBytes is the size of the KV cache in bytes.
func (s *State) KVBytes() int64 {
	var n int64
	for l := range s.keyCache {
		n += int64(len(s.keyCache[l])+len(s.valueCache[l])) * 2
	}
	return n
}
