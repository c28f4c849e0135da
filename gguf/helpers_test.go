package gguf

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// equalValue reports whether a and b have the same tags and the same
// contents, comparing floats by their bits so that NaNs compare equal.
func equalValue(a, b Value) bool {
	if a.Type != b.Type || a.ElemType != b.ElemType {
		return false
	}
	switch x := a.V.(type) {
	case float32:
		y, ok := b.V.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case float64:
		y, ok := b.V.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []float32:
		y, ok := b.V.([]float32)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	case []float64:
		y, ok := b.V.([]float64)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	case []Value:
		y, ok := b.V.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case []uint8:
		y, ok := b.V.([]uint8)
		return ok && bytes.Equal(x, y)
	}
	if a.Type == TypeArray {
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if a.elem(i).V != b.elem(i).V {
				return false
			}
		}
		return true
	}
	return a.V == b.V
}

// equalKVs compares two metadata lists in order.
func equalKVs(t testing.TB, got, want []KV) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d KVs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key {
			t.Fatalf("KV %d: key %q, want %q", i, got[i].Key, want[i].Key)
		}
		if !equalValue(got[i].Value, want[i].Value) {
			t.Fatalf("KV %d (%q): value %v (%s), want %v (%s)", i, want[i].Key,
				got[i].Value, got[i].Value.describe(), want[i].Value, want[i].Value.describe())
		}
	}
}

// equalInfos compares tensor-info tables; offsets are compared only when
// withOffsets is set.
func equalInfos(t testing.TB, got, want []TensorInfo, withOffsets bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Type != w.Type || g.Size != w.Size || !slices.Equal(g.Dims, w.Dims) ||
			(withOffsets && g.Offset != w.Offset) {
			t.Fatalf("tensor %d: got %+v, want %+v", i, g, w)
		}
	}
}

// testTensor is a tensor of the synthetic test file.
type testTensor struct {
	name string
	typ  Type
	dims []uint64
}

// synthKVs returns metadata covering every value type, arrays of every
// element type (empty ones included) and nested arrays.
func synthKVs() []KV {
	arr := func(et ValueType, v any) Value { return Value{Type: TypeArray, ElemType: et, V: v} }
	return []KV{
		{"general.architecture", Value{Type: TypeString, V: "bitnet-b1.58"}},
		{"test.u8", Value{Type: TypeUint8, V: uint8(200)}},
		{"test.i8", Value{Type: TypeInt8, V: int8(-100)}},
		{"test.u16", Value{Type: TypeUint16, V: uint16(60000)}},
		{"test.i16", Value{Type: TypeInt16, V: int16(-30000)}},
		{"test.u32", Value{Type: TypeUint32, V: uint32(4000000000)}},
		{"test.i32", Value{Type: TypeInt32, V: int32(-2000000000)}},
		{"test.f32", Value{Type: TypeFloat32, V: float32(1.5)}},
		{"test.bool", Value{Type: TypeBool, V: true}},
		{"test.false", Value{Type: TypeBool, V: false}},
		{"test.string", Value{Type: TypeString, V: "héllo\x00world"}},
		{"test.empty", Value{Type: TypeString, V: ""}},
		{"test.u64", Value{Type: TypeUint64, V: uint64(1<<63 + 5)}},
		{"test.i64", Value{Type: TypeInt64, V: int64(-1 << 62)}},
		{"test.f64", Value{Type: TypeFloat64, V: math.Pi}},
		{"arr.u8", arr(TypeUint8, []uint8{0, 1, 255})},
		{"arr.i8", arr(TypeInt8, []int8{-128, 0, 127})},
		{"arr.u16", arr(TypeUint16, []uint16{0, 65535})},
		{"arr.i16", arr(TypeInt16, []int16{-32768, 32767})},
		{"arr.u32", arr(TypeUint32, []uint32{0, 1, 4294967295})},
		{"arr.i32", arr(TypeInt32, []int32{-2147483648, 0, 2147483647})},
		{"arr.f32", arr(TypeFloat32, []float32{-1.25, 0, float32(math.Inf(1)), float32(math.NaN())})},
		{"arr.bool", arr(TypeBool, []bool{true, false, true})},
		{"arr.string", arr(TypeString, []string{"", "a", "ĠĠ", "<|eot_id|>"})},
		{"arr.u64", arr(TypeUint64, []uint64{0, math.MaxUint64})},
		{"arr.i64", arr(TypeInt64, []int64{math.MinInt64, math.MaxInt64})},
		{"arr.f64", arr(TypeFloat64, []float64{math.E, math.Copysign(0, -1)})},
		{"arr.empty", arr(TypeUint32, []uint32{})},
		{"arr.nested", arr(TypeArray, []Value{
			arr(TypeUint32, []uint32{1, 2}),
			arr(TypeString, []string{"x"}),
			arr(TypeArray, []Value{arr(TypeBool, []bool{}), arr(TypeInt8, []int8{-1})}),
			arr(TypeArray, []Value{}),
		})},
	}
}

