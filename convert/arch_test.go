package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/safetensors"
)

// TestBitnetSPM converts a 1bitLLM-style BitnetForCausalLM checkpoint with a
// SentencePiece tokenizer.model: arch "bitnet", the sub-norms renamed from
// inner_attn_ln and ffn_layernorm, the no-op linear RoPE scaling, and the
// SentencePiece vocabulary with scores and types (spec §3.2, §5.4).
func TestBitnetSPM(t *testing.T) {
	s := small()
	s.arch, s.spm, s.vocab = "BitnetForCausalLM", true, 320
	dir := t.TempDir()
	s.write(t, dir)
	f, err := gguf.Open(mustConvert(t, dir, Options{Type: gguf.TypeI2_S, Verify: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	str := func(k string) string { v, _ := f.String(k); return v }
	if str("general.architecture") != "bitnet" || str("tokenizer.ggml.model") != "llama" || str("tokenizer.ggml.pre") != "default" ||
		str("bitnet.rope.scaling.type") != "linear" {
		t.Errorf("metadata: %v", f.KV)
	}
	if _, ok := f.Tensor("blk.1.attn_sub_norm.weight"); !ok {
		t.Error("blk.1.attn_sub_norm.weight missing")
	}
	if _, ok := f.Tensor("blk.1.ffn_sub_norm.weight"); !ok {
		t.Error("blk.1.ffn_sub_norm.weight missing")
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	scores, _ := f.Float32s("tokenizer.ggml.scores")
	if len(toks) != 320 || toks[1] != "<s>" || toks[3] != "<0x00>" || toks[300] != "\u2581p300" {
		t.Errorf("tokens %q…", toks[:5])
	}
	wantTypes := []int32{tokUnknown, tokControl, tokControl, tokByte}
	if !slices.Equal(types[:4], wantTypes) || types[299] != tokNormal || scores[300] != -300 {
		t.Errorf("types %v, scores[300] %v", types[:4], scores[300])
	}
	if bos, _ := f.Uint("tokenizer.ggml.bos_token_id"); bos != 1 {
		t.Errorf("bos = %d, want 1 (<s>)", bos)
	}
	if asp, err := f.Bool("tokenizer.ggml.add_space_prefix"); err != nil || !asp {
		t.Errorf("add_space_prefix = %v, %v", asp, err)
	}
}

// TestLlamaPermute converts a ternary LlamaForCausalLM and checks the q/k
// row permutation for NORM RoPE against a direct transcription of
// llama.cpp's permute (reshape (n_head, 2, rows/n_head/2, cols), swap axes
// 1 and 2), the untied output.weight, and that v is not permuted.
func TestLlamaPermute(t *testing.T) {
	s := small()
	s.arch = "LlamaForCausalLM"
	dir := t.TempDir()
	s.write(t, dir)
	permuted := mustConvert(t, dir, Options{Type: gguf.TypeF32, Verify: true})
	// The same weights as BitnetForCausalLM-free reference: convert the q
	// and k rows unpermuted by hand from a plan without permutation.
	f, err := gguf.Open(permuted)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if a, _ := f.String("general.architecture"); a != "llama" {
		t.Fatalf("arch %q", a)
	}
	if _, ok := f.Tensor("output.weight"); !ok {
		t.Error("output.weight missing")
	}
	if _, ok := f.Tensor("blk.0.attn_sub_norm.weight"); ok {
		t.Error("llama has no sub-norms")
	}
	// Unpermuted ternary values, straight from the source.
	cfg, spec, _ := loadConfig(dir)
	spec2 := *spec
	spec2.permute = false
	ck, names := openCk(t, dir)
	defer ck.Close()
	v, _ := loadVocab(dir, spec, cfg, "", t.Logf)
	p, err := makePlan(cfg, &spec2, ck, names, v, gguf.TypeF32, "m")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range p.tensors {
		if o.kind != kindTernary || o.src.Name[len(o.src.Name)-13:] == "o_proj.weight" {
			continue
		}
		heads := map[string]int{"attn_q": s.heads, "attn_k": s.kvHeads}[o.name[6:len(o.name)-7]]
		ti, _ := f.Tensor(o.name)
		data, _ := f.TensorData(ti)
		got := make([]float32, o.rows*o.cols)
		quantDequantizeF32(data, got)
		want := rawTernary(t, ck, o)
		hd := o.rows / max(heads, 1)
		for r := range o.rows {
			src := r
			if heads > 0 {
				// permute: out[h][j][a] = in[h][a][j] with j < hd/2, a < 2
				h, j, a := r/hd, (r%hd)/2, r%2
				src = h*hd + a*(hd/2) + j
			}
			for k := range o.cols {
				if got[r*o.cols+k] != want[src*o.cols+k] {
					t.Fatalf("%s row %d col %d = %v, want source row %d: %v", o.name, r, k, got[r*o.cols+k], src, want[src*o.cols+k])
				}
			}
		}
	}
}

// TestSharded splits a checkpoint into two shards with an index and checks
// that it converts to the same file as the single-file form.
func TestSharded(t *testing.T) {
	s := small()
	single := t.TempDir()
	s.write(t, single)
	want := mustConvert(t, single, Options{Type: gguf.TypeI2_S, Name: "m"})

	sharded := t.TempDir()
	s.write(t, sharded)
	all := s.tensors()
	half := len(all) / 2
	weightMap := map[string]string{}
	for i, tn := range all {
		weightMap[tn.Name] = map[bool]string{true: "model-00001-of-00002.safetensors", false: "model-00002-of-00002.safetensors"}[i < half]
	}
	for i, part := range [][]safetensors.NewTensor{all[:half], all[half:]} {
		name := []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i]
		if err := safetensors.WriteFile(filepath.Join(sharded, name), part, nil); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(sharded, "model.safetensors"))
	writeJSON(t, filepath.Join(sharded, safetensors.IndexFile), map[string]any{"metadata": map[string]any{}, "weight_map": weightMap})
	got := mustConvert(t, sharded, Options{Type: gguf.TypeI2_S, Name: "m", Verify: true})
	a, _ := os.ReadFile(got)
	b, _ := os.ReadFile(want)
	if !bytes.Equal(a, b) {
		t.Error("sharded checkpoint converts to a different file")
	}
}
