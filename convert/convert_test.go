package convert

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/quant"
	"github.com/bitnet-go/bitnet/safetensors"
)

// small is a tiny BitNetForCausalLM checkpoint: every projection row is a
// multiple of 256, so every output type applies.
func small() *synth {
	return &synth{dim: 256, ff: 512, layers: 2, heads: 4, kvHeads: 2, vocab: 300, seed: 1}
}

func convertDir(t *testing.T, dir string, opt Options) (string, error) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.gguf")
	_, err := Convert(context.Background(), dir, out, opt)
	return out, err
}

func mustConvert(t *testing.T, dir string, opt Options) string {
	t.Helper()
	out, err := convertDir(t, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// packHF packs ternary rows (rows × cols) as transformers' pack_weights:
// row i·P+p goes to bits 2i+1..2i of packed row p (spec §2.8).
func packHF(t []int8, rows, cols int) []byte {
	P := rows / 4
	out := make([]byte, P*cols)
	for r := range rows {
		i, p := r/P, r%P
		for k := range cols {
			out[p*cols+k] |= byte(t[r*cols+k]+1) << (2 * i)
		}
	}
	return out
}

func TestPackHFSpecExample(t *testing.T) {
	// Spec §2.8: P = 2, column [+1, 0, −1, +1, −1, 0, 0, +1] packs to [0x42, 0x99].
	col := []int8{1, 0, -1, 1, -1, 0, 0, 1}
	if got := packHF(col, 8, 1); !bytes.Equal(got, []byte{0x42, 0x99}) {
		t.Fatalf("packHF = %#x, want [0x42 0x99]", got)
	}
	// And the converter unpacks it back.
	ck := memReader{"w": []byte{0x42, 0x99}, "s": f32le(0.5)}
	o := &outTensor{name: "w", src: &safetensors.TensorInfo{Name: "w", DType: safetensors.U8, Size: 2}, rows: 8, cols: 1,
		packed: true, scale: &safetensors.TensorInfo{Name: "s", DType: safetensors.F32, Shape: []int64{1}, Size: 4}}
	p := &producer{ctx: context.Background(), ck: ck}
	tern, err := p.ternarize(o)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int8, 8)
	if err := tern.rows(0, got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, col) || tern.scale != 0.5 {
		t.Errorf("unpacked %v scale %v, want %v scale 0.5", got, tern.scale, col)
	}
}

// memReader serves tensors from memory by name.
type memReader map[string][]byte

func (m memReader) Reader(t *safetensors.TensorInfo) *io.SectionReader {
	b := m[t.Name]
	return io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))
}

func f32le(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }

// TestPackedMatchesBF16 settles the weight_scale question of spec §2.8 by a
// round trip: a bf16 checkpoint is converted to I2_S, its ternary values
// and scales are packed into an HF packed checkpoint (uint8 [out/4, in] and a
// weight_scale), once for AutoBitLinear (W = t·weight_scale, so
// weight_scale = scale) and once for BitLinear (W = t/weight_scale, so
// weight_scale = 1/scale), and each packed form must convert to the same
// GGUF. Codes must be equal; AutoBitLinear scales are bit-exact and
// BitLinear ones within 1e-6 (1/(1/x) need not round back to x).
func TestPackedMatchesBF16(t *testing.T) {
	s := small()
	bf := t.TempDir()
	s.write(t, bf)
	want := mustConvert(t, bf, Options{Type: gguf.TypeI2_S, Name: "m"})
	wf, err := gguf.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	defer wf.Close()

	hfName := map[string]string{"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
		"attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
	for _, class := range []string{"autobitlinear", "bitlinear"} {
		t.Run(class, func(t *testing.T) {
			ps := small()
			ps.config = map[string]any{"quantization_config": map[string]any{"quant_method": "bitnet", "linear_class": class, "quantization_mode": "offline"}}
			ps.override = map[string]tensor{}
			for i := range wf.Tensors {
				ti := &wf.Tensors[i]
				if ti.Type != gguf.TypeI2_S {
					continue
				}
				var l int
				var short string
				fmt.Sscanf(strings.ReplaceAll(ti.Name, ".", " "), "blk %d %s", &l, &short)
				data, _ := wf.TensorData(ti)
				cols, rows := int(ti.Dims[0]), int(ti.Dims[1])
				tv := make([]int8, rows*cols)
				scale, err := quant.UnpackI2S(data, rows*cols, tv)
				if err != nil {
					t.Fatal(err)
				}
				ws := scale
				if class == "bitlinear" {
					ws = 1 / scale
				}
				hf := fmt.Sprintf("model.layers.%d.%s.weight", l, hfName[short])
				ps.override[hf] = tensor{safetensors.U8, []int64{int64(rows / 4), int64(cols)}, safetensors.Bytes(packHF(tv, rows, cols))}
				ps.extra = append(ps.extra, safetensors.NewTensor{Name: hf + "_scale", DType: safetensors.F32, Shape: []int64{1}, Data: safetensors.Bytes(f32le(ws))})
			}
			dir := t.TempDir()
			ps.write(t, dir)
			got := mustConvert(t, dir, Options{Type: gguf.TypeI2_S, Name: "m", Verify: true})
			if class == "autobitlinear" {
				a, _ := os.ReadFile(got)
				b, _ := os.ReadFile(want)
				if !bytes.Equal(a, b) {
					t.Errorf("packed %s checkpoint converts to a different file than its bf16 form", class)
				}
				return
			}
			compareFiles(t, got, want, 1e-6)
		})
	}
}

// compareFiles compares two GGUF files' metadata and tensors; I2_S scales
// may differ by rel.
func compareFiles(t *testing.T, gotPath, wantPath string, rel float64) {
	t.Helper()
	g, err := gguf.Open(gotPath)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	w, err := gguf.Open(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if len(g.KV) != len(w.KV) || len(g.Tensors) != len(w.Tensors) {
		t.Fatalf("%d keys %d tensors, want %d %d", len(g.KV), len(g.Tensors), len(w.KV), len(w.Tensors))
	}
	for i := range g.Tensors {
		gt, wt := &g.Tensors[i], &w.Tensors[i]
		gd, _ := g.TensorData(gt)
		wd, _ := w.TensorData(wt)
		n := int(gt.NumElements())
		if gt.Type == gguf.TypeI2_S {
			gs, ws := quant.I2SScale(gd, n), quant.I2SScale(wd, n)
			if math.Abs(float64(gs-ws)) > rel*float64(ws) {
				t.Errorf("%s: scale %v, want %v", gt.Name, gs, ws)
			}
			gd, wd = gd[:n/4], wd[:n/4]
		}
		if gt.Name != wt.Name || !bytes.Equal(gd, wd) {
			t.Errorf("tensor %d: %s differs from %s", i, gt.Name, wt.Name)
		}
	}
}

// TestTypes converts one checkpoint to every output type with verification,
// and checks that the projections decode to the same ternary values and
// scale (up to f16 rounding for the per-block types).
func TestTypes(t *testing.T) {
	dir := t.TempDir()
	small().write(t, dir)
	ref := mustConvert(t, dir, Options{Type: gguf.TypeI2_S, Verify: true})
	rf, err := gguf.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	for _, typ := range []gguf.Type{gguf.TypeTQ2_0, gguf.TypeTQ1_0, gguf.TypeF16, gguf.TypeF32} {
		t.Run(typ.String(), func(t *testing.T) {
			out := mustConvert(t, dir, Options{Type: typ, Verify: true})
			f, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if ft, _ := f.Uint("general.file_type"); ft != uint64(fileType[typ]) {
				t.Errorf("general.file_type = %d, want %d", ft, fileType[typ])
			}
			for i := range f.Tensors {
				ti, ri := &f.Tensors[i], &rf.Tensors[i]
				wantType := ri.Type
				switch {
				case ri.Type == gguf.TypeI2_S:
					wantType = typ
				case ri.Type == gguf.TypeF16 && typ == gguf.TypeF32:
					wantType = gguf.TypeF32
				}
				if ti.Name != ri.Name || ti.Type != wantType {
					t.Fatalf("tensor %d: %s %s, want %s %s", i, ti.Name, ti.Type, ri.Name, wantType)
				}
				if ri.Type != gguf.TypeI2_S {
					continue
				}
				n := int(ti.NumElements())
				rd, _ := rf.TensorData(ri)
				want := make([]float32, n)
				got := make([]float32, n)
				if err := quant.Dequantize(gguf.TypeI2_S, rd, want); err != nil {
					t.Fatal(err)
				}
				d, _ := f.TensorData(ti)
				if err := quant.Dequantize(typ, d, got); err != nil {
					t.Fatal(err)
				}
				for j := range got {
					if w := want[j]; math.Abs(float64(got[j]-w)) > 1e-3*math.Abs(float64(w)) {
						t.Fatalf("%s[%d] = %v, want %v", ti.Name, j, got[j], w)
					}
				}
			}
		})
	}
}
