package gguf

import (
	"math"
	"strings"
	"testing"
)

func TestTensorSize(t *testing.T) {
	tests := []struct {
		name string
		typ  Type
		dims []uint64
		want uint64
		err  string // substring of the error; "" for success
	}{
		{"I2_S 2560x2560 (spec §1.7)", TypeI2_S, []uint64{2560, 2560}, 1638432, ""},
		{"I2_S 128", TypeI2_S, []uint64{128}, 64, ""},
		{"TL1 like I2_S", TypeTL1, []uint64{256, 4}, 288, ""},
		{"TQ2_0 256", TypeTQ2_0, []uint64{256}, 66, ""},
		{"TQ1_0 256", TypeTQ1_0, []uint64{256}, 54, ""},
		{"TQ2_0 2 rows", TypeTQ2_0, []uint64{512, 2}, 264, ""},
		{"Q8_0 32", TypeQ8_0, []uint64{32}, 34, ""},
		{"Q6_K 256", TypeQ6_K, []uint64{256}, 210, ""},
		{"F16", TypeF16, []uint64{2560, 128256}, 2560 * 128256 * 2, ""},
		{"BF16", TypeBF16, []uint64{3, 5}, 30, ""},
		{"F32 4-D", TypeF32, []uint64{2, 3, 4, 5}, 480, ""},
		{"TL2 256x4", TypeTL2, []uint64{256, 4}, 288, ""},
		{"TL2 1280x8", TypeTL2, []uint64{1280, 8}, 2272, ""},
		{"Q8_0 ne0 not a multiple", TypeQ8_0, []uint64{33}, 0, "not a multiple of the block size 32"},
		{"TQ2_0 ne0 128", TypeTQ2_0, []uint64{128, 2}, 0, "ne0 128"},
		{"unknown type", Type(77), []uint64{1}, 0, "unknown tensor type 77"},
		{"IQ4_NL_4_4 reserved", Type(31), []uint64{32}, 0, "unknown tensor type 31"},
		{"I8_S", TypeI8_S, []uint64{32}, 0, "I8_S"},
		{"no dims", TypeF32, nil, 0, "0 dims"},
		{"5 dims", TypeF32, []uint64{1, 1, 1, 1, 1}, 0, "5 dims"},
		{"zero dim", TypeF32, []uint64{4, 0}, 0, "dim 1 is zero"},
		{"element overflow", TypeF32, []uint64{1 << 32, 1 << 32}, 0, "overflows"},
		{"element count over int64", TypeI8, []uint64{1 << 62, 4}, 0, "overflows"},
		{"byte overflow", TypeF32, []uint64{1 << 62}, 0, "overflows"},
		{"byte overflow F64", TypeF64, []uint64{1 << 61, 1}, 0, "overflows"},
		{"TL2 ne0 small", TypeTL2, []uint64{128, 1}, 0, "less than 256"},
		{"TL2 overflow", TypeTL2, []uint64{math.MaxInt64 / 2, 3}, 0, "overflows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TensorSize(tt.typ, tt.dims)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "gguf: ") {
					t.Fatalf("TensorSize(%s, %v) = %d, %v; want error containing %q", tt.typ, tt.dims, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TensorSize(%s, %v) = %d, %v; want %d", tt.typ, tt.dims, got, err, tt.want)
			}
		})
	}
}

