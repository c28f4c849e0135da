package gguf

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const (
	maxFuzzInput  = 1 << 20  // larger inputs are skipped
	maxFuzzOutput = 16 << 20 // rewritten files larger than this are not built
)

// fuzzSeeds returns small complete files covering the reader's branches.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	add := func(w *Writer) {
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	w, _ := synthWriter(tb, DefaultAlignment)
	add(w)
	w, _ = synthWriter(tb, 64)
	add(w)
	add(NewWriter())

	w = NewWriter()
	w.AddString("general.architecture", "bitnet-b1.58")
	w.AddUint32("bitnet-b1.58.block_count", 1)
	w.AddStrings("tokenizer.ggml.tokens", []string{"a", "b", "<|eot_id|>"})
	w.AddFloat32s("tokenizer.ggml.scores", []float32{0, -1, -2})
	w.AddInt32s("tokenizer.ggml.token_type", []int32{1, 1, 3})
	w.AddBool("tokenizer.ggml.add_bos_token", true)
	w.AddTensor("blk.0.attn_q.weight", TypeI2_S, []uint64{128, 1}, patternBytes(64, 1))
	w.AddTensor("blk.0.ffn_up.weight", TypeTQ1_0, []uint64{256}, patternBytes(54, 2))
	w.AddTensor("output_norm.weight", TypeF32, []uint64{2}, patternBytes(8, 3))
	add(w)

	// Version 2 with a header that ends before the data alignment.
	seeds = append(seeds, header(2, 0, 1).str("a").u32(uint32(TypeUint8)).u32(7).Bytes()[:38])
	return seeds
}

// FuzzRead checks that no input makes the reader panic, that the in-memory
// and ReadAt paths agree, and that every file the reader accepts can be
// written again by the Writer and reads back the same.
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	// The head of a real model: a truncated header.
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "models", "kjv-tiny", "kjv-tiny-i2_s.gguf")); err == nil {
		f.Add(b[:64<<10])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		a, errA := FromBytes(data, "fuzz")
		b, errB := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if errA != nil || errB != nil {
			if errA == nil || errB == nil || errA.Error() != errB.Error() {
				t.Fatalf("FromBytes and NewReader disagree:\n%v\n%v", errA, errB)
			}
			return
		}
		if a.DataOffset != b.DataOffset || a.Alignment != b.Alignment || a.Version != b.Version {
			t.Fatalf("FromBytes and NewReader disagree on the header")
		}
		equalKVs(t, b.KV, a.KV)
		equalInfos(t, b.Tensors, a.Tensors, true)

		est := a.infoEnd + a.Alignment
		for _, ti := range a.Tensors {
			est += alignUp(ti.Size, a.Alignment)
			if est > maxFuzzOutput {
				return
			}
		}
		c, err := FromBytes(rewrite(t, a), "rewritten")
		if err != nil {
			t.Fatalf("reading the rewritten file: %v", err)
		}
		equalKVs(t, c.KV, a.KV)
		equalInfos(t, c.Tensors, a.Tensors, false)
		for i := range a.Tensors {
			want, _ := a.TensorData(&a.Tensors[i])
			got, _ := c.TensorData(&c.Tensors[i])
			viaReader, _ := b.TensorData(&b.Tensors[i])
			if !bytes.Equal(got, want) || !bytes.Equal(viaReader, want) {
				t.Fatalf("tensor %q data differs", a.Tensors[i].Name)
			}
		}
		if _, err := rewriteTo(a, io.Discard); err != nil {
			t.Fatalf("second write: %v", err)
		}
	})
}

// rewriteTo writes f again to out through AddTensorFunc, the streaming path.
func rewriteTo(f *File, out io.Writer) (int64, error) {
	w := NewWriter()
	for _, kv := range f.KV {
		w.Add(kv.Key, kv.Value)
	}
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		err := w.AddTensorFunc(ti.Name, ti.Type, ti.Dims, func(out io.Writer) error {
			data, err := f.TensorData(ti)
			if err != nil {
				return err
			}
			_, err = out.Write(data)
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return w.WriteTo(out)
}
