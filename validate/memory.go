package validate

import (
	"fmt"

	"github.com/bitnet-go/bitnet/model"
)

// MemoryEstimate is the memory one sequence of a model needs, in bytes.
type MemoryEstimate struct {
	Context int    `json:"context"`       // tokens
	KVType  string `json:"kv_type"`       // "f16" or "q8"
	Weights int64  `json:"weights_bytes"` // the mapped file, resident once every page is read
	Head    int64  `json:"head_bytes"`    // an int8 copy of the head (model.head = q8), else 0
	KV      int64  `json:"kv_bytes"`      // the KV cache at Context tokens
	Scratch int64  `json:"scratch_bytes"` // activations and per-thread buffers (model.State)
	Total   int64  `json:"total_bytes"`
}

// Estimate computes the memory of one sequence of ctx tokens (0 = the
// training context) for a model with configuration c stored in a file of
// fileSize bytes, processed maxBatch tokens at a time (0 = 1) on threads
// workers (0 = 1), with a KV cache of kvType ("f16", or "q8": int8 plus one
// f32 scale per head and token) and the head as stored or, with head "q8",
// copied to int8 with one f32 scale per row.
//
// The f16 KV cache takes 2 bytes × 2 (K and V) × NLayers × ctx × KVDim, as
// model.State allocates it; the scratch mirrors model.NewState.
func Estimate(c *model.Config, fileSize int64, ctx, maxBatch, threads int, kvType, head string) MemoryEstimate {
	if ctx <= 0 || ctx > c.SeqLen {
		ctx = c.SeqLen
	}
	maxBatch = max(1, min(maxBatch, ctx))
	threads = max(1, threads)
	if kvType == "" {
		kvType = "f16"
	}
	e := MemoryEstimate{Context: ctx, KVType: kvType, Weights: fileSize}
	layers, kvDim, n := int64(c.NLayers), int64(c.KVDim), int64(ctx)
	switch kvType {
	case "q8":
		e.KV = 2 * layers * n * (kvDim + 4*int64(c.NKVHeads))
	default:
		e.KV = 2 * 2 * layers * n * kvDim
	}
	if head == "q8" {
		e.Head = int64(c.VocabSize)*int64(c.Dim) + 4*int64(c.VocabSize)
	}
	b := int64(maxBatch)
	maxK := int64(max(c.Dim, c.QDim, c.HiddenDim))
	floats := b*int64(c.Dim)*2 + b*int64(max(c.Dim, c.QDim)) + b*int64(c.QDim) + 2*b*kvDim +
		2*b*int64(c.HiddenDim) + b + b*(maxK/256+1) + b*int64(c.NRot) + b*int64(c.VocabSize) +
		int64(threads)*n + int64(threads)*maxK
	e.Scratch = 4*floats + b*maxK + int64(threads)*maxK
	e.Total = e.Weights + e.Head + e.KV + e.Scratch
	return e
}

func (e MemoryEstimate) String() string {
	s := fmt.Sprintf("%s at context %d: weights %s + KV cache (%s) %s + scratch %s",
		humanBytes(e.Total), e.Context, humanBytes(e.Weights), e.KVType, humanBytes(e.KV), humanBytes(e.Scratch))
	if e.Head > 0 {
		s += " + q8 head " + humanBytes(e.Head)
	}
	return s
}
