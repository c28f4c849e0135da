package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/safetensors"
)

// ggufDiff lists every difference between two GGUF files: metadata keys
// (order, type, value) and tensors (order, name, type, dims, bytes).
func ggufDiff(t *testing.T, gotPath, wantPath string) []string {
	t.Helper()
	got, err := gguf.Open(gotPath)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	want, err := gguf.Open(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	var diffs []string
	for i := range max(len(got.KV), len(want.KV)) {
		switch {
		case i >= len(got.KV):
			diffs = append(diffs, fmt.Sprintf("key %d %q missing", i, want.KV[i].Key))
		case i >= len(want.KV):
			diffs = append(diffs, fmt.Sprintf("key %d %q extra", i, got.KV[i].Key))
		case got.KV[i].Key != want.KV[i].Key:
			diffs = append(diffs, fmt.Sprintf("key %d is %q, want %q", i, got.KV[i].Key, want.KV[i].Key))
		case !reflect.DeepEqual(got.KV[i].Value, want.KV[i].Value):
			diffs = append(diffs, fmt.Sprintf("key %q = %v, want %v", got.KV[i].Key, got.KV[i].Value, want.KV[i].Value))
		}
	}
	for i := range max(len(got.Tensors), len(want.Tensors)) {
		if i >= len(got.Tensors) || i >= len(want.Tensors) {
			diffs = append(diffs, fmt.Sprintf("%d tensors, want %d", len(got.Tensors), len(want.Tensors)))
			break
		}
		g, w := &got.Tensors[i], &want.Tensors[i]
		if g.Name != w.Name || g.Type != w.Type || !reflect.DeepEqual(g.Dims, w.Dims) {
			diffs = append(diffs, fmt.Sprintf("tensor %d is %q %s %v, want %q %s %v", i, g.Name, g.Type, g.Dims, w.Name, w.Type, w.Dims))
			continue
		}
		gb, err := got.TensorData(g)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := want.TensorData(w)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gb, wb) {
			n := 0
			for k := range min(len(gb), len(wb)) {
				if gb[k] != wb[k] {
					n++
				}
			}
			diffs = append(diffs, fmt.Sprintf("tensor %q: %d of %d bytes differ", g.Name, n, len(wb)))
		}
	}
	return diffs
}

