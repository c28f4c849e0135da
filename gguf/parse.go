package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unsafe"
)

// MaxTensorNameLen is the longest tensor name in bytes, read or written
// (GGML_MAX_NAME = 64 counts the NUL; spec §1.4).
const MaxTensorNameLen = 63

// Limits applied while parsing (spec §1.3, §1.4).
const (
	maxKeyLen = 65535 // bytes in a metadata key

	minKVSize         = 8 + 4 + 1         // key length, value tag, smallest value
	minTensorInfoSize = 8 + 4 + 8 + 4 + 8 // name length, n_dims, one dim, type, offset

	kvPrealloc     = 1024 // most KV slots reserved up front, whatever the count says
	tensorPrealloc = 4096 // most tensor slots reserved up front
)

// magic is the first four bytes of every GGUF file.
const magic = "GGUF"

// parse reads and validates a whole GGUF header from d (spec §1.1–§1.6).
func parse(d *decoder, name string) (*File, error) {
	f := &File{Name: name, size: d.size, Alignment: DefaultAlignment}
	if err := f.parse(d); err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", name, err)
	}
	return f, nil
}

func (f *File) parse(d *decoder) error {
	m, err := d.next(4)
	if err != nil {
		return fmt.Errorf("reading magic: %w", err)
	}
	if string(m) != magic {
		return fmt.Errorf("not a GGUF file: magic % x (%q), want 47 47 55 46 (%q)", m, m, magic)
	}
	if f.Version, err = d.u32(); err != nil {
		return fmt.Errorf("reading version: %w", err)
	}
	if err := checkVersion(f.Version); err != nil {
		return err
	}
	nTensors, err := d.u64()
	if err != nil {
		return fmt.Errorf("reading tensor count: %w", err)
	}
	nKV, err := d.u64()
	if err != nil {
		return fmt.Errorf("reading kv count: %w", err)
	}
	// Bound both counts by what the rest of the file could hold before
	// reserving anything for them.
	rem := d.remaining()
	hiKV, loKV := bits.Mul64(nKV, minKVSize)
	hiT, loT := bits.Mul64(nTensors, minTensorInfoSize)
	sum, carry := bits.Add64(loKV, loT, 0)
	if hiKV != 0 || hiT != 0 || carry != 0 || sum > rem {
		return fmt.Errorf("kv count %d and tensor count %d are impossible: they need at least %d and %d bytes each, %d bytes remain",
			nKV, nTensors, minKVSize, minTensorInfoSize, rem)
	}

	f.KV = make([]KV, 0, min(nKV, kvPrealloc))
	f.kvIndex = make(map[string]int, min(nKV, kvPrealloc))
	for i := range nKV {
		if err := f.readKV(d, i); err != nil {
			return err
		}
	}
	if err := f.readAlignment(); err != nil {
		return err
	}

	f.Tensors = make([]TensorInfo, 0, min(nTensors, tensorPrealloc))
	f.tensorIndex = make(map[string]int, min(nTensors, tensorPrealloc))
	for i := range nTensors {
		if err := f.readTensorInfo(d, i); err != nil {
			return err
		}
	}

	// data_start = align_up(end of infos, A) (spec §1.1). It may lie past
	// the end of a file without tensors; each tensor is checked below.
	f.infoEnd = uint64(d.offset())
	f.DataOffset = (f.infoEnd + f.Alignment - 1) / f.Alignment * f.Alignment
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if _, _, err := f.tensorRange(t); err != nil {
			return fmt.Errorf("tensor %d (%q): %w", i, t.Name, err)
		}
	}
	return nil
}

func checkVersion(v uint32) error {
	switch {
	case v == 2 || v == 3:
		return nil
	case v == 1:
		return errors.New("GGUF version 1 is not supported (it used 32-bit counts); re-convert the model to version 3")
	case bits.ReverseBytes32(v) == 2 || bits.ReverseBytes32(v) == 3:
		return fmt.Errorf("version %#x looks byte-swapped: big-endian GGUF files are not supported", v)
	}
	return fmt.Errorf("unsupported GGUF version %d, want 2 or 3", v)
}

// quote quotes a key read from a file for an error message, eliding the
// middle of a long (probably corrupt) one.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.Quote(s[:max/2]) + "..." + strconv.Quote(s[len(s)-max/2:]) +
			" (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

// readKV reads metadata pair number i (spec §1.3).
func (f *File) readKV(d *decoder, i uint64) error {
	key, err := d.str(maxKeyLen)
	if err != nil {
		return fmt.Errorf("reading kv %d key: %w", i, err)
	}
	if key == "" {
		return fmt.Errorf("kv %d: empty key", i)
	}
	if j, dup := f.kvIndex[key]; dup {
		return fmt.Errorf("kv %d: duplicate key %s (first at kv %d)", i, quote(key), j)
	}
	tag, err := d.u32()
	if err != nil {
		return fmt.Errorf("kv %d (%s): reading value type: %w", i, quote(key), err)
	}
	v, err := readValue(d, ValueType(tag), 0)
	if err != nil {
		return fmt.Errorf("kv %d (%s): %w", i, quote(key), err)
	}
	f.kvIndex[key] = len(f.KV)
	f.KV = append(f.KV, KV{Key: key, Value: v})
	return nil
}