func TestTypeTraits(t *testing.T) {
	tests := []struct {
		typ       Type
		name      string
		blockSize int
		typeSize  int
	}{
		{TypeF32, "F32", 1, 4},
		{TypeF16, "F16", 1, 2},
		{TypeQ8_0, "Q8_0", 32, 34},
		{TypeQ4_K, "Q4_K", 256, 144},
		{TypeIQ4_XS, "IQ4_XS", 256, 136},
		{TypeIQ1_M, "IQ1_M", 256, 56},
		{TypeBF16, "BF16", 1, 2},
		{TypeTQ1_0, "TQ1_0", 256, 54},
		{TypeTQ2_0, "TQ2_0", 256, 66},
		{TypeI2_S, "I2_S", 1, 1},
		{TypeI8_S, "I8_S", 1, 1},
		{TypeTL1, "TL1", 1, 1},
		{TypeTL2, "TL2", 1, 1},
		{Type(4), "type(4)", 0, 0},
		{Type(77), "type(77)", 0, 0},
		{Type(math.MaxUint32), "type(4294967295)", 0, 0},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.name {
			t.Errorf("Type(%d).String() = %q, want %q", uint32(tt.typ), got, tt.name)
		}
		if got := tt.typ.BlockSize(); got != tt.blockSize {
			t.Errorf("%s.BlockSize() = %d, want %d", tt.name, got, tt.blockSize)
		}
		if got := tt.typ.TypeSize(); got != tt.typeSize {
			t.Errorf("%s.TypeSize() = %d, want %d", tt.name, got, tt.typeSize)
		}
		if got, want := tt.typ.Known(), tt.blockSize != 0; got != want {
			t.Errorf("%s.Known() = %v, want %v", tt.name, got, want)
		}
	}
	// Every known type other than I8_S has a size for a 256-element row.
	for id := range Type(64) {
		if !id.Known() || id == TypeI8_S {
			continue
		}
		if n, err := TensorSize(id, []uint64{256}); err != nil || n == 0 {
			t.Errorf("TensorSize(%s, [256]) = %d, %v", id, n, err)
		}
	}
}

func TestValueTypeString(t *testing.T) {
	tests := []struct {
		v    ValueType
		want string
	}{
		{TypeUint8, "uint8"}, {TypeInt8, "int8"}, {TypeUint16, "uint16"}, {TypeInt16, "int16"},
		{TypeUint32, "uint32"}, {TypeInt32, "int32"}, {TypeFloat32, "float32"}, {TypeBool, "bool"},
		{TypeString, "string"}, {TypeArray, "array"}, {TypeUint64, "uint64"}, {TypeInt64, "int64"},
		{TypeFloat64, "float64"}, {ValueType(13), "ValueType(13)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("ValueType(%d).String() = %q, want %q", uint32(tt.v), got, tt.want)
		}
	}
}

func TestNewValue(t *testing.T) {
	tests := []struct {
		in   any
		typ  ValueType
		elem ValueType
		err  string
	}{
		{uint8(1), TypeUint8, 0, ""},
		{int64(-1), TypeInt64, 0, ""},
		{"s", TypeString, 0, ""},
		{true, TypeBool, 0, ""},
		{[]string{"a"}, TypeArray, TypeString, ""},
		{[]float64{1}, TypeArray, TypeFloat64, ""},
		{[]Value{{Type: TypeArray, ElemType: TypeInt8, V: []int8{1}}}, TypeArray, TypeArray, ""},
		{[]Value{{Type: TypeUint8, V: uint8(1)}}, 0, 0, "element 0 of an array of arrays is a uint8"},
		{[]Value{{Type: TypeArray, ElemType: TypeInt8, V: []uint8{1}}}, 0, 0, "holds Go type []uint8"},
		{1, 0, 0, "no GGUF value type for Go type int"},
		{[]int{1}, 0, 0, "no GGUF value type"},
	}
	for _, tt := range tests {
		v, err := NewValue(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NewValue(%#v) = %v, %v; want error containing %q", tt.in, v, err, tt.err)
			}
			continue
		}
		if err != nil || v.Type != tt.typ || v.ElemType != tt.elem {
			t.Errorf("NewValue(%#v) = %+v, %v; want type %s elem %s", tt.in, v, err, tt.typ, tt.elem)
		}
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Value{Type: TypeString, V: "a\"b"}, `"a\"b"`},
		{Value{Type: TypeUint32, V: uint32(7)}, "7"},
		{Value{Type: TypeArray, ElemType: TypeInt32, V: []int32{1, 2}}, "[2]int32{1, 2}"},
		{Value{Type: TypeArray, ElemType: TypeString, V: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}},
			`[9]string{"a", "b", "c", "d", "e", "f", "g", "h", ...}`},
		{Value{Type: TypeArray, ElemType: TypeArray, V: []Value{{Type: TypeArray, ElemType: TypeBool, V: []bool{true}}}},
			"[1]array{[1]bool{true}}"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("Value.String() = %s, want %s", got, tt.want)
		}
	}
}
