package convert

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/quant"
)

// convertKJV converts kjv-tiny's HF checkpoint to typ in a temporary
// directory. general.name is given explicitly: by default it is the model
// directory's name, which is "hf" here, while the reference toolchain was
// told "kjv-tiny".
func convertKJV(t *testing.T, typ gguf.Type, verify bool) string {
	t.Helper()
	dir := shareddata.Path(t, "models", "kjv-tiny", "hf")
	out := filepath.Join(t.TempDir(), "kjv-tiny-"+typ.String()+".gguf")
	var warnings []string
	_, err := Convert(context.Background(), dir, out, Options{Type: typ, Name: "kjv-tiny", Verify: verify,
		Logf: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	return out
}

// TestKJVTinyMatchesReference converts kjv-tiny and compares the result with
// the GGUF that bitnet.cpp's toolchain made from the same checkpoint: every
// metadata key and value in order, every tensor's name, type and shape, and
// every byte of tensor data, except that the I2_S scale may differ by
// 1e-6 relative (PyTorch sums the absmean in float32, we in float64). TQ2_0
// and TQ1_0 store the scale as f16, so those files must match byte for byte.
// There are no intended differences once general.name is passed (see
// convertKJV).
func TestKJVTinyMatchesReference(t *testing.T) {
	for _, typ := range []gguf.Type{gguf.TypeI2_S, gguf.TypeTQ2_0, gguf.TypeTQ1_0} {
		t.Run(typ.String(), func(t *testing.T) {
			out := convertKJV(t, typ, false)
			ref := filepath.Join(shareddata.Path(t, "models", "kjv-tiny"), "kjv-tiny-"+map[gguf.Type]string{gguf.TypeI2_S: "i2_s", gguf.TypeTQ2_0: "tq2_0", gguf.TypeTQ1_0: "tq1_0"}[typ]+".gguf")
			compareGGUF(t, out, ref)
		})
	}
}

func compareGGUF(t *testing.T, gotPath, wantPath string) {
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
	if len(got.KV) != len(want.KV) {
		t.Errorf("%d metadata keys, want %d", len(got.KV), len(want.KV))
	}
	for i := range min(len(got.KV), len(want.KV)) {
		g, w := got.KV[i], want.KV[i]
		if g.Key != w.Key || !reflect.DeepEqual(g.Value, w.Value) {
			t.Errorf("metadata %d: %s = %v, want %s = %v", i, g.Key, g.Value, w.Key, w.Value)
		}
	}
	if got.Alignment != want.Alignment || got.DataOffset != want.DataOffset {
		t.Errorf("alignment %d, data offset %d; want %d, %d", got.Alignment, got.DataOffset, want.Alignment, want.DataOffset)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for i := range got.Tensors {
		g, w := &got.Tensors[i], &want.Tensors[i]
		if g.Name != w.Name || g.Type != w.Type || !reflect.DeepEqual(g.Dims, w.Dims) || g.Offset != w.Offset {
			t.Errorf("tensor %d: %s %s %v @%d, want %s %s %v @%d", i, g.Name, g.Type, g.Dims, g.Offset, w.Name, w.Type, w.Dims, w.Offset)
			continue
		}
		gd, err := got.TensorData(g)
		if err != nil {
			t.Fatal(err)
		}
		wd, err := want.TensorData(w)
		if err != nil {
			t.Fatal(err)
		}
		n := int(g.NumElements())
		codes := len(gd)
		if g.Type == gguf.TypeI2_S {
			codes = n / 4
			gs, ws := quant.I2SScale(gd, n), quant.I2SScale(wd, n)
			if rel := math.Abs(float64(gs-ws)) / float64(ws); rel > 1e-6 {
				t.Errorf("%s: scale %v, want %v (rel %.3g)", g.Name, gs, ws, rel)
			}
		}
		diff := 0
		for j := range codes {
			if gd[j] != wd[j] {
				diff++
			}
		}
		if diff > 0 {
			t.Errorf("%s (%s): %d of %d bytes differ", g.Name, g.Type, diff, codes)
		}
	}
}