// readAlignment applies general.alignment, which must be a u32 and a
// non-zero multiple of 8 (spec §1.6).
func (f *File) readAlignment() error {
	v, ok := f.Lookup(keyAlignment)
	if !ok {
		return nil
	}
	a, err := checkAlignmentValue(v)
	if err != nil {
		return err
	}
	f.Alignment = a
	return nil
}

// keyAlignment is the metadata key holding the data alignment.
const keyAlignment = "general.alignment"

func checkAlignmentValue(v Value) (uint64, error) {
	a, ok := v.V.(uint32)
	if v.Type != TypeUint32 || !ok {
		return 0, fmt.Errorf("key %q: want uint32, found %s", keyAlignment, v.describe())
	}
	if err := checkAlignment(uint64(a)); err != nil {
		return 0, fmt.Errorf("key %q: %w", keyAlignment, err)
	}
	return uint64(a), nil
}

func checkAlignment(a uint64) error {
	if a == 0 || a%8 != 0 || a > math.MaxUint32 {
		return fmt.Errorf("alignment %d, want a non-zero multiple of 8 that fits in a uint32", a)
	}
	return nil
}

// readTensorInfo reads tensor-info record number i (spec §1.4) and sizes
// the tensor (spec §1.5).
func (f *File) readTensorInfo(d *decoder, i uint64) error {
	name, err := d.str(MaxTensorNameLen)
	if err != nil {
		return fmt.Errorf("reading tensor info %d name: %w", i, err)
	}
	if name == "" {
		return fmt.Errorf("tensor info %d: empty name", i)
	}
	if j, dup := f.tensorIndex[name]; dup {
		return fmt.Errorf("tensor info %d: duplicate tensor name %q (first at tensor info %d)", i, name, j)
	}
	nDims, err := d.u32()
	if err != nil {
		return fmt.Errorf("tensor info %d (%q): reading n_dims: %w", i, name, err)
	}
	if nDims == 0 || nDims > MaxDims {
		return fmt.Errorf("tensor info %d (%q): n_dims %d, want 1..%d", i, name, nDims, MaxDims)
	}
	b, err := d.next(8 * uint64(nDims))
	if err != nil {
		return fmt.Errorf("tensor info %d (%q): reading dims: %w", i, name, err)
	}
	dims := make([]uint64, nDims)
	for j := range dims {
		dims[j] = binary.LittleEndian.Uint64(b[8*j:])
	}
	typ, err := d.u32()
	if err != nil {
		return fmt.Errorf("tensor info %d (%q): reading type: %w", i, name, err)
	}
	off, err := d.u64()
	if err != nil {
		return fmt.Errorf("tensor info %d (%q): reading offset: %w", i, name, err)
	}
	size, err := tensorSize(Type(typ), dims)
	if err != nil {
		return fmt.Errorf("tensor info %d (%q): %w", i, name, err)
	}
	if off%f.Alignment != 0 {
		return fmt.Errorf("tensor info %d (%q): offset %d is not a multiple of the alignment %d", i, name, off, f.Alignment)
	}
	f.tensorIndex[name] = len(f.Tensors)
	f.Tensors = append(f.Tensors, TensorInfo{Name: name, Dims: dims, Type: Type(typ), Offset: off, Size: size})
	return nil
}

// readValue reads one value of type t. depth is the array nesting level.
func readValue(d *decoder, t ValueType, depth int) (Value, error) {
	v := Value{Type: t}
	var err error
	switch t {
	case TypeUint8:
		v.V, err = d.u8()
	case TypeInt8:
		var x uint8
		x, err = d.u8()
		v.V = int8(x)
	case TypeUint16:
		v.V, err = d.u16()
	case TypeInt16:
		var x uint16
		x, err = d.u16()
		v.V = int16(x)
	case TypeUint32:
		v.V, err = d.u32()
	case TypeInt32:
		var x uint32
		x, err = d.u32()
		v.V = int32(x)
	case TypeFloat32:
		var x uint32
		x, err = d.u32()
		v.V = math.Float32frombits(x)
	case TypeBool:
		var x uint8
		if x, err = d.u8(); err == nil && x > 1 {
			return v, fmt.Errorf("bool byte %d, want 0 or 1", x)
		}
		v.V = x == 1
	case TypeString:
		v.V, err = d.str(math.MaxUint64)
	case TypeArray:
		return readArray(d, depth)
	case TypeUint64:
		v.V, err = d.u64()
	case TypeInt64:
		var x uint64
		x, err = d.u64()
		v.V = int64(x)
	case TypeFloat64:
		var x uint64
		x, err = d.u64()
		v.V = math.Float64frombits(x)
	default:
		return v, fmt.Errorf("unknown value type %d", uint32(t))
	}
	if err != nil {
		return v, fmt.Errorf("reading %s value: %w", t, err)
	}
	return v, nil
}

