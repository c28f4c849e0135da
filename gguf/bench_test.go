package gguf

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

// vocabHeader returns a file shaped like the BitNet-b1.58-2B-4T header: a
// 128256-entry vocabulary with token types and 280k merges (spec §5.1),
// plus one small tensor.
func vocabHeader(b *testing.B) []byte {
	b.Helper()
	const nVocab, nMerges = 128256, 280147
	tokens := make([]string, nVocab)
	types := make([]int32, nVocab)
	for i := range tokens {
		tokens[i] = "Ġtok" + strconv.Itoa(i)
		types[i] = 1
	}
	merges := make([]string, nMerges)
	for i := range merges {
		merges[i] = "Ġa" + strconv.Itoa(i) + " b"
	}
	w := NewWriter()
	w.AddString("general.architecture", "bitnet-b1.58")
	w.AddStrings("tokenizer.ggml.tokens", tokens)
	w.AddInt32s("tokenizer.ggml.token_type", types)
	w.AddStrings("tokenizer.ggml.merges", merges)
	w.AddTensor("output_norm.weight", TypeF32, []uint64{2560}, make([]byte, 4*2560))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkParseHeader measures parsing a 2B-4T-sized header from memory
// (the mmap path) and through ReadAt.
func BenchmarkParseHeader(b *testing.B) {
	data := vocabHeader(b)
	b.Run("FromBytes", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := FromBytes(data, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("NewReader", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWriteHeader measures writing the same header.
func BenchmarkWriteHeader(b *testing.B) {
	f, err := FromBytes(vocabHeader(b), "bench")
	if err != nil {
		b.Fatal(err)
	}
	n, err := rewriteTo(f, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rewriteTo(f, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
