package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/internal/shareddata"
)

// maxTensorEnd returns the end of the last tensor byte and of the
// tensor-info table: truncating a file before that must fail, at or after
// it must succeed.
func maxTensorEnd(f *File) int {
	end := f.infoEnd
	for _, t := range f.Tensors {
		end = max(end, f.DataOffset+t.Offset+t.Size)
	}
	return int(end)
}

// checkTruncated parses b[:n] in memory and, when viaReader is set,
// through NewReader both with the true size and, for a cut inside the
// header (which ends at infoEnd), with a size that claims the whole file so
// that ReadAt comes up short.
func checkTruncated(t *testing.T, b []byte, n, need, infoEnd int, viaReader bool) {
	t.Helper()
	_, err := FromBytes(b[:n], "m.gguf")
	errs := []error{err}
	if viaReader {
		_, err = NewReader(bytes.NewReader(b[:n]), int64(n), "m.gguf")
		errs = append(errs, err)
		if n < infoEnd {
			_, err = NewReader(bytes.NewReader(b[:n]), int64(len(b)), "m.gguf")
			if err == nil {
				t.Fatalf("truncated at %d with full size claimed: no error", n)
			}
		}
	}
	for _, err := range errs {
		if n >= need {
			if err != nil {
				t.Fatalf("truncated at %d (need %d): %v", n, need, err)
			}
			continue
		}
		if err == nil {
			t.Fatalf("truncated at %d of %d: no error", n, len(b))
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "gguf: m.gguf: ") {
			t.Fatalf("truncated at %d: error %q does not name the file", n, msg)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(msg, "remain") &&
			!strings.Contains(msg, "past end of file") {
			t.Fatalf("truncated at %d: error %q is not about truncation", n, msg)
		}
	}
}

func TestTruncateSynthetic(t *testing.T) {
	b := synthFile(t)
	f, err := FromBytes(b, "m.gguf")
	if err != nil {
		t.Fatal(err)
	}
	need := maxTensorEnd(f)
	for n := range len(b) + 1 {
		checkTruncated(t, b, n, need, int(f.infoEnd), true)
	}
}

func TestTruncateReal(t *testing.T) {
	path := filepath.Join(shareddata.Path(t), "models", "kjv-tiny", "kjv-tiny-i2_s.gguf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := FromBytes(b, "m.gguf")
	if err != nil {
		t.Fatal(err)
	}
	need := maxTensorEnd(f)
	var cuts []int
	for n := range 4096 {
		cuts = append(cuts, n)
	}
	for n := 4096; n < int(f.DataOffset); n += 4099 {
		cuts = append(cuts, n)
	}
	for n := int(f.DataOffset) - 40; n < len(b); n += 65521 {
		cuts = append(cuts, n)
	}
	for _, ti := range f.Tensors {
		end := int(f.DataOffset + ti.Offset + ti.Size)
		cuts = append(cuts, end-1, end)
	}
	cuts = append(cuts, int(f.infoEnd)-1, int(f.infoEnd), len(b))
	for i, n := range cuts {
		checkTruncated(t, b, n, need, int(f.infoEnd), i%16 == 0)
	}
}

// realLayout locates fields of a real file for the corruption tests.
type realLayout struct {
	b []byte
	f *File
}

// key returns the offset of key's length prefix.
func (l realLayout) key(t *testing.T, key string) int {
	t.Helper()
	pat := binary.LittleEndian.AppendUint64(nil, uint64(len(key)))
	pat = append(pat, key...)
	i := bytes.Index(l.b[:l.f.infoEnd], pat)
	if i < 0 {
		t.Fatalf("key %q not found", key)
	}
	return i
}

// value returns the offset of key's value (after its type tag).
func (l realLayout) value(t *testing.T, key string) int {
	return l.key(t, key) + 8 + len(key) + 4
}

// info returns the offset of the n_dims field of tensor name.
func (l realLayout) info(t *testing.T, name string) int {
	t.Helper()
	pat := binary.LittleEndian.AppendUint64(nil, uint64(len(name)))
	pat = append(pat, name...)
	i := bytes.LastIndex(l.b[:l.f.infoEnd], pat)
	if i < 0 {
		t.Fatalf("tensor %q not found", name)
	}
	return i + len(pat)
}

// typeField returns the offset of the type field of tensor name.
func (l realLayout) typeField(t *testing.T, name string) int {
	ti, _ := l.f.Tensor(name)
	return l.info(t, name) + 4 + 8*len(ti.Dims)
}

func put32(b []byte, off int, x uint32) { binary.LittleEndian.PutUint32(b[off:], x) }
func put64(b []byte, off int, x uint64) { binary.LittleEndian.PutUint64(b[off:], x) }

func TestCorruptReal(t *testing.T) {
	path := filepath.Join(shareddata.Path(t), "models", "kjv-tiny", "kjv-tiny-i2_s.gguf")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := FromBytes(orig, "kjv.gguf")
	if err != nil {
		t.Fatal(err)
	}
	l := realLayout{orig, f}
	const last = "blk.5.ffn_down.weight" // near the end of the file
	const q, k = "blk.0.attn_q.weight", "blk.0.attn_k.weight"
	tests := []struct {
		name string
		mut  func(b []byte)
		want string // substring of the error
	}{
		{"magic", func(b []byte) { b[3] = 'X' }, "magic 47 47 55 58"},
		{"version 1", func(b []byte) { put32(b, 4, 1) }, "version 1 is not supported"},
		{"version 4", func(b []byte) { put32(b, 4, 4) }, "unsupported GGUF version 4"},
		{"big-endian", func(b []byte) { put32(b, 4, 0x03000000) }, "big-endian"},
		{"tensor count huge", func(b []byte) { put64(b, 8, 1<<62) }, "tensor count 4611686018427387904 are impossible"},
		{"tensor count max", func(b []byte) { put64(b, 8, math.MaxUint64) }, "impossible"},
		{"kv count huge", func(b []byte) { put64(b, 16, 1<<40) }, "kv count 1099511627776"},
		{"key length huge", func(b []byte) { put64(b, 24, 1<<40) }, "reading kv 0 key: length 1099511627776 exceeds"},
		{"key length 70000", func(b []byte) { put64(b, 24, 70000) }, "limit of 65535"},
		{"key length past EOF", func(b []byte) { put64(b, l.key(t, "general.quantization_version"), 70000) },
			"reading kv 23 key: length 70000 exceeds the limit of 65535"},
		{"long garbage key elided", func(b []byte) { put64(b, l.key(t, "general.quantization_version"), 60000) },
			`kv 23 ("general.quantization_version\x04\x00`},
		{"long garbage key length", func(b []byte) { put64(b, l.key(t, "general.quantization_version"), 60000) },
			`" (60000 bytes)): unknown value type`},
		{"value type unknown", func(b []byte) { put32(b, l.value(t, "general.name")-4, 13) },
			`kv 1 ("general.name"): unknown value type 13`},
		{"string length huge", func(b []byte) { put64(b, l.value(t, "general.architecture"), 1<<40) },
			`kv 0 ("general.architecture"): reading string value: length 1099511627776: unexpected EOF`},
		{"array count huge", func(b []byte) { put64(b, l.value(t, "tokenizer.ggml.tokens")+4, 1<<40) },
			`("tokenizer.ggml.tokens"): array of 1099511627776 string elements cannot fit`},
		{"array count off by many", func(b []byte) { put64(b, l.value(t, "tokenizer.ggml.token_type")+4, 1<<30) },
			`("tokenizer.ggml.token_type"): array of 1073741824 int32 elements cannot fit`},
		{"array element type", func(b []byte) { put32(b, l.value(t, "tokenizer.ggml.merges"), 42) },
			"array of unknown value type 42"},
		{"array string length", func(b []byte) { put64(b, l.value(t, "tokenizer.ggml.tokens")+12, 1<<50) },
			"array of 8256 strings: element 0: length 1125899906842624"},
		{"bool byte", func(b []byte) { b[l.value(t, "tokenizer.ggml.add_bos_token")] = 2 },
			`("tokenizer.ggml.add_bos_token"): bool byte 2, want 0 or 1`},
		{"duplicate key", func(b []byte) {
			copy(b[l.key(t, "tokenizer.ggml.eos_token_id")+8:], "tokenizer.ggml.bos_token_id")
		}, `duplicate key "tokenizer.ggml.bos_token_id"`},
		{"duplicate tensor", func(b []byte) { copy(b[l.info(t, k)-len(k):], q) },
			`duplicate tensor name "blk.0.attn_q.weight"`},
		{"tensor name long", func(b []byte) { put64(b, l.info(t, q)-len(q)-8, 64) }, "length 64 exceeds the limit of 63"},
		{"n_dims 0", func(b []byte) { put32(b, l.info(t, q), 0) }, `("blk.0.attn_q.weight"): n_dims 0, want 1..4`},
		{"n_dims 5", func(b []byte) { put32(b, l.info(t, q), 5) }, "n_dims 5"},
		{"dim zero", func(b []byte) { put64(b, l.info(t, q)+12, 0) }, `("blk.0.attn_q.weight"): dim 1 is zero`},
		{"dim overflow", func(b []byte) { put64(b, l.info(t, q)+4, 1<<62) }, "overflows int64"},
		{"dim huge", func(b []byte) { put64(b, l.info(t, q)+4, 1<<40) }, "past end of file"},
		{"ne0 not multiple", func(b []byte) {
			put32(b, l.typeField(t, q), uint32(TypeQ8_0))
			put64(b, l.info(t, q)+4, 100)
		}, "ne0 100 is not a multiple of the block size 32"},
		{"type unknown", func(b []byte) { put32(b, l.typeField(t, q), 77) },
			`tensor info 2 ("blk.0.attn_q.weight"): unknown tensor type 77`},
		{"type reserved 31", func(b []byte) { put32(b, l.typeField(t, q), 31) }, "unknown tensor type 31"},
		{"type I8_S", func(b []byte) { put32(b, l.typeField(t, q), 37) }, "I8_S (37) is an internal activation type"},
		{"type grows last tensor", func(b []byte) { put32(b, l.typeField(t, last), uint32(TypeF32)) },
			"extends past end of file"},
		{"offset misaligned", func(b []byte) { put64(b, l.typeField(t, q)+4, 16416+1) },
			"offset 16417 is not a multiple of the alignment 32"},
		{"offset past EOF", func(b []byte) { put64(b, l.typeField(t, q)+4, 1<<40) }, `tensor 2 ("blk.0.attn_q.weight"): data`},
		{"offset overflow", func(b []byte) { put64(b, l.typeField(t, q)+4, math.MaxUint64-31) }, "past end of file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(orig)
			tt.mut(b)
			_, err := FromBytes(b, "kjv.gguf")
			_, err2 := NewReader(bytes.NewReader(b), int64(len(b)), "kjv.gguf")
			for _, err := range []error{err, err2} {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "gguf: kjv.gguf: ") {
					t.Fatalf("error %v, want one containing %q", err, tt.want)
				}
			}
		})
	}
}

