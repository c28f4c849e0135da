package gguf

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, align := range []uint64{32, 64, 8, 24} {
		w, data := synthWriter(t, align)
		var buf bytes.Buffer
		n, err := w.WriteTo(&buf)
		if err != nil {
			t.Fatalf("align %d: WriteTo: %v", align, err)
		}
		if n != int64(buf.Len()) {
			t.Fatalf("align %d: WriteTo returned %d, wrote %d", align, n, buf.Len())
		}
		wantKV := synthKVs()
		if align != DefaultAlignment {
			// SetAlignment runs before the other keys are added.
			wantKV = append([]KV{{keyAlignment, Value{Type: TypeUint32, V: uint32(align)}}}, wantKV...)
		}
		for mode, f := range readModes(t, buf.Bytes()) {
			t.Run(mode+"/align"+itoa(align), func(t *testing.T) {
				if f.Version != 3 || f.Alignment != align {
					t.Fatalf("version %d alignment %d, want 3 and %d", f.Version, f.Alignment, align)
				}
				if f.DataOffset%align != 0 {
					t.Errorf("DataOffset %d not a multiple of %d", f.DataOffset, align)
				}
				if f.Size() != int64(buf.Len()) {
					t.Errorf("Size() = %d, want %d", f.Size(), buf.Len())
				}
				equalKVs(t, f.KV, wantKV)
				if len(f.Tensors) != len(synthTensors) {
					t.Fatalf("%d tensors, want %d", len(f.Tensors), len(synthTensors))
				}
				next := uint64(0)
				for i, tt := range synthTensors {
					ti, ok := f.Tensor(tt.name)
					if !ok || ti != &f.Tensors[i] {
						t.Fatalf("Tensor(%q) = %v, %v; want entry %d", tt.name, ti, ok, i)
					}
					size, _ := TensorSize(tt.typ, tt.dims)
					if ti.Type != tt.typ || !slices.Equal(ti.Dims, tt.dims) || ti.Size != size {
						t.Errorf("tensor %q = %+v, want %s %v size %d", tt.name, ti, tt.typ, tt.dims, size)
					}
					// Back to back, each padded to the alignment (spec §1.5).
					if ti.Offset != next {
						t.Errorf("tensor %q offset %d, want %d", tt.name, ti.Offset, next)
					}
					next += alignUp(size, align)
					got, err := f.TensorData(ti)
					if err != nil {
						t.Fatalf("TensorData(%q): %v", tt.name, err)
					}
					if !bytes.Equal(got, data[tt.name]) {
						t.Errorf("TensorData(%q) differs", tt.name)
					}
					// Padding after the tensor is zero.
					end := f.DataOffset + ti.Offset + ti.Size
					for _, b := range buf.Bytes()[end : f.DataOffset+next] {
						if b != 0 {
							t.Fatalf("non-zero padding after %q", tt.name)
						}
					}
				}
				if f.DataOffset+next != uint64(buf.Len()) {
					t.Errorf("file size %d, want %d", buf.Len(), f.DataOffset+next)
				}
				if _, ok := f.Tensor("missing"); ok {
					t.Error("Tensor(missing) found")
				}
				if v, ok := f.Lookup("test.string"); !ok || v.V != "héllo\x00world" {
					t.Errorf("Lookup(test.string) = %v, %v", v, ok)
				}
			})
		}
	}
}

func itoa(x uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
		if x == 0 {
			return string(b[i:])
		}
	}
}