// TestEmbeddingReference converts the BitNet-embedding checkpoint of
// shared/embeddings/qwen3-student-i2_s (hf/) and compares the result, key
// by key and tensor byte by tensor byte, with the reference GGUF beside it.
func TestEmbeddingReference(t *testing.T) {
	set := shareddata.Path(t, "embeddings", "qwen3-student-i2_s")
	out := filepath.Join(t.TempDir(), "model.gguf")
	var logs []string
	res, err := Convert(context.Background(), filepath.Join(set, "hf"), out, Options{
		Type: gguf.TypeI2_S, Name: "qwen3-student-i2_s", Verify: true,
		Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Arch != "qwen3" {
		t.Errorf("Arch = %q, want qwen3", res.Arch)
	}
	t.Logf("converter log: %q", logs)
	for _, d := range ggufDiff(t, out, filepath.Join(set, "model.gguf")) {
		t.Error(d)
	}
}

// TestEmbedNames checks the HF → GGUF names and the +1 rule of spec §10.3
// for both architectures: Gemma-native norms get +1, *_norm_in never.
func TestEmbedNames(t *testing.T) {
	qwen, gemma := &embedArchs[0], &embedArchs[1]
	tests := []struct {
		spec   *archSpec
		hf     string
		gguf   string
		layer  int
		addOne bool
	}{
		{qwen, "layers.3.post_attention_layernorm.weight", "ffn_norm.weight", 3, false},
		{gemma, "layers.3.post_attention_layernorm.weight", "post_attention_norm.weight", 3, true},
		{gemma, "layers.0.pre_feedforward_layernorm.weight", "ffn_norm.weight", 0, true},
		{gemma, "layers.0.post_feedforward_layernorm.weight", "post_ffw_norm.weight", 0, true},
		{gemma, "layers.1.self_attn.q_norm.weight", "attn_q_norm.weight", 1, true},
		{gemma, "layers.1.self_attn.q_proj.norm.weight", "attn_q_norm_in.weight", 1, false},
		{gemma, "layers.12.mlp.down_proj.norm.weight", "ffn_down_norm_in.weight", 12, false},
		{gemma, "layers.12.mlp.down_proj.weight", "ffn_down.weight", 12, false},
		{gemma, "norm.weight", "output_norm.weight", -1, true},
		{gemma, "embed_tokens.weight", "token_embd.weight", -1, false},
		{qwen, "norm.weight", "output_norm.weight", -1, false},
	}
	for _, tt := range tests {
		e, l, ok := embedName(tt.spec, tt.hf)
		addOne := tt.spec.gemma && e.role == roleNorm
		if !ok || e.gguf != tt.gguf || l != tt.layer || addOne != tt.addOne {
			t.Errorf("%s embedName(%q) = %q layer %d +1 %v ok %v, want %q layer %d +1 %v", tt.spec.gguf, tt.hf, e.gguf, l, addOne, ok, tt.gguf, tt.layer, tt.addOne)
		}
	}
	for _, bad := range []string{"layers.x.input_layernorm.weight", "layers.01.input_layernorm.weight", "layers.0.mlp.act.weight", "lm_head.weight"} {
		if _, _, ok := embedName(qwen, bad); ok {
			t.Errorf("embedName(%q) accepted", bad)
		}
	}
	if _, _, ok := embedName(qwen, "layers.0.pre_feedforward_layernorm.weight"); ok {
		t.Error("qwen3 accepted a Gemma-only tensor")
	}
}

// TestDetectPreQwen2 checks that both spellings of the Qwen2 split pattern
// select "qwen2", from the pattern alone.
func TestDetectPreQwen2(t *testing.T) {
	for _, re := range []string{qwen2Regex, qwen2RegexLlamaCpp} {
		raw, _ := json.Marshal(map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": re}},
			map[string]any{"type": "ByteLevel", "use_regex": false},
		}})
		if got := detectPre(raw, t.Logf); got != "qwen2" {
			t.Errorf("detectPre(%s) = %q, want qwen2", re, got)
		}
	}
}

