package gguf

import (
	"fmt"
	"strconv"
	"strings"
)

// ValueType is a metadata value type tag (spec §1.2), stored as a u32.
type ValueType uint32

// Metadata value type tags (spec §1.2).
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7 // one byte, 0 or 1
	TypeString  ValueType = 8 // u64 byte length, then the bytes (no NUL)
	TypeArray   ValueType = 9 // u32 element tag, u64 count, then the elements
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{
	TypeUint8:   "uint8",
	TypeInt8:    "int8",
	TypeUint16:  "uint16",
	TypeInt16:   "int16",
	TypeUint32:  "uint32",
	TypeInt32:   "int32",
	TypeFloat32: "float32",
	TypeBool:    "bool",
	TypeString:  "string",
	TypeArray:   "array",
	TypeUint64:  "uint64",
	TypeInt64:   "int64",
	TypeFloat64: "float64",
}

// String returns the lower-case name of v ("uint32", "string", "array", ...),
// or "ValueType(N)" for an unknown tag.
func (v ValueType) String() string {
	if v.valid() {
		return valueTypeNames[v]
	}
	return "ValueType(" + strconv.FormatUint(uint64(v), 10) + ")"
}

func (v ValueType) valid() bool { return uint64(v) < uint64(len(valueTypeNames)) }