// readArray reads an array value (element tag, count, elements) at nesting
// level depth. The count is bounded by the remaining bytes before the
// element slice is allocated.
func readArray(d *decoder, depth int) (Value, error) {
	tag, err := d.u32()
	if err != nil {
		return Value{}, fmt.Errorf("reading array element type: %w", err)
	}
	n, err := d.u64()
	if err != nil {
		return Value{}, fmt.Errorf("reading array count: %w", err)
	}
	et := ValueType(tag)
	if !et.valid() {
		return Value{}, fmt.Errorf("array of unknown value type %d", tag)
	}
	if et == TypeArray && depth+1 >= maxDepth {
		return Value{}, fmt.Errorf("arrays nested deeper than %d", maxDepth)
	}
	if n > d.remaining()/et.minSize() {
		return Value{}, fmt.Errorf("array of %d %s elements cannot fit in the %d bytes remaining", n, et, d.remaining())
	}
	v := Value{Type: TypeArray, ElemType: et}
	switch et {
	case TypeUint8:
		v.V, err = readFixed[uint8](d, n)
	case TypeInt8:
		v.V, err = readFixed[int8](d, n)
	case TypeUint16:
		v.V, err = readFixed[uint16](d, n)
	case TypeInt16:
		v.V, err = readFixed[int16](d, n)
	case TypeUint32:
		v.V, err = readFixed[uint32](d, n)
	case TypeInt32:
		v.V, err = readFixed[int32](d, n)
	case TypeFloat32:
		v.V, err = readFixed[float32](d, n)
	case TypeUint64:
		v.V, err = readFixed[uint64](d, n)
	case TypeInt64:
		v.V, err = readFixed[int64](d, n)
	case TypeFloat64:
		v.V, err = readFixed[float64](d, n)
	case TypeBool:
		v.V, err = readBools(d, n)
	case TypeString:
		s := make([]string, n)
		for i := range s {
			if s[i], err = d.str(math.MaxUint64); err != nil {
				return v, fmt.Errorf("array of %d strings: element %d: %w", n, i, err)
			}
		}
		v.V = s
	case TypeArray:
		a := make([]Value, n)
		for i := range a {
			if a[i], err = readArray(d, depth+1); err != nil {
				return v, fmt.Errorf("array of %d arrays: element %d: %w", n, i, err)
			}
		}
		v.V = a
	}
	if err != nil {
		return v, fmt.Errorf("array of %d %s: %w", n, et, err)
	}
	return v, nil
}

// fixed lists the Go types of fixed-size array elements.
type fixed interface {
	uint8 | int8 | uint16 | int16 | uint32 | int32 | float32 | uint64 | int64 | float64
}

// readFixed reads n little-endian elements of type T in chunks of at most
// readBufSize bytes. The caller has bounded n by the remaining input.
func readFixed[T fixed](d *decoder, n uint64) ([]T, error) {
	var zero T
	size := uint64(unsafe.Sizeof(zero))
	out := make([]T, n)
	chunk := readBufSize / size
	for i := uint64(0); i < n; {
		k := min(n-i, chunk)
		b, err := d.next(k * size)
		if err != nil {
			return nil, fmt.Errorf("elements %d..%d: %w", i, i+k-1, err)
		}
		decodeLE(out[i:i+k], b)
		i += k
	}
	return out, nil
}

// decodeLE decodes len(dst) little-endian elements from b.
func decodeLE[T fixed](dst []T, b []byte) {
	switch dst := any(dst).(type) {
	case []uint8:
		copy(dst, b)
	case []int8:
		for i := range dst {
			dst[i] = int8(b[i])
		}
	case []uint16:
		for i := range dst {
			dst[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
	case []int16:
		for i := range dst {
			dst[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case []uint32:
		for i := range dst {
			dst[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
	case []int32:
		for i := range dst {
			dst[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []float32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []uint64:
		for i := range dst {
			dst[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	case []int64:
		for i := range dst {
			dst[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case []float64:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
}

// readBools reads n bool bytes, each of which must be 0 or 1.
func readBools(d *decoder, n uint64) ([]bool, error) {
	out := make([]bool, n)
	for i := uint64(0); i < n; {
		k := min(n-i, readBufSize)
		b, err := d.next(k)
		if err != nil {
			return nil, fmt.Errorf("elements %d..%d: %w", i, i+k-1, err)
		}
		for j, x := range b {
			if x > 1 {
				return nil, fmt.Errorf("element %d: bool byte %d, want 0 or 1", i+uint64(j), x)
			}
			out[i+uint64(j)] = x == 1
		}
		i += k
	}
	return out, nil
}
