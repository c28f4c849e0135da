package model

import (
	"fmt"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/workpool"
)

// Model is a loaded model: its configuration, its weights (views of the
// file, which must stay open while the Model is used) and the worker pool
// its forward passes run on. A Model may back several States, but runs one
// Forward at a time.
type Model struct {
	Config  *Config
	Weights *Weights
	File    *gguf.File

	// Trace, when non-nil, is called with the residual stream of each token
	// after the embedding (layer −1) and after each layer, for cross-checks
	// against reference hidden states. It costs nothing when nil.
	Trace func(layer, pos int, x []float32)

	pool   *workpool.Pool
	headQ8 *headQ8 // the int8 head (Options.HeadQ8), nil otherwise
}

// Options tune how a model runs; the zero value is valid.
type Options struct {
	Threads int  // worker threads; <= 0 means GOMAXPROCS
	HeadQ8  bool // quantize the output matrix to int8 at load (bitnet --head q8)
}

// Load reads the configuration and binds the weights of f. f must stay open
// until the model is no longer used.
func Load(f *gguf.File, opt Options) (*Model, error) {
	if !littleEndian {
		return nil, errNotLittleEndian
	}
	cfg, err := NewConfig(f)
	if err != nil {
		return nil, err
	}
	w, err := NewWeights(f, cfg)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Weights: w, File: f, pool: workpool.New(opt.Threads)}
	if opt.HeadQ8 {
		if err := m.quantizeHead(); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// HeadQ8 reports whether the model runs the int8 head.
func (m *Model) HeadQ8() bool { return m.headQ8 != nil }

// Threads reports the number of worker threads.
func (m *Model) Threads() int { return m.pool.Threads() }

// Close stops the worker pool and frees load-time buffers. It does not
// close the file.
func (m *Model) Close() {
	m.pool.Close()
	if m.headQ8 != nil && m.headQ8.free != nil {
		m.headQ8.free()
		m.headQ8 = nil
	}
}

// WeightBytes is the number of tensor bytes one decoded token reads: every
// projection plus the head.
func (m *Model) WeightBytes() int64 {
	var n int64
	for i := range m.Weights.Layers {
		L := &m.Weights.Layers[i]
		for _, l := range []*Linear{&L.Q, &L.K, &L.V, &L.O, &L.Gate, &L.Up, &L.Down} {
			n += int64(len(l.Data))
		}
	}
	if m.headQ8 != nil {
		return n + int64(len(m.headQ8.w))
	}
	return n + int64(len(m.Weights.Output.Data))
}

// ContextError reports a sequence that does not fit the context.
type ContextError struct {
	Have, Add, Max int
}

func (e *ContextError) Error() string {
	return fmt.Sprintf("model: context full: %d tokens in the cache + %d new exceed the context length %d", e.Have, e.Add, e.Max)
}
