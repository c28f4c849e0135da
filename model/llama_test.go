package model

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/quant"
)

// llamaFromBitnet rewrites the 1bitLLM-style crossval model as a ternary
// "llama" file (Llama3-8B-1.58 layout): keys renamed, no sub-norms, and a
// separate output.weight (here the embedding, stored as Q8_0).
func llamaFromBitnet(t *testing.T, keepSubNorms bool) []byte {
	t.Helper()
	src, err := gguf.Open(filepath.Join(shareddata.Path(t), "crossval", "silu-rand-i2_s", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w := gguf.NewWriter()
	for _, kv := range src.KV {
		key := kv.Key
		if strings.HasPrefix(key, "bitnet.") {
			key = "llama." + strings.TrimPrefix(key, "bitnet.")
		}
		if key == "general.architecture" {
			kv.Value = gguf.Value{Type: gguf.TypeString, V: "llama"}
		}
		w.Add(key, kv.Value)
	}
	for i := range src.Tensors {
		ti := &src.Tensors[i]
		if strings.Contains(ti.Name, "sub_norm") && !keepSubNorms {
			continue
		}
		data, err := src.TensorData(ti)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, data); err != nil {
			t.Fatal(err)
		}
		if ti.Name == "token_embd.weight" {
			f := make([]float32, ti.NumElements())
			if err := quant.Dequantize(ti.Type, data, f); err != nil {
				t.Fatal(err)
			}
			if err := w.AddTensor("output.weight", gguf.TypeQ8_0, ti.Dims, quant.QuantizeQ8_0(f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLlamaArchitecture loads a ternary llama file: no sub-norms, normal
// RoPE, SiLU, untied Q8_0 head. There is no reference output for this
// architecture in shared/, so the test checks binding, finiteness and
// prefill/decode agreement; the shared steps are covered by crossval.
func TestLlamaArchitecture(t *testing.T) {
	f, err := gguf.FromBytes(llamaFromBitnet(t, false), "llama.gguf")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(f, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	if c.Rope != RopeNorm || c.SubNorms || c.TiedHead || c.Act != SiLU || m.Weights.Output == &m.Weights.TokenEmbd || m.Weights.Output.Type != gguf.TypeQ8_0 {
		t.Fatalf("llama config %v, head %s", c, m.Weights.Output.Type)
	}
	V := c.VocabSize
	st, _ := m.NewState(32, 32)
	all, err := m.Forward(st, kjvPrompt, true)
	if err != nil {
		t.Fatal(err)
	}
	all = append([]float32(nil), all...)
	for _, v := range all {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite logit")
		}
	}
	st2, _ := m.NewState(32, 32)
	for i, tok := range kjvPrompt {
		got, err := m.Forward(st2, []int32{tok}, true)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "llama decode", got, all[i*V:(i+1)*V])
	}
	// With the sub-norms left in, the file is refused: llama has no use
	// for them, and a silently ignored tensor would hide a wrong graph.
	g, err := gguf.FromBytes(llamaFromBitnet(t, true), "llama-subnorm.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(g, Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), `"blk.0.attn_sub_norm.weight" is not used by architecture llama`) {
		t.Errorf("llama file with sub-norms: %v", err)
	}
}