// fixedSize returns the encoded size of a scalar of type v, or 0 for
// strings, arrays and unknown tags.
func (v ValueType) fixedSize() int {
	switch v {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize returns the fewest bytes one encoded value of type v can take:
// its fixed size, 8 for a string (the length) and 12 for an array (element
// tag and count). Unknown tags return 1 so that callers never divide by 0.
func (v ValueType) minSize() uint64 {
	switch v {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	if n := v.fixedSize(); n > 0 {
		return uint64(n)
	}
	return 1
}

func (v ValueType) isInteger() bool {
	switch v {
	case TypeUint8, TypeInt8, TypeUint16, TypeInt16, TypeUint32, TypeInt32, TypeUint64, TypeInt64:
		return true
	}
	return false
}

// Value is one metadata value. Scalars hold the Go type of their tag in V
// (uint8, int8, uint16, int16, uint32, int32, float32, bool, string, uint64,
// int64, float64). Arrays hold a typed slice ([]uint8, ..., []string,
// []bool, []float64) and, for nested arrays, []Value whose elements are all
// arrays. Slices in a Value read from a File are owned by the File; do not
// modify them.
type Value struct {
	Type     ValueType // tag of the value
	ElemType ValueType // element tag when Type == TypeArray; otherwise 0
	V        any
}

// KV is one metadata key/value pair.
type KV struct {
	Key   string
	Value Value
}

// NewValue returns the Value holding v, inferring the tag from v's Go type
// as listed on Value. For []Value every element must be an array.
func NewValue(v any) (Value, error) {
	val := Value{V: v}
	if t, ok := scalarType(v); ok {
		val.Type = t
	} else if et, ok := sliceElemType(v); ok {
		val.Type, val.ElemType = TypeArray, et
	} else {
		return Value{}, fmt.Errorf("gguf: no GGUF value type for Go type %T", v)
	}
	if err := val.check(0); err != nil {
		return Value{}, fmt.Errorf("gguf: %w", err)
	}
	return val, nil
}

// scalarType returns the tag of a scalar as held by a Value.
func scalarType(v any) (ValueType, bool) {
	switch v.(type) {
	case uint8:
		return TypeUint8, true
	case int8:
		return TypeInt8, true
	case uint16:
		return TypeUint16, true
	case int16:
		return TypeInt16, true
	case uint32:
		return TypeUint32, true
	case int32:
		return TypeInt32, true
	case float32:
		return TypeFloat32, true
	case bool:
		return TypeBool, true
	case string:
		return TypeString, true
	case uint64:
		return TypeUint64, true
	case int64:
		return TypeInt64, true
	case float64:
		return TypeFloat64, true
	}
	return 0, false
}

// sliceElemType returns the element tag of a typed slice as held by an array
// Value.
func sliceElemType(v any) (ValueType, bool) {
	switch v.(type) {
	case []uint8:
		return TypeUint8, true
	case []int8:
		return TypeInt8, true
	case []uint16:
		return TypeUint16, true
	case []int16:
		return TypeInt16, true
	case []uint32:
		return TypeUint32, true
	case []int32:
		return TypeInt32, true
	case []float32:
		return TypeFloat32, true
	case []bool:
		return TypeBool, true
	case []string:
		return TypeString, true
	case []uint64:
		return TypeUint64, true
	case []int64:
		return TypeInt64, true
	case []float64:
		return TypeFloat64, true
	case []Value:
		return TypeArray, true
	}
	return 0, false
}

// maxDepth is the deepest nesting of arrays accepted when reading or
// writing: an array at depth maxDepth may not contain arrays.
const maxDepth = 8

// check reports whether V's Go type agrees with the tags, recursively for
// nested arrays. depth is the nesting level of v (0 for a KV's value).
func (v Value) check(depth int) error {
	if v.Type != TypeArray {
		if v.ElemType != 0 {
			return fmt.Errorf("element type %s set on a %s value", v.ElemType, v.Type)
		}
		if !v.Type.valid() {
			return fmt.Errorf("unknown value type %d", uint32(v.Type))
		}
		if t, ok := scalarType(v.V); !ok || t != v.Type {
			return fmt.Errorf("%s value holds Go type %T", v.Type, v.V)
		}
		return nil
	}
	et, ok := sliceElemType(v.V)
	if !ok || et != v.ElemType {
		return fmt.Errorf("array of %s holds Go type %T", v.ElemType, v.V)
	}
	if et != TypeArray {
		return nil
	}
	if depth+1 >= maxDepth {
		return fmt.Errorf("arrays nested deeper than %d", maxDepth)
	}
	for i, e := range v.V.([]Value) {
		if e.Type != TypeArray {
			return fmt.Errorf("element %d of an array of arrays is a %s", i, e.Type)
		}
		if err := e.check(depth + 1); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// Len returns the number of elements of an array value, or 0 for a scalar.
func (v Value) Len() int {
	switch a := v.V.(type) {
	case []uint8:
		return len(a)
	case []int8:
		return len(a)
	case []uint16:
		return len(a)
	case []int16:
		return len(a)
	case []uint32:
		return len(a)
	case []int32:
		return len(a)
	case []float32:
		return len(a)
	case []bool:
		return len(a)
	case []string:
		return len(a)
	case []uint64:
		return len(a)
	case []int64:
		return len(a)
	case []float64:
		return len(a)
	case []Value:
		return len(a)
	}
	return 0
}

// String formats v for display: scalars as with %v (strings quoted), arrays
// as their type and length followed by at most the first 8 elements, e.g.
// `[8256]string{"!", "\"", ...}`.
func (v Value) String() string {
	if v.Type != TypeArray {
		if s, ok := v.V.(string); ok {
			return strconv.Quote(s)
		}
		return fmt.Sprint(v.V)
	}
	const show = 8
	var b strings.Builder
	n := v.Len()
	fmt.Fprintf(&b, "[%d]%s{", n, v.ElemType)
	for i := 0; i < n && i < show; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.elem(i).String())
	}
	if n > show {
		b.WriteString(", ...")
	}
	b.WriteString("}")
	return b.String()
}

// elem returns element i of an array value as a Value.
func (v Value) elem(i int) Value {
	switch a := v.V.(type) {
	case []uint8:
		return Value{Type: TypeUint8, V: a[i]}
	case []int8:
		return Value{Type: TypeInt8, V: a[i]}
	case []uint16:
		return Value{Type: TypeUint16, V: a[i]}
	case []int16:
		return Value{Type: TypeInt16, V: a[i]}
	case []uint32:
		return Value{Type: TypeUint32, V: a[i]}
	case []int32:
		return Value{Type: TypeInt32, V: a[i]}
	case []float32:
		return Value{Type: TypeFloat32, V: a[i]}
	case []bool:
		return Value{Type: TypeBool, V: a[i]}
	case []string:
		return Value{Type: TypeString, V: a[i]}
	case []uint64:
		return Value{Type: TypeUint64, V: a[i]}
	case []int64:
		return Value{Type: TypeInt64, V: a[i]}
	case []float64:
		return Value{Type: TypeFloat64, V: a[i]}
	case []Value:
		return a[i]
	}
	return Value{}
}

// describe names v's type for error messages: "string", "array of uint32".
func (v Value) describe() string {
	if v.Type == TypeArray {
		return "array of " + v.ElemType.String()
	}
	return v.Type.String()
}
