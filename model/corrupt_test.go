package model

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/internal/gguftest"
)

// load parses and binds a GGUF image; it must return an error, never panic.
func load(b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			panic(r) // re-panic so the test fails with the stack
		}
	}()
	f, err := gguf.FromBytes(b, "corrupt.gguf")
	if err != nil {
		return err
	}
	m, err := Load(f, Options{Threads: 1})
	if err != nil {
		return err
	}
	m.Close()
	return nil
}

func TestCorruptFilesGiveErrors(t *testing.T) {
	orig := defaultmodel.Bytes()
	if err := load(orig); err != nil {
		t.Fatalf("the intact model fails to load: %v", err)
	}

	t.Run("truncated", func(t *testing.T) {
		f, _ := gguf.FromBytes(orig, "x")
		header := int(f.DataOffset)
		var offsets []int
		for n := 0; n < header; n += 1 + n/64 {
			offsets = append(offsets, n)
		}
		for n := header; n < len(orig); n += len(orig) / 97 {
			offsets = append(offsets, n)
		}
		offsets = append(offsets, len(orig)-1)
		for _, n := range offsets {
			if err := load(orig[:n]); err == nil {
				t.Errorf("file truncated to %d of %d bytes loaded without error", n, len(orig))
			}
		}
	})

	cases := []struct {
		name    string
		mutate  func(b []byte)
		wantErr string
	}{
		{"I2_S as F32", func(b []byte) {
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "blk.0.attn_q.weight", 2):], uint32(gguf.TypeF32))
		}, "blk.0.attn_q.weight"},
		{"I2_S as TQ2_0", func(b []byte) {
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "blk.2.ffn_up.weight", 2):], uint32(gguf.TypeTQ2_0))
		}, "blk.2.ffn_up.weight"},
		{"unknown type id", func(b []byte) {
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "blk.0.attn_k.weight", 2):], 99)
		}, "blk.0.attn_k.weight"},
		{"TL2", func(b []byte) {
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "blk.0.attn_v.weight", 2):], uint32(gguf.TypeTL2))
		}, "blk.0.attn_v.weight"},
		{"embedding as I2_S", func(b []byte) {
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "token_embd.weight", 2):], uint32(gguf.TypeI2_S))
		}, "token_embd.weight"},
		{"absurd dim", func(b []byte) {
			off := gguftest.TypeFieldOffset(t, b, "blk.1.ffn_down.weight", 2) - 16
			binary.LittleEndian.PutUint64(b[off:], 1<<40)
		}, "blk.1.ffn_down.weight"},
		{"zero dim", func(b []byte) {
			off := gguftest.TypeFieldOffset(t, b, "output_norm.weight", 1) - 8
			binary.LittleEndian.PutUint64(b[off:], 0)
		}, "output_norm.weight"},
		{"norm length", func(b []byte) {
			off := gguftest.TypeFieldOffset(t, b, "blk.3.attn_norm.weight", 1) - 8
			binary.LittleEndian.PutUint64(b[off:], 128)
		}, "blk.3.attn_norm.weight"},
		{"I2_S code 3", func(b []byte) {
			f, _ := gguf.FromBytes(orig, "x")
			ti, _ := f.Tensor("blk.4.attn_output.weight")
			b[f.DataOffset+ti.Offset+7] = 0xFF
		}, "blk.4.attn_output.weight"},
		{"architecture", func(b []byte) {
			i := bytes.Index(b, []byte("bitnet-b1.58"))
			copy(b[i:], "qwen2-b1.58X")
		}, "architecture"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(orig)
			tc.mutate(b)
			err := load(b)
			if err == nil {
				t.Fatalf("corrupted file loaded without error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not name %q", err, tc.wantErr)
			}
		})
	}

	t.Run("random header bytes", func(t *testing.T) {
		f, _ := gguf.FromBytes(orig, "x")
		r := rand.New(rand.NewPCG(7, 7))
		for range 300 {
			b := bytes.Clone(orig)
			for range 1 + r.IntN(4) {
				b[r.IntN(int(f.DataOffset))] = byte(r.Uint32())
			}
			_ = load(b) // an error or a model, never a panic
		}
	})
}

func TestMissingKeyNamed(t *testing.T) {
	f, err := defaultmodel.Open()
	if err != nil {
		t.Fatal(err)
	}
	w := gguf.NewWriter()
	for _, kv := range f.KV {
		if kv.Key == "bitnet-b1.58.block_count" {
			continue
		}
		w.Add(kv.Key, kv.Value)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	g, err := gguf.FromBytes(buf.Bytes(), "nokey.gguf")
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewConfig(g)
	if err == nil || !strings.Contains(err.Error(), "bitnet-b1.58.block_count") {
		t.Errorf("NewConfig without block_count: %v, want an error naming the key", err)
	}
}