// TestFlipTypes sets every tensor's type to every id 0..255: the result is
// an error or a file whose sizes agree with TensorSize, never a panic.
func TestFlipTypes(t *testing.T) {
	b := synthFile(t)
	f, err := FromBytes(b, "m.gguf")
	if err != nil {
		t.Fatal(err)
	}
	l := realLayout{b, f}
	for _, ti := range f.Tensors {
		off := l.typeField(t, ti.Name)
		for id := range uint32(256) {
			c := bytes.Clone(b)
			put32(c, off, id)
			g, err := FromBytes(c, "m.gguf")
			if err != nil {
				if !strings.Contains(err.Error(), ti.Name) {
					t.Fatalf("type %d on %q: error %v does not name the tensor", id, ti.Name, err)
				}
				continue
			}
			got, _ := g.Tensor(ti.Name)
			if want, err := TensorSize(Type(id), got.Dims); err != nil || got.Size != want {
				t.Fatalf("type %d on %q: size %d, TensorSize %d, %v", id, ti.Name, got.Size, want, err)
			}
		}
	}
}

// rawFile assembles a GGUF image by hand for cases the Writer refuses to
// produce.
type rawFile struct{ bytes.Buffer }

func (r *rawFile) u32(x uint32) *rawFile {
	r.Write(binary.LittleEndian.AppendUint32(nil, x))
	return r
}