// TestSpecHeaderBytes writes the start of a file shaped like the official
// BitNet-b1.58-2B-4T I2_S GGUF and compares it with the bytes in spec §1.7.
func TestSpecHeaderBytes(t *testing.T) {
	const want = "47475546" + "03000000" + "4C01000000000000" + "1800000000000000" +
		"1400000000000000" + "67656e6572616c2e617263686974656374757265" + // "general.architecture"
		"08000000" + "0C00000000000000" + "6269746e65742d62312e3538" // "bitnet-b1.58"
	w := NewWriter()
	w.AddString("general.architecture", "bitnet-b1.58")
	for i := range 23 {
		w.AddUint32("test.key"+itoa(uint64(i)), uint32(i))
	}
	const qSize = 2560*2560/4 + 32
	err := w.AddTensorFunc("blk.0.attn_q.weight", TypeI2_S, []uint64{2560, 2560}, func(out io.Writer) error {
		_, err := out.Write(make([]byte, qSize))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 331 {
		if err := w.AddTensor("t"+itoa(uint64(i)), TypeF32, []uint64{1}, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	wantBytes, _ := hex.DecodeString(want)
	if got := buf.Bytes()[:len(wantBytes)]; !bytes.Equal(got, wantBytes) {
		t.Fatalf("header bytes\n got %x\nwant %x", got, wantBytes)
	}

	// The tensor-info record of blk.0.attn_q.weight (spec §1.7).
	rec := binary.LittleEndian.AppendUint64(nil, 19)
	rec = append(rec, "blk.0.attn_q.weight"...)
	rec = binary.LittleEndian.AppendUint32(rec, 2)
	rec = binary.LittleEndian.AppendUint64(rec, 2560)
	rec = binary.LittleEndian.AppendUint64(rec, 2560)
	rec = binary.LittleEndian.AppendUint32(rec, 36)
	rec = binary.LittleEndian.AppendUint64(rec, 0) // first tensor: offset 0
	if !bytes.Contains(buf.Bytes(), rec) {
		t.Fatalf("tensor-info record %x not found", rec)
	}
	f, err := FromBytes(buf.Bytes(), "2b4t-head")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := f.Tensor("blk.0.attn_q.weight")
	if q.Size != 1638432 || len(f.KV) != 24 || len(f.Tensors) != 332 {
		t.Fatalf("size %d, %d KVs, %d tensors; want 1638432, 24, 332", q.Size, len(f.KV), len(f.Tensors))
	}
}

// TestWriterOrder checks that replacing a key keeps its position and that
// general.alignment stays consistent with SetAlignment.
func TestWriterOrder(t *testing.T) {
	w := NewWriter()
	w.AddString("a", "1")
	w.AddUint32("b", 2)
	w.AddString("a", "3")
	w.SetAlignment(32) // default: no key
	w.AddBool("c", true)
	w.SetAlignment(64)
	w.SetAlignment(32) // key present: updated in place
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := FromBytes(buf.Bytes(), "order")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range f.KV {
		keys = append(keys, kv.Key)
	}
	if got := strings.Join(keys, ","); got != "a,b,c,general.alignment" {
		t.Errorf("keys %s, want a,b,c,general.alignment", got)
	}
	if s, _ := f.String("a"); s != "3" {
		t.Errorf("a = %q, want 3", s)
	}
	if a, _ := f.Uint(keyAlignment); a != 32 || f.Alignment != 32 {
		t.Errorf("alignment key %d, Alignment %d; want 32", a, f.Alignment)
	}
	if len(f.Tensors) != 0 || f.DataOffset%32 != 0 || f.DataOffset != uint64(buf.Len()) {
		t.Errorf("empty file: %d tensors, DataOffset %d, size %d", len(f.Tensors), f.DataOffset, buf.Len())
	}
}

func TestWriterErrors(t *testing.T) {
	f32 := []uint64{4}
	tests := []struct {
		name  string
		build func(w *Writer) error // error from Add* calls
		err   string                // substring of the AddTensor or WriteTo error
	}{
		{"wrong data size", func(w *Writer) error {
			return w.AddTensor("a", TypeF32, f32, make([]byte, 15))
		}, `tensor "a": 15 bytes of data, want 16`},
		{"duplicate tensor", func(w *Writer) error {
			w.AddTensor("a", TypeF32, f32, make([]byte, 16))
			return w.AddTensor("a", TypeF32, f32, make([]byte, 16))
		}, `tensor "a" added twice`},
		{"long name", func(w *Writer) error {
			return w.AddTensor(strings.Repeat("n", 64), TypeF32, f32, make([]byte, 16))
		}, "name length 64"},
		{"empty name", func(w *Writer) error {
			return w.AddTensor("", TypeF32, f32, make([]byte, 16))
		}, "name length 0"},
		{"I8_S", func(w *Writer) error {
			return w.AddTensor("a", TypeI8_S, f32, make([]byte, 4))
		}, "I8_S"},
		{"unknown type", func(w *Writer) error {
			return w.AddTensor("a", Type(99), f32, nil)
		}, "unknown tensor type 99"},
		{"nil func", func(w *Writer) error {
			return w.AddTensorFunc("a", TypeF32, f32, nil)
		}, "nil func"},
		{"func writes too little", func(w *Writer) error {
			return w.AddTensorFunc("a", TypeF32, f32, func(out io.Writer) error {
				_, err := out.Write(make([]byte, 3))
				return err
			})
		}, `tensor "a": func wrote 3 bytes, want 16`},
		{"func writes too much", func(w *Writer) error {
			return w.AddTensorFunc("a", TypeF32, f32, func(out io.Writer) error {
				_, err := out.Write(make([]byte, 17))
				return err
			})
		}, `gguf: writer: tensor "a": func wrote more than 16 bytes`},
		{"func ignores overflow", func(w *Writer) error {
			return w.AddTensorFunc("a", TypeF32, f32, func(out io.Writer) error {
				out.Write(make([]byte, 10))
				out.Write(make([]byte, 10))
				return nil
			})
		}, `tensor "a": func wrote more than 16 bytes`},
		{"func fails", func(w *Writer) error {
			return w.AddTensorFunc("a", TypeF32, f32, func(io.Writer) error { return io.ErrClosedPipe })
		}, `tensor "a": io: read/write on closed pipe`},
		{"bad alignment", func(w *Writer) error { w.SetAlignment(12); return nil }, "alignment 12"},
		{"zero alignment", func(w *Writer) error { w.SetAlignment(0); return nil }, "alignment 0"},
		{"huge alignment", func(w *Writer) error { w.SetAlignment(1 << 33); return nil }, "alignment 8589934592"},
		{"alignment not u32", func(w *Writer) error { w.AddUint64(keyAlignment, 64); return nil },
			`key "general.alignment": want uint32, found uint64`},
		{"empty key", func(w *Writer) error { w.AddBool("", true); return nil }, `key "": length 0`},
		{"long key", func(w *Writer) error { w.AddBool(strings.Repeat("k", 65536), true); return nil }, "length 65536"},
		{"value type mismatch", func(w *Writer) error {
			w.Add("k", Value{Type: TypeUint32, V: 5})
			return nil
		}, `key "k": uint32 value holds Go type int`},
		{"unknown value type", func(w *Writer) error { w.Add("k", Value{Type: 13, V: 5}); return nil }, "unknown value type 13"},
		{"array type mismatch", func(w *Writer) error {
			w.Add("k", Value{Type: TypeArray, ElemType: TypeString, V: []int32{1}})
			return nil
		}, "array of string holds Go type []int32"},
		{"too deep", func(w *Writer) error {
			v := Value{Type: TypeArray, ElemType: TypeUint8, V: []uint8{}}
			for range maxDepth {
				v = Value{Type: TypeArray, ElemType: TypeArray, V: []Value{v}}
			}
			w.Add("k", v)
			return nil
		}, "nested deeper than 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter()
			err := tt.build(w)
			if err == nil {
				_, err = w.WriteTo(io.Discard)
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "gguf: ") {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestMaxDepthAccepted checks that the deepest nesting the writer accepts
// also reads back.
func TestMaxDepthAccepted(t *testing.T) {
	v := Value{Type: TypeArray, ElemType: TypeUint8, V: []uint8{7}}
	for range maxDepth - 1 {
		v = Value{Type: TypeArray, ElemType: TypeArray, V: []Value{v}}
	}
	w := NewWriter()
	w.Add("deep", v)
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := FromBytes(buf.Bytes(), "deep")
	if err != nil {
		t.Fatal(err)
	}
	equalKVs(t, f.KV, []KV{{"deep", v}})
}
