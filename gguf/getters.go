package gguf

import (
	"fmt"
	"math"
	"strconv"
)

// keyError is the error of a typed getter: it names the file and the key,
// and wraps ErrKeyNotFound for a missing key.
type keyError struct {
	file, key, msg string
	err            error
}

func (e *keyError) Error() string {
	return "gguf: " + e.file + ": key " + strconv.Quote(e.key) + ": " + e.msg
}

func (e *keyError) Unwrap() error { return e.err }

// get looks key up, returning the getter error for a missing key.
func (f *File) get(key string) (Value, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return v, &keyError{file: f.Name, key: key, msg: "not found", err: ErrKeyNotFound}
	}
	return v, nil
}

func (f *File) mismatch(key, want string, v Value) error {
	return &keyError{file: f.Name, key: key, msg: "want " + want + ", found " + v.describe()}
}

func (f *File) keyErrorf(key, format string, args ...any) error {
	return &keyError{file: f.Name, key: key, msg: fmt.Sprintf(format, args...)}
}

// String returns the string value of key.
func (f *File) String(key string) (string, error) {
	v, err := f.get(key)
	if err != nil {
		return "", err
	}
	s, ok := v.V.(string)
	if v.Type != TypeString || !ok {
		return "", f.mismatch(key, "string", v)
	}
	return s, nil
}

// Uint returns the value of key, which may have any integer tag (u8..u64,
// or i8..i64 holding a value >= 0).
func (f *File) Uint(key string) (uint64, error) {
	v, err := f.get(key)
	if err != nil {
		return 0, err
	}
	u, neg, ok := integer(v.V)
	if v.Type == TypeArray || !ok {
		return 0, f.mismatch(key, "unsigned integer", v)
	}
	if neg {
		return 0, f.keyErrorf(key, "value %d is negative, want unsigned integer", int64(u))
	}
	return u, nil
}

// Int returns the value of key, which may have any integer tag; a u64 above
// math.MaxInt64 is an error.
func (f *File) Int(key string) (int64, error) {
	v, err := f.get(key)
	if err != nil {
		return 0, err
	}
	u, neg, ok := integer(v.V)
	if v.Type == TypeArray || !ok {
		return 0, f.mismatch(key, "integer", v)
	}
	if !neg && u > math.MaxInt64 {
		return 0, f.keyErrorf(key, "value %d overflows int64", u)
	}
	return int64(u), nil
}

// Float returns the value of key, which may be a float32, a float64 or an
// integer.
func (f *File) Float(key string) (float64, error) {
	v, err := f.get(key)
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	u, neg, ok := integer(v.V)
	if v.Type == TypeArray || !ok {
		return 0, f.mismatch(key, "float", v)
	}
	if neg {
		return float64(int64(u)), nil
	}
	return float64(u), nil
}

// Bool returns the bool value of key.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.get(key)
	if err != nil {
		return false, err
	}
	b, ok := v.V.(bool)
	if v.Type != TypeBool || !ok {
		return false, f.mismatch(key, "bool", v)
	}
	return b, nil
}

// Strings returns a copy of the string array stored under key.
func (f *File) Strings(key string) ([]string, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	s, ok := v.V.([]string)
	if !ok {
		return nil, f.mismatch(key, "array of string", v)
	}
	return append([]string(nil), s...), nil
}

// Float32s returns a copy of the float array stored under key (elements
// float32, or float64 converted to float32).
func (f *File) Float32s(key string) ([]float32, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	switch a := v.V.(type) {
	case []float32:
		return append([]float32(nil), a...), nil
	case []float64:
		out := make([]float32, len(a))
		for i, x := range a {
			out[i] = float32(x)
		}
		return out, nil
	}
	return nil, f.mismatch(key, "array of float32", v)
}

// Int32s returns the integer array stored under key as int32s. Any integer
// element type is accepted; every element must fit in an int32.
func (f *File) Int32s(key string) ([]int32, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	if v.Type != TypeArray || !v.ElemType.isInteger() {
		return nil, f.mismatch(key, "array of integer", v)
	}
	if a, ok := v.V.([]int32); ok {
		return append([]int32(nil), a...), nil
	}
	out := make([]int32, v.Len())
	err = forEachInt(v.V, func(i int, u uint64, neg bool) error {
		x := int64(u)
		if (!neg && u > math.MaxInt32) || x < math.MinInt32 {
			return f.keyErrorf(key, "element %d: value %s out of range for int32", i, v.elem(i))
		}
		out[i] = int32(x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Uints returns the unsigned integers stored under key: a scalar integer
// as a one-element slice, or the elements of an integer array. Per-layer
// hyperparameters such as feed_forward_length may be stored either way.
// Negative values are an error.
func (f *File) Uints(key string) ([]uint64, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	if v.Type != TypeArray {
		u, err := f.Uint(key)
		if err != nil {
			return nil, err
		}
		return []uint64{u}, nil
	}
	if !v.ElemType.isInteger() {
		return nil, f.mismatch(key, "unsigned integer or array of unsigned integer", v)
	}
	out := make([]uint64, v.Len())
	err = forEachInt(v.V, func(i int, u uint64, neg bool) error {
		if neg {
			return f.keyErrorf(key, "element %d: value %d is negative, want unsigned integer", i, int64(u))
		}
		out[i] = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// integer converts an integer scalar to its bits as a uint64 (two's
// complement for negative values), reporting whether it is negative and
// whether x is an integer at all.
func integer(x any) (u uint64, neg, ok bool) {
	switch x := x.(type) {
	case uint8:
		return uint64(x), false, true
	case uint16:
		return uint64(x), false, true
	case uint32:
		return uint64(x), false, true
	case uint64:
		return x, false, true
	case int8:
		return uint64(int64(x)), x < 0, true
	case int16:
		return uint64(int64(x)), x < 0, true
	case int32:
		return uint64(int64(x)), x < 0, true
	case int64:
		return uint64(x), x < 0, true
	}
	return 0, false, false
}

// forEachInt calls fn with each element of an integer slice as in integer.
// It does nothing for other types.
func forEachInt(a any, fn func(i int, u uint64, neg bool) error) error {
	switch a := a.(type) {
	case []uint8:
		return eachInt(a, fn)
	case []uint16:
		return eachInt(a, fn)
	case []uint32:
		return eachInt(a, fn)
	case []uint64:
		return eachInt(a, fn)
	case []int8:
		return eachInt(a, fn)
	case []int16:
		return eachInt(a, fn)
	case []int32:
		return eachInt(a, fn)
	case []int64:
		return eachInt(a, fn)
	}
	return nil
}

func eachInt[T uint8 | uint16 | uint32 | uint64 | int8 | int16 | int32 | int64](a []T, fn func(i int, u uint64, neg bool) error) error {
	for i, x := range a {
		if err := fn(i, uint64(int64(x)), x < 0); err != nil {
			return err
		}
	}
	return nil
}
