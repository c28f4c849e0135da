package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSafetensors feeds arbitrary bytes to ParseHeader: it must return an
// error or a header whose tensors all lie inside the input, never panic.
// Accepted headers are written again with Write and must parse to the same
// tensors.
func FuzzSafetensors(f *testing.F) {
	f.Add(file(`{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}`, 8))
	f.Add(file(`{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, 1))
	f.Add(file(`{}`, 0))
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "models", "kjv-tiny", "hf", "model.safetensors")); err == nil {
		f.Add(b[:min(len(b), 16<<10)]) // the header and a little data
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		h, err := ParseHeader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		var in []NewTensor
		for _, ti := range h.Tensors {
			if ti.Offset < h.DataOff || ti.Offset+ti.Size > int64(len(data)) {
				t.Fatalf("tensor %q [%d,+%d) outside the %d-byte input", ti.Name, ti.Offset, ti.Size, len(data))
			}
			in = append(in, NewTensor{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: Bytes(data[ti.Offset : ti.Offset+ti.Size])})
		}
		var buf bytes.Buffer
		if err := Write(&buf, in, h.Metadata); err != nil {
			t.Fatalf("Write of an accepted header: %v", err)
		}
		h2, err := ParseHeader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "rewritten")
		if err != nil {
			t.Fatalf("rewritten file: %v", err)
		}
		if len(h2.Tensors) != len(h.Tensors) {
			t.Fatalf("rewritten file has %d tensors, want %d", len(h2.Tensors), len(h.Tensors))
		}
	})
}