func (r *rawFile) u64(x uint64) *rawFile {
	r.Write(binary.LittleEndian.AppendUint64(nil, x))
	return r
}

func (r *rawFile) str(s string) *rawFile {
	r.u64(uint64(len(s)))
	r.WriteString(s)
	return r
}

// header starts a file of the given version and counts.
func header(version uint32, nTensors, nKV uint64) *rawFile {
	r := &rawFile{}
	r.WriteString("GGUF")
	return r.u32(version).u64(nTensors).u64(nKV)
}

func TestCorruptSynthetic(t *testing.T) {
	tests := []struct {
		name string
		file func() []byte
		want string // substring of the error; "" for success
	}{
		{"empty", func() []byte { return nil }, "reading magic: unexpected EOF"},
		{"v2 accepted", func() []byte { return header(2, 0, 1).str("a").u32(uint32(TypeUint8)).u32(7).Bytes()[:38] }, ""},
		{"alignment zero", func() []byte {
			return header(3, 0, 1).str(keyAlignment).u32(uint32(TypeUint32)).u32(0).Bytes()
		}, `key "general.alignment": alignment 0`},
		{"alignment 12", func() []byte {
			return header(3, 0, 1).str(keyAlignment).u32(uint32(TypeUint32)).u32(12).Bytes()
		}, "alignment 12, want a non-zero multiple of 8"},
		{"alignment u64", func() []byte {
			return header(3, 0, 1).str(keyAlignment).u32(uint32(TypeUint64)).u64(64).Bytes()
		}, `key "general.alignment": want uint32, found uint64`},
		{"alignment 64 offsets", func() []byte {
			r := header(3, 1, 1).str(keyAlignment).u32(uint32(TypeUint32)).u32(64)
			r.str("t").u32(1).u64(4).u32(uint32(TypeF32)).u64(32)
			r.Write(make([]byte, 256))
			return r.Bytes()
		}, `tensor info 0 ("t"): offset 32 is not a multiple of the alignment 64`},
		{"empty key", func() []byte { return header(3, 0, 1).str("").u32(uint32(TypeBool)).u32(1).Bytes() }, "kv 0: empty key"},
		{"empty tensor name", func() []byte {
			return header(3, 1, 0).str("").u32(1).u64(1).u32(0).u64(0).Bytes()
		}, "tensor info 0: empty name"},
		{"nested too deep", func() []byte {
			r := header(3, 0, 1).str("deep").u32(uint32(TypeArray))
			for range maxDepth {
				r.u32(uint32(TypeArray)).u64(1)
			}
			return r.u32(uint32(TypeUint8)).u64(0).Bytes()
		}, "arrays nested deeper than 8"},
		{"nested bad element", func() []byte {
			return header(3, 0, 1).str("n").u32(uint32(TypeArray)).u32(uint32(TypeArray)).u64(2).
				u32(uint32(TypeUint8)).u64(0).u32(99).u64(0).Bytes()
		}, "array of 2 arrays: element 1: array of unknown value type 99"},
		{"bool array byte", func() []byte {
			r := header(3, 0, 1).str("b").u32(uint32(TypeArray)).u32(uint32(TypeBool)).u64(3)
			r.Write([]byte{1, 0, 5})
			return r.Bytes()
		}, "element 2: bool byte 5"},
		{"array of empty arrays bounded", func() []byte {
			return header(3, 0, 1).str("n").u32(uint32(TypeArray)).u32(uint32(TypeArray)).u64(1 << 30).Bytes()
		}, "array of 1073741824 array elements cannot fit"},
		{"counts together", func() []byte {
			r := header(3, 2, 2)
			r.Write(make([]byte, 2*13+32)) // enough for each count alone, not both
			return r.Bytes()
		}, "kv count 2 and tensor count 2 are impossible"},
		{"no tensors, data past EOF", func() []byte {
			return header(3, 0, 1).str("k").u32(uint32(TypeUint8)).u32(5).Bytes()[:38]
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.file()
			_, err := FromBytes(b, "m.gguf")
			_, err2 := NewReader(bytes.NewReader(b), int64(len(b)), "m.gguf")
			for _, err := range []error{err, err2} {
				if tt.want == "" {
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one containing %q", err, tt.want)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), empty+": reading magic") {
		t.Errorf("Open(empty) = %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil), -1, "neg"); err == nil {
		t.Error("NewReader with negative size: no error")
	}
	// TensorData after Close fails instead of touching the unmapped memory.
	path := filepath.Join(dir, "m.gguf")
	os.WriteFile(path, synthFile(t), 0o644)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.TensorData(&f.Tensors[0]); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("TensorData after Close = %v", err)
	}
}
