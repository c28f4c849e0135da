package gguf

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
)

// getterFile returns a file holding synthKVs plus a few extra keys for the
// range checks.
func getterFile(t *testing.T) *File {
	t.Helper()
	w := NewWriter()
	for _, kv := range synthKVs() {
		w.Add(kv.Key, kv.Value)
	}
	w.AddInt32("neg", -3)
	w.Add("u64max", Value{Type: TypeUint64, V: uint64(math.MaxUint64)})
	w.AddInt32s("i32s", []int32{1, -2, 3})
	w.Add("u32s.big", Value{Type: TypeArray, ElemType: TypeUint32, V: []uint32{1, 1 << 31}})
	w.Add("u16s", Value{Type: TypeArray, ElemType: TypeUint16, V: []uint16{768, 1024}})
	w.Add("i8s.neg", Value{Type: TypeArray, ElemType: TypeInt8, V: []int8{1, -1}})
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := FromBytes(buf.Bytes(), "kjv.gguf")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGetters(t *testing.T) {
	f := getterFile(t)
	call := func(get, key string) (any, error) {
		switch get {
		case "String":
			return f.String(key)
		case "Uint":
			return f.Uint(key)
		case "Int":
			return f.Int(key)
		case "Float":
			return f.Float(key)
		case "Bool":
			return f.Bool(key)
		case "Strings":
			return f.Strings(key)
		case "Float32s":
			return f.Float32s(key)
		case "Int32s":
			return f.Int32s(key)
		case "Uints":
			return f.Uints(key)
		}
		panic("unknown getter " + get)
	}
	tests := []struct {
		get, key string
		want     string // fmt.Sprint of the result
		err      string // exact error text; "" for success
	}{
		{"String", "general.architecture", "bitnet-b1.58", ""},
		{"String", "test.u32", "", `gguf: kjv.gguf: key "test.u32": want string, found uint32`},
		{"Uint", "test.u8", "200", ""},
		{"Uint", "test.u32", "4000000000", ""},
		{"Uint", "test.u64", "9223372036854775813", ""},
		{"Uint", "test.i8", "", `gguf: kjv.gguf: key "test.i8": value -100 is negative, want unsigned integer`},
		{"Uint", "general.architecture", "", `gguf: kjv.gguf: key "general.architecture": want unsigned integer, found string`},
		{"Uint", "arr.u32", "", `gguf: kjv.gguf: key "arr.u32": want unsigned integer, found array of uint32`},
		{"Int", "test.i16", "-30000", ""},
		{"Int", "test.u16", "60000", ""},
		{"Int", "test.i64", "-4611686018427387904", ""},
		{"Int", "u64max", "", `gguf: kjv.gguf: key "u64max": value 18446744073709551615 overflows int64`},
		{"Int", "test.f32", "", `gguf: kjv.gguf: key "test.f32": want integer, found float32`},
		{"Float", "test.f32", "1.5", ""},
		{"Float", "test.f64", "3.141592653589793", ""},
		{"Float", "test.u32", "4e+09", ""},
		{"Float", "neg", "-3", ""},
		{"Float", "test.bool", "", `gguf: kjv.gguf: key "test.bool": want float, found bool`},
		{"Bool", "test.bool", "true", ""},
		{"Bool", "test.false", "false", ""},
		{"Bool", "test.u8", "", `gguf: kjv.gguf: key "test.u8": want bool, found uint8`},
		{"Strings", "arr.string", "[ a ĠĠ <|eot_id|>]", ""},
		{"Strings", "arr.u8", "", `gguf: kjv.gguf: key "arr.u8": want array of string, found array of uint8`},
		{"Float32s", "arr.f32", "[-1.25 0 +Inf NaN]", ""},
		{"Float32s", "arr.f64", "[2.7182817 -0]", ""},
		{"Float32s", "test.f32", "", `gguf: kjv.gguf: key "test.f32": want array of float32, found float32`},
		{"Int32s", "i32s", "[1 -2 3]", ""},
		{"Int32s", "arr.u8", "[0 1 255]", ""},
		{"Int32s", "arr.i8", "[-128 0 127]", ""},
		{"Int32s", "u16s", "[768 1024]", ""},
		{"Int32s", "u32s.big", "", `gguf: kjv.gguf: key "u32s.big": element 1: value 2147483648 out of range for int32`},
		{"Int32s", "arr.i64", "", `gguf: kjv.gguf: key "arr.i64": element 0: value -9223372036854775808 out of range for int32`},
		{"Int32s", "arr.f32", "", `gguf: kjv.gguf: key "arr.f32": want array of integer, found array of float32`},
		{"Uints", "test.u32", "[4000000000]", ""},
		{"Uints", "u16s", "[768 1024]", ""},
		{"Uints", "arr.u64", "[0 18446744073709551615]", ""},
		{"Uints", "neg", "", `gguf: kjv.gguf: key "neg": value -3 is negative, want unsigned integer`},
		{"Uints", "i8s.neg", "", `gguf: kjv.gguf: key "i8s.neg": element 1: value -1 is negative, want unsigned integer`},
		{"Uints", "arr.string", "", `gguf: kjv.gguf: key "arr.string": want unsigned integer or array of unsigned integer, found array of string`},
		{"Uints", "test.string", "", `gguf: kjv.gguf: key "test.string": want unsigned integer, found string`},
	}
	for _, tt := range tests {
		t.Run(tt.get+"/"+tt.key, func(t *testing.T) {
			got, err := call(tt.get, tt.key)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("%s(%q) = %v, %v; want error %q", tt.get, tt.key, got, err, tt.err)
				}
				if errors.Is(err, ErrKeyNotFound) {
					t.Fatalf("%s(%q): type error wraps ErrKeyNotFound", tt.get, tt.key)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != tt.want {
				t.Fatalf("%s(%q) = %v, %v; want %s", tt.get, tt.key, got, err, tt.want)
			}
		})
	}
	for _, get := range []string{"String", "Uint", "Int", "Float", "Bool", "Strings", "Float32s", "Int32s", "Uints"} {
		_, err := call(get, "missing.key")
		if !errors.Is(err, ErrKeyNotFound) || err.Error() != `gguf: kjv.gguf: key "missing.key": not found` {
			t.Errorf("%s(missing.key) = %v, want ErrKeyNotFound", get, err)
		}
	}
	// Slice getters return copies.
	s, _ := f.Strings("arr.string")
	s[1] = "changed"
	if s2, _ := f.Strings("arr.string"); s2[1] != "a" {
		t.Error("Strings returned the File's own slice")
	}
}
