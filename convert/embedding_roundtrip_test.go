package convert

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/quant"
	"github.com/bitnet-go/bitnet/safetensors"
)

// hfNameOf inverts embedName: the HF tensor name of a GGUF tensor.
func hfNameOf(t *testing.T, spec *archSpec, gg string) string {
	t.Helper()
	switch gg {
	case "token_embd.weight":
		return "embed_tokens.weight"
	case "output_norm.weight":
		return "norm.weight"
	}
	var l int
	var rest string
	if _, err := fmt.Sscanf(gg, "blk.%d.", &l); err != nil {
		t.Fatalf("tensor %q: %v", gg, err)
	}
	rest = gg[strings.IndexByte(gg[4:], '.')+5:]
	for _, e := range embedLayer {
		if e.gguf == rest && (e.gemma == 0 || (e.gemma == 1) == spec.gemma) {
			return fmt.Sprintf("layers.%d.%s", l, e.hf)
		}
	}
	t.Fatalf("tensor %q has no HF name", gg)
	return ""
}

// checkpointFromGGUF writes into dir a Hugging Face checkpoint that
// converts back to the reference GGUF ref: every float tensor as F32 (F16
// tensors widened exactly; Gemma-native norms minus 1, checked to come back
// exactly), I2_S projections as latent weights t·c with c chosen so that the
// absmean ternarisation returns t, the config from the GGUF's keys, and the
// tokenizer (tokenizer files copied from tokDir for BPE, a tokenizer.model
// rebuilt from the GGUF for SentencePiece).
func checkpointFromGGUF(t *testing.T, ref, dir, tokDir string) {
	t.Helper()
	f, err := gguf.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec := writeConfigFromGGUF(t, f, dir)
	var tensors []safetensors.NewTensor
	for i := range f.Tensors {
		tensors = append(tensors, hfTensorFromGGUF(t, f, spec, &f.Tensors[i]))
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if model, _ := f.String("tokenizer.ggml.model"); model == "llama" {
		writeSPMFromGGUF(t, f, dir)
		return
	}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		b, err := os.ReadFile(filepath.Join(tokDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeConfigFromGGUF writes dir/config.json from f's keys and returns the
// architecture.
func writeConfigFromGGUF(t *testing.T, f *gguf.File, dir string) *archSpec {
	t.Helper()
	arch, _ := f.String("general.architecture")
	spec := &embedArchs[0]
	if arch == "gemma3" {
		spec = &embedArchs[1]
	}
	u := func(k string) int {
		v, err := f.Uint(arch + "." + k)
		if err != nil {
			t.Fatal(err)
		}
		return int(v)
	}
	theta, _ := f.Float(arch + ".rope.freq_base")
	eps, _ := f.Float(arch + ".attention.layer_norm_rms_epsilon")
	cfg := map[string]any{
		"architectures": []string{map[bool]string{false: "Qwen3Model", true: "Gemma3TextModel"}[spec.gemma]},
		"model_type":    spec.hf, "hidden_size": u("embedding_length"), "num_hidden_layers": u("block_count"),
		"num_attention_heads": u("attention.head_count"), "num_key_value_heads": u("attention.head_count_kv"),
		"head_dim": u("attention.key_length"), "intermediate_size": u("feed_forward_length"),
		"max_position_embeddings": u("context_length"), "rms_norm_eps": eps, "rope_theta": theta,
		"vocab_size": u("vocab_size"), "tie_word_embeddings": true,
	}
	if spec.gemma {
		cfg["hidden_activation"] = "gelu_pytorch_tanh"
		cfg["query_pre_attn_scalar"] = u("attention.key_length")
		cfg["sliding_window"] = 512
	} else {
		cfg["hidden_act"] = "silu"
	}
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	return spec
}

// hfTensorFromGGUF returns the F32 HF tensor that converts back to ti.
func hfTensorFromGGUF(t *testing.T, f *gguf.File, spec *archSpec, ti *gguf.TensorInfo) safetensors.NewTensor {
	t.Helper()
	data, err := f.TensorData(ti)
	if err != nil {
		t.Fatal(err)
	}
	n := 1
	shape := make([]int64, len(ti.Dims))
	for k, d := range ti.Dims {
		n *= int(d)
		shape[len(shape)-1-k] = int64(d)
	}
	vals := make([]float32, n)
	hf := hfNameOf(t, spec, ti.Name)
	switch ti.Type {
	case gguf.TypeI2_S:
		codes := make([]int8, n)
		if _, err := quant.UnpackI2S(data, n, codes); err != nil {
			t.Fatal(err)
		}
		nz := 0
		for _, c := range codes {
			if c != 0 {
				nz++
			}
		}
		// mean|t·c| = c·nz/n = β, so W/β = t·n/nz rounds and clamps to t.
		c := float32(float64(quant.I2SScale(data, n)) * float64(n) / float64(nz))
		for k, v := range codes {
			vals[k] = float32(v) * c
		}
	default:
		if err := quant.Dequantize(ti.Type, data, vals); err != nil {
			t.Fatal(err)
		}
		e, _, _ := embedName(spec, hf)
		if spec.gemma && e.role == roleNorm {
			for k, v := range vals {
				if vals[k] = v - 1; vals[k]+1 != v {
					t.Fatalf("%s[%d] = %v: w-1 does not round-trip in f32", ti.Name, k, v)
				}
			}
		}
	}
	b := make([]byte, 4*n)
	for k, v := range vals {
		binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
	}
	return safetensors.NewTensor{Name: hf, DType: safetensors.F32, Shape: shape, Data: safetensors.Bytes(b)}
}

// writeSPMFromGGUF writes dir/tokenizer.model (pieces, scores and types of
// the GGUF, BPE, add_dummy_prefix as tokenizer.ggml.add_space_prefix) and a
// tokenizer_config.json naming the special tokens by the GGUF's ids.
func writeSPMFromGGUF(t *testing.T, f *gguf.File, dir string) {
	t.Helper()
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	scores, _ := f.Float32s("tokenizer.ggml.scores")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	asp, _ := f.Bool("tokenizer.ggml.add_space_prefix")
	field := func(dst []byte, num int, sub []byte) []byte {
		dst = binary.AppendUvarint(dst, uint64(num<<3|wireBytes))
		dst = binary.AppendUvarint(dst, uint64(len(sub)))
		return append(dst, sub...)
	}
	var b []byte
	for i, text := range tokens {
		var p []byte
		p = field(p, 1, []byte(text))
		p = binary.AppendUvarint(p, 2<<3|wireFixed32)
		p = binary.LittleEndian.AppendUint32(p, math.Float32bits(scores[i]))
		p = binary.AppendUvarint(p, 3<<3|wireVarint)
		p = binary.AppendUvarint(p, uint64(types[i]))
		b = field(b, 1, p)
	}
	b = field(b, 2, []byte{3 << 3, 2})
	dp := byte(0)
	if asp {
		dp = 1
	}
	b = field(b, 3, []byte{3 << 3, dp})
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.model"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tc := map[string]any{}
	for _, k := range []struct{ key, name string }{{"bos", "bos"}, {"eos", "eos"}, {"unknown", "unk"}, {"padding", "pad"}} {
		if id, err := f.Uint("tokenizer.ggml." + k.key + "_token_id"); err == nil {
			tc[k.name+"_token"] = tokens[id]
		}
	}
	for _, k := range []string{"add_bos_token", "add_eos_token"} {
		if v, err := f.Bool("tokenizer.ggml." + k); err == nil {
			tc[k] = v
		}
	}
	writeJSON(t, filepath.Join(dir, "tokenizer_config.json"), tc)
}

// TestEmbeddingRoundTrip rebuilds a Hugging Face checkpoint from each
// reference GGUF of shared/embeddings (teachers: exact float tensors;
// students: latent weights that ternarise back to the file's codes) and
// converts it back. Teachers must come back byte for byte; students too,
// except for the I2_S scales, whose latent weights are only a construction
// (their absmean equals β to within rounding), and which must agree to
// 1e-6 relative.
func TestEmbeddingRoundTrip(t *testing.T) {
	root := shareddata.Path(t, "embeddings")
	tokDir := filepath.Join(root, "qwen3-student-i2_s", "hf")
	for _, tt := range []struct {
		set string
		typ gguf.Type
	}{
		{"qwen3-teacher-f32", gguf.TypeF32},
		{"gemma3-teacher-f32", gguf.TypeF32},
		{"gemma3-student-i2_s", gguf.TypeI2_S},
	} {
		t.Run(tt.set, func(t *testing.T) {
			ref := filepath.Join(root, tt.set, "model.gguf")
			dir := t.TempDir()
			checkpointFromGGUF(t, ref, dir, tokDir)
			out := filepath.Join(t.TempDir(), "model.gguf")
			if _, err := Convert(context.Background(), dir, out, Options{Type: tt.typ, Name: tt.set, Verify: true}); err != nil {
				t.Fatal(err)
			}
			scales := 0
			for _, d := range ggufDiff(t, out, ref) {
				if tt.typ == gguf.TypeI2_S && strings.HasSuffix(d, "differ") && checkI2SScales(t, out, ref, d) {
					scales++
					continue
				}
				t.Error(d)
			}
			t.Logf("%d I2_S tensors differ only in the last bits of their scale", scales)
		})
	}
}

// checkI2SScales reports whether the tensor named in diff d differs from
// the reference only in its I2_S scale, and that by at most 1e-6 relative.
func checkI2SScales(t *testing.T, got, want, d string) bool {
	t.Helper()
	name := strings.TrimPrefix(d[:strings.Index(d, ":")], "tensor ")
	name = strings.Trim(name, `"`)
	var data [2][]byte
	for i, path := range []string{got, want} {
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ti, ok := f.Tensor(name)
		if !ok || ti.Type != gguf.TypeI2_S {
			return false
		}
		if data[i], err = f.TensorData(ti); err != nil {
			t.Fatal(err)
		}
	}
	n := len(data[0]) - quant.I2STail
	if string(data[0][:n]) != string(data[1][:n]) {
		return false
	}
	g, w := quant.I2SScale(data[0], 4*n), quant.I2SScale(data[1], 4*n)
	return math.Abs(float64(g-w)) <= 1e-6*float64(w)
}
