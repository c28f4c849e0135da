package gguf_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/bitnet-go/bitnet/gguf"
)

// ExampleNewWriter writes a tiny model with one I2_S tensor and reads it
// back from memory.
func ExampleNewWriter() {
	w := gguf.NewWriter()
	w.AddString("general.architecture", "bitnet-b1.58")
	w.AddUint32("bitnet-b1.58.block_count", 1)
	w.AddStrings("tokenizer.ggml.tokens", []string{"<s>", "a", "b"})

	// An all-zero 128×2 ternary matrix: codes 1 (0x55), then the f32 scale
	// and its padding (spec §2.4).
	dims := []uint64{128, 2}
	size, _ := gguf.TensorSize(gguf.TypeI2_S, dims)
	data := bytes.Repeat([]byte{0x55}, int(size))
	if err := w.AddTensor("blk.0.attn_q.weight", gguf.TypeI2_S, dims, data); err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.FromBytes(buf.Bytes(), "tiny.gguf")
	if err != nil {
		log.Fatal(err)
	}
	arch, _ := f.String("general.architecture")
	layers, _ := f.Uint(arch + ".block_count")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	fmt.Println(arch, layers, tokens)
	for _, t := range f.Tensors {
		fmt.Printf("%s %s %v %d bytes\n", t.Name, t.Type, t.Dims, t.Size)
	}
	_, err = f.Uint("bitnet-b1.58.context_length")
	fmt.Println(err)
	// Output:
	// bitnet-b1.58 1 [<s> a b]
	// blk.0.attn_q.weight I2_S [128 2] 96 bytes
	// gguf: tiny.gguf: key "bitnet-b1.58.context_length": not found
}

// ExampleOpen maps a model file and reads its tensor table.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "gguf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.gguf")
	w := gguf.NewWriter()
	w.AddString("general.architecture", "bitnet-b1.58")
	w.AddTensor("output_norm.weight", gguf.TypeF32, []uint64{4}, make([]byte, 16))
	if err := w.WriteFile(path); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	t, _ := f.Tensor("output_norm.weight")
	b, err := f.TensorData(t) // read-only view, valid until Close
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Version, f.Alignment, f.DataOffset%f.Alignment, len(b))
	// Output:
	// 3 32 0 16
}