// synthTensors lists the tensors of the synthetic test file.
var synthTensors = []testTensor{
	{"token_embd.weight", TypeF16, []uint64{8, 3}},
	{"blk.0.attn_norm.weight", TypeF32, []uint64{8}},
	{"blk.0.attn_q.weight", TypeI2_S, []uint64{128, 2}},
	{"blk.0.ffn_up.weight", TypeTQ2_0, []uint64{256, 1}},
	{"blk.0.ffn_down.weight", TypeTQ1_0, []uint64{512}},
	{"output.weight", TypeQ8_0, []uint64{64, 2, 1, 1}},
	{"x", TypeBF16, []uint64{3}},
}

// patternBytes returns n deterministic bytes that differ per seed.
func patternBytes(n uint64, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// synthWriter returns a Writer holding synthKVs and synthTensors with
// pattern data, and the data by tensor name.
func synthWriter(t testing.TB, align uint64) (*Writer, map[string][]byte) {
	t.Helper()
	w := NewWriter()
	if align != DefaultAlignment {
		w.SetAlignment(align)
	}
	for _, kv := range synthKVs() {
		w.Add(kv.Key, kv.Value)
	}
	data := make(map[string][]byte)
	for i, tt := range synthTensors {
		size, err := TensorSize(tt.typ, tt.dims)
		if err != nil {
			t.Fatal(err)
		}
		b := patternBytes(size, byte(i))
		data[tt.name] = b
		if err := w.AddTensor(tt.name, tt.typ, tt.dims, b); err != nil {
			t.Fatal(err)
		}
	}
	return w, data
}

// synthFile returns the bytes of the synthetic test file.
func synthFile(t testing.TB) []byte {
	t.Helper()
	w, _ := synthWriter(t, DefaultAlignment)
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readModes parses b in every way the package offers: Open (via a temp
// file) mapped and with mapping switched off, FromBytes and NewReader. The
// files are closed at cleanup.
func readModes(t testing.TB, b []byte) map[string]*File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	modes := make(map[string]*File)
	var err error
	if modes["Open"], err = Open(path); err != nil {
		t.Fatalf("Open: %v", err)
	}
	useMmap = false
	modes["OpenReadAt"], err = Open(path)
	useMmap = true
	if err != nil {
		t.Fatalf("Open without mmap: %v", err)
	}
	if (mmapSupported && modes["Open"].data == nil) || modes["OpenReadAt"].data != nil {
		t.Fatal("Open did not map the file, or mapped it with mapping off")
	}
	if modes["FromBytes"], err = FromBytes(b, "m.gguf"); err != nil {
		t.Fatalf("FromBytes: %v", err)
	}
	if modes["NewReader"], err = NewReader(bytes.NewReader(b), int64(len(b)), "m.gguf"); err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() {
		for _, f := range modes {
			f.Close()
		}
	})
	return modes
}