// TestPoolingType covers modules.json and 1_Pooling/config.json.
func TestPoolingType(t *testing.T) {
	modules := []map[string]any{{"idx": 0, "type": "sentence_transformers.models.Transformer", "path": ""},
		{"idx": 1, "type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}}
	tests := []struct {
		name    string
		modules any
		pool    map[string]any
		want    uint32
		err     string
	}{
		{"no modules.json", nil, nil, 1, ""},
		{"last", modules, map[string]any{"pooling_mode_lasttoken": true, "pooling_mode_mean_tokens": false}, 3, ""},
		{"mean", modules, map[string]any{"pooling_mode_mean_tokens": true}, 1, ""},
		{"cls", modules, map[string]any{"pooling_mode_cls_token": true}, 2, ""},
		{"max", modules, map[string]any{"pooling_mode_max_tokens": true}, 0, "pooling_mode_max_tokens is not supported"},
		{"two", modules, map[string]any{"pooling_mode_cls_token": true, "pooling_mode_lasttoken": true}, 0, "2 pooling modes set"},
		{"none", modules, map[string]any{}, 0, "0 pooling modes set"},
		{"no Pooling module", modules[:1], nil, 1, ""},
		{"escape", []map[string]any{{"type": "sentence_transformers.models.Pooling", "path": "../x"}}, nil, 0, "not a subdirectory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.modules != nil {
				writeJSON(t, filepath.Join(dir, "modules.json"), tt.modules)
			}
			if tt.pool != nil {
				if err := os.Mkdir(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
					t.Fatal(err)
				}
				writeJSON(t, filepath.Join(dir, "1_Pooling", "config.json"), tt.pool)
			}
			got, err := poolingType(dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("poolingType: error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("poolingType = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// TestEmbeddingErrors converts broken variants of the qwen3 student.
func TestEmbeddingErrors(t *testing.T) {
	hf := filepath.Join(shareddata.Path(t, "embeddings", "qwen3-student-i2_s"), "hf")
	ck, err := safetensors.OpenDir(hf)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	cfg, spec, err := loadConfig(hf)
	if err != nil {
		t.Fatal(err)
	}
	v, err := loadVocab(hf, spec, cfg, "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]string, len(ck.Tensors))
	for i, ti := range ck.Tensors {
		all[i] = ti.Name
	}
	without := func(drop func(string) bool) (src source, names []string) {
		m := map[string]*safetensors.TensorInfo{}
		for _, n := range all {
			if !drop(n) {
				ti, _ := ck.Tensor(n)
				m[n] = ti
				names = append(names, n)
			}
		}
		return mapSource(m), names
	}
	tests := []struct {
		name string
		drop func(string) bool
		typ  gguf.Type
		err  string
	}{
		{"tq2_0", func(string) bool { return false }, gguf.TypeTQ2_0, "not supported for qwen3 embedding models"},
		{"one norm_in missing", func(n string) bool { return n == "layers.1.mlp.up_proj.norm.weight" }, gguf.TypeI2_S, `"blk.1.ffn_up_norm_in.weight" is missing`},
		{"teacher to i2_s", func(n string) bool { return strings.HasSuffix(n, "proj.norm.weight") }, gguf.TypeI2_S, "float teacher"},
		{"no q_norm", func(n string) bool { return n == "layers.0.self_attn.q_norm.weight" }, gguf.TypeF16, `"blk.0.attn_q_norm.weight" is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, names := without(tt.drop)
			_, err := makeEmbeddingPlan(cfg, spec, src, names, v, tt.typ, "x", 1)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("makeEmbeddingPlan: error %v, want one containing %q", err, tt.err)
			}
		})
	}
	// A teacher (no norm_in) converts to f16.
	src, names := without(func(n string) bool { return strings.HasSuffix(n, "proj.norm.weight") })
	if _, err := makeEmbeddingPlan(cfg, spec, src, names, v, gguf.TypeF16, "x", 1); err != nil {
		t.Errorf("teacher to f16: %v", err)
	}
}

// mapSource is a source over a fixed tensor table.
type mapSource map[string]*safetensors.TensorInfo

func (m mapSource) Tensor(name string) (*safetensors.TensorInfo, bool) {
	t, ok := m[name]
	return t, ok
}

// TestGemmaConfigErrors checks the Gemma3-only config.json rules.
func TestGemmaConfigErrors(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"architectures": []string{"Gemma3TextModel"}, "model_type": "gemma3_text",
			"hidden_size": 128, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
			"head_dim": 128, "intermediate_size": 256, "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
			"vocab_size": 300, "hidden_activation": "gelu_pytorch_tanh"}
	}
	tests := []struct {
		name string
		key  string
		val  any
		err  string
	}{
		{"ok", "", nil, ""},
		{"scalar", "query_pre_attn_scalar", 64, "query_pre_attn_scalar 64 differs from head_dim 128"},
		{"softcap", "attn_logit_softcapping", 50.0, "attn_logit_softcapping 50"},
		{"act", "hidden_activation", "relu", `activation "relu"`},
		{"rope", "rope_scaling", map[string]any{"rope_type": "linear", "factor": 2}, `rope_scaling type "linear"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			if tt.key != "" {
				c[tt.key] = tt.val
			}
			dir := t.TempDir()
			writeJSON(t, filepath.Join(dir, "config.json"), c)
			_, spec, err := loadConfig(dir)
			if tt.err == "" {
				if err != nil || spec.gguf != "gemma3" {
					t.Fatalf("loadConfig: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("loadConfig: error %v, want one containing %q", err, tt.err)
			}
		})
	}
}
