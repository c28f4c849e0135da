package convert

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
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
