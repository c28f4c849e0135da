package quant

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
)

func openGGUF(t *testing.T, name string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(filepath.Join(shareddata.Path(t, "models", "kjv-tiny"), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestKJVTinyTernaryAgree decodes every projection of kjv-tiny from its
// I2_S, TQ2_0 and TQ1_0 files (the same model through llama-quantize) and
// checks the ternary values agree element for element, that every I2_S
// tensor validates, and that each TQ block scale is the I2_S scale rounded
// to f16 (or 0 for an all-zero block).
func TestKJVTinyTernaryAgree(t *testing.T) {
	fi := openGGUF(t, "kjv-tiny-i2_s.gguf")
	f2 := openGGUF(t, "kjv-tiny-tq2_0.gguf")
	f1 := openGGUF(t, "kjv-tiny-tq1_0.gguf")
	var checked int
	for i := range fi.Tensors {
		ti := &fi.Tensors[i]
		if ti.Type != gguf.TypeI2_S {
			continue
		}
		n := int(ti.NumElements())
		data, err := fi.TensorData(ti)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != I2SSize(n) {
			t.Fatalf("%s: %d bytes, want %d", ti.Name, len(data), I2SSize(n))
		}
		if err := ValidateI2S(data, n); err != nil {
			t.Errorf("%s: %v", ti.Name, err)
		}
		ti2 := make([]int8, n)
		scale, err := UnpackI2S(data, n, ti2)
		if err != nil {
			t.Fatalf("%s: %v", ti.Name, err)
		}
		for _, other := range []struct {
			f      *gguf.File
			typ    gguf.Type
			unpack func([]byte, int, []int8, []float32) error
		}{{f2, gguf.TypeTQ2_0, UnpackTQ2_0}, {f1, gguf.TypeTQ1_0, UnpackTQ1_0}} {
			to, ok := other.f.Tensor(ti.Name)
			if !ok || to.Type != other.typ {
				t.Fatalf("%s: missing or not %v in %s", ti.Name, other.typ, other.f.Name)
			}
			od, err := other.f.TensorData(to)
			if err != nil {
				t.Fatal(err)
			}
			tt, ds := make([]int8, n), make([]float32, n/QKK)
			if err := other.unpack(od, n, tt, ds); err != nil {
				t.Fatalf("%s %v: %v", ti.Name, other.typ, err)
			}
			for e := range tt {
				if tt[e] != ti2[e] {
					t.Fatalf("%s: element %d is %d in I2_S, %d in %v", ti.Name, e, ti2[e], tt[e], other.typ)
				}
			}
			wantD := F16ToF32(F32ToF16(scale))
			for b, d := range ds {
				if d != wantD && !(d == 0 && allZero(tt[b*QKK:(b+1)*QKK])) {
					t.Fatalf("%s %v: block %d d = %v, want f16(I2_S scale %v) = %v", ti.Name, other.typ, b, d, scale, wantD)
				}
			}
			// Dequantize agrees with unpack·scale.
			out := make([]float32, n)
			if err := Dequantize(other.typ, od, out); err != nil {
				t.Fatal(err)
			}
			for e, v := range out {
				if want := float32(tt[e]) * ds[e/QKK]; v != want {
					t.Fatalf("%s %v: Dequantize[%d] = %v, want %v", ti.Name, other.typ, e, v, want)
				}
			}
		}
		checked++
	}
	if want := 6 * 7; checked != want {
		t.Errorf("checked %d I2_S tensors, want %d", checked, want)
	}
}

func allZero(t []int8) bool {
	for _, v := range t {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestKJVTinyTernarizeMatchesConverter ternarises the bf16 masters of the
// HF checkpoint with Ternarize and compares the codes with the I2_S file,
// which bitnet.cpp's converter and llama-quantize made from the same
// weights: every code must agree, and β must be within 2 ulps of the I2_S
// scale (PyTorch accumulates the mean in float32).
func TestKJVTinyTernarizeMatchesConverter(t *testing.T) {
	st := readSafetensors(t, filepath.Join(shareddata.Path(t, "models", "kjv-tiny", "hf"), "model.safetensors"))
	fi := openGGUF(t, "kjv-tiny-i2_s.gguf")
	names := map[string]string{
		"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
		"self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
		"mlp.down_proj": "ffn_down",
	}
	for l := range 6 {
		for hf, gg := range names {
			w := st(fmt.Sprintf("model.layers.%d.%s.weight", l, hf))
			name := fmt.Sprintf("blk.%d.%s.weight", l, gg)
			ti, ok := fi.Tensor(name)
			if !ok {
				t.Fatalf("%s missing", name)
			}
			data, err := fi.TensorData(ti)
			if err != nil {
				t.Fatal(err)
			}
			n := len(w)
			want := make([]int8, n)
			scale, err := UnpackI2S(data, n, want)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int8, n)
			beta := Ternarize(w, got)
			var diff int
			for i := range got {
				if got[i] != want[i] {
					diff++
				}
			}
			// Only codes whose W·s lies within an ulp of ±0.5 may move
			// when β differs from PyTorch's float32 mean by an ulp.
			if diff > 0 {
				t.Errorf("%s: %d of %d codes differ", name, diff, n)
			}
			// β is a float64-accumulated mean; PyTorch sums in float32, so
			// allow 2 ulps.
			if ulps := math.Abs(float64(int32(math.Float32bits(beta)) - int32(math.Float32bits(scale)))); ulps > 2 {
				t.Errorf("%s: β = %v, I2_S scale %v: %v ulps apart", name, beta, scale, ulps)
			}
		}
	}
}

// TestKJVTinyEmbedding looks up embedding rows of the F16 token_embd with
// DequantizeRow and compares them with the bf16 masters rounded to f16.
func TestKJVTinyEmbedding(t *testing.T) {
	st := readSafetensors(t, filepath.Join(shareddata.Path(t, "models", "kjv-tiny", "hf"), "model.safetensors"))
	emb := st("model.embed_tokens.weight")
	f := openGGUF(t, "kjv-tiny-i2_s.gguf")
	ti, ok := f.Tensor("token_embd.weight")
	if !ok || ti.Type != gguf.TypeF16 || len(ti.Dims) != 2 {
		t.Fatalf("token_embd.weight: %+v", ti)
	}
	data, err := f.TensorData(ti)
	if err != nil {
		t.Fatal(err)
	}
	k, rows := int(ti.Dims[0]), int(ti.Dims[1])
	if k*rows != len(emb) {
		t.Fatalf("token_embd %v vs %d master values", ti.Dims, len(emb))
	}
	row := make([]float32, k)
	for _, r := range []int{0, 1, 8000, 8009, rows - 1} {
		if err := DequantizeRow(ti.Type, data, k, r, row); err != nil {
			t.Fatal(err)
		}
		for j, v := range row {
			if want := F16ToF32(F32ToF16(emb[r*k+j])); v != want {
				t.Fatalf("row %d [%d] = %v, want f16(%v) = %v", r, j, v, emb[r*k+j], want)
			}
		}
	}
	if err := DequantizeRow(ti.Type, data, k, rows, row); err == nil {
		t.Errorf("row %d past the end succeeded", rows)
	}
}

// readSafetensors reads a safetensors file of BF16 tensors and returns a
// lookup that converts the named tensor to float32.
func readSafetensors(t *testing.T, path string) func(name string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8 {
		t.Fatal("safetensors: short file")
	}
	hl := binary.LittleEndian.Uint64(b)
	if hl > uint64(len(b)-8) {
		t.Fatal("safetensors: bad header length")
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hl], &hdr); err != nil {
		t.Fatal(err)
	}
	body := b[8+hl:]
	return func(name string) []float32 {
		t.Helper()
		var ti struct {
			Dtype   string   `json:"dtype"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		raw, ok := hdr[name]
		if !ok {
			t.Fatalf("safetensors: %s missing", name)
		}
		if err := json.Unmarshal(raw, &ti); err != nil {
			t.Fatal(err)
		}
		if ti.Dtype != "BF16" || ti.Offsets[0] < 0 || ti.Offsets[1] > int64(len(body)) || ti.Offsets[0] > ti.Offsets[1] {
			t.Fatalf("safetensors: %s: dtype %s offsets %v", name, ti.Dtype, ti.Offsets)
		}
		src := body[ti.Offsets[0]:ti.Offsets[1]]
		out := make([]float32, len(src)/2)
		for i := range out {
			out[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return out
	}
}
