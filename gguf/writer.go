package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Writer builds a GGUF version 3 file: metadata in insertion order, then the
// tensor-info table, then the tensors laid out in AddTensor order, each
// padded with zero bytes to the alignment (spec §1.1, §1.5). A Writer is not
// safe for concurrent use.
type Writer struct {
	align   uint64         // tensor data alignment
	kv      []KV           // in insertion order
	kvIndex map[string]int // key -> index in kv
	tensors []writerTensor // in AddTensor order
	tIndex  map[string]int // name -> index in tensors
}

// writerTensor is a tensor to be written: its bytes are data, or are
// produced by fn when data is nil.
type writerTensor struct {
	info TensorInfo // Offset is assigned by WriteTo
	data []byte
	fn   func(io.Writer) error
}

// NewWriter returns an empty Writer with the default alignment of 32.
func NewWriter() *Writer {
	return &Writer{
		align:   DefaultAlignment,
		kvIndex: make(map[string]int),
		tIndex:  make(map[string]int),
	}
}

// SetAlignment sets the alignment of the tensor data. It must be a non-zero
// multiple of 8 that fits in a uint32 (WriteTo reports otherwise). When a is
// not 32, or general.alignment was already added, it is stored as the u32
// key general.alignment.
func (w *Writer) SetAlignment(a uint64) {
	w.align = a
	_, had := w.kvIndex[keyAlignment]
	if (a != DefaultAlignment || had) && a <= math.MaxUint32 {
		w.Add(keyAlignment, Value{Type: TypeUint32, V: uint32(a)})
	}
}

// Add sets key to v. Keys keep their insertion order; replacing an existing
// key keeps its position. Adding general.alignment as a uint32 also sets the
// alignment. Keys and values are validated by WriteTo. Slices in v are
// retained, not copied, until the file is written.
func (w *Writer) Add(key string, v Value) {
	if key == keyAlignment {
		if a, ok := v.V.(uint32); ok && v.Type == TypeUint32 {
			w.align = uint64(a)
		}
	}
	if i, ok := w.kvIndex[key]; ok {
		w.kv[i].Value = v
		return
	}
	w.kvIndex[key] = len(w.kv)
	w.kv = append(w.kv, KV{Key: key, Value: v})
}

// AddString sets key to the string s.
func (w *Writer) AddString(key, s string) { w.Add(key, Value{Type: TypeString, V: s}) }

// AddUint32 sets key to the uint32 x.
func (w *Writer) AddUint32(key string, x uint32) { w.Add(key, Value{Type: TypeUint32, V: x}) }

// AddInt32 sets key to the int32 x.
func (w *Writer) AddInt32(key string, x int32) { w.Add(key, Value{Type: TypeInt32, V: x}) }

// AddFloat32 sets key to the float32 x.
func (w *Writer) AddFloat32(key string, x float32) { w.Add(key, Value{Type: TypeFloat32, V: x}) }

// AddBool sets key to the bool b.
func (w *Writer) AddBool(key string, b bool) { w.Add(key, Value{Type: TypeBool, V: b}) }

// AddUint64 sets key to the uint64 x.
func (w *Writer) AddUint64(key string, x uint64) { w.Add(key, Value{Type: TypeUint64, V: x}) }

// AddStrings sets key to an array of strings; s is retained.
func (w *Writer) AddStrings(key string, s []string) {
	w.Add(key, Value{Type: TypeArray, ElemType: TypeString, V: s})
}

// AddFloat32s sets key to an array of float32; x is retained.
func (w *Writer) AddFloat32s(key string, x []float32) {
	w.Add(key, Value{Type: TypeArray, ElemType: TypeFloat32, V: x})
}

// AddInt32s sets key to an array of int32; x is retained.
func (w *Writer) AddInt32s(key string, x []int32) {
	w.Add(key, Value{Type: TypeArray, ElemType: TypeInt32, V: x})
}

// AddTensor adds a tensor whose bytes are data, which must be exactly
// TensorSize(typ, dims) long. The name must be unique and 1 to 63 bytes.
// data is retained, not copied, until the file is written.
func (w *Writer) AddTensor(name string, typ Type, dims []uint64, data []byte) error {
	t, err := w.newTensor(name, typ, dims)
	if err != nil {
		return err
	}
	if uint64(len(data)) != t.info.Size {
		return fmt.Errorf("gguf: writer: tensor %q: %d bytes of data, want %d for %s %v",
			name, len(data), t.info.Size, typ, dims)
	}
	t.data = data
	w.addTensor(t)
	return nil
}

// AddTensorFunc adds a tensor whose bytes WriteTo obtains by calling fn,
// which must write exactly TensorSize(typ, dims) bytes, so that converters
// need not hold every tensor in memory. fn is called once per WriteTo, in
// AddTensor order; the io.Writer it receives is valid only during the call.
func (w *Writer) AddTensorFunc(name string, typ Type, dims []uint64, fn func(io.Writer) error) error {
	if fn == nil {
		return fmt.Errorf("gguf: writer: tensor %q: nil func", name)
	}
	t, err := w.newTensor(name, typ, dims)
	if err != nil {
		return err
	}
	t.fn = fn
	w.addTensor(t)
	return nil
}

// CopyFrom adds the keys of f for which keep returns true (every key when
// keep is nil) and all of f's tensors, in file order; the tensor data is
// retained, not copied. Writing the result reproduces f without the dropped
// keys: the way a tool rewrites a file's metadata.
func (w *Writer) CopyFrom(f *File, keep func(key string) bool) error {
	for _, kv := range f.KV {
		if keep == nil || keep(kv.Key) {
			w.Add(kv.Key, kv.Value)
		}
	}
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		data, err := f.TensorData(ti)
		if err != nil {
			return err
		}
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, data); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) newTensor(name string, typ Type, dims []uint64) (writerTensor, error) {
	if err := checkTensorName(name); err != nil {
		return writerTensor{}, fmt.Errorf("gguf: writer: tensor %q: %w", name, err)
	}
	if _, dup := w.tIndex[name]; dup {
		return writerTensor{}, fmt.Errorf("gguf: writer: tensor %q added twice", name)
	}
	size, err := tensorSize(typ, dims)
	if err != nil {
		return writerTensor{}, fmt.Errorf("gguf: writer: tensor %q: %w", name, err)
	}
	info := TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ, Size: size}
	return writerTensor{info: info}, nil
}

func (w *Writer) addTensor(t writerTensor) {
	w.tIndex[t.info.Name] = len(w.tensors)
	w.tensors = append(w.tensors, t)
}

func checkTensorName(name string) error {
	if name == "" || len(name) > MaxTensorNameLen {
		return fmt.Errorf("name length %d, want 1..%d bytes", len(name), MaxTensorNameLen)
	}
	return nil
}

// validate checks the metadata and assigns tensor offsets.
func (w *Writer) validate() error {
	if err := checkAlignment(w.align); err != nil {
		return err
	}
	for _, kv := range w.kv {
		if kv.Key == "" || len(kv.Key) > maxKeyLen {
			return fmt.Errorf("key %q: length %d, want 1..%d bytes", kv.Key, len(kv.Key), maxKeyLen)
		}
		if err := kv.Value.check(0); err != nil {
			return fmt.Errorf("key %q: %w", kv.Key, err)
		}
		if kv.Key == keyAlignment {
			a, err := checkAlignmentValue(kv.Value)
			if err != nil {
				return err
			}
			if a != w.align {
				return fmt.Errorf("key %q is %d but the alignment is %d", keyAlignment, a, w.align)
			}
		}
	}
	off := uint64(0)
	for i := range w.tensors {
		t := &w.tensors[i].info
		t.Offset = off
		next, ok := addOK(off, alignUp(t.Size, w.align))
		if !ok || next > math.MaxInt64 {
			return fmt.Errorf("tensor %q: data section size overflows int64", t.Name)
		}
		off = next
	}
	return nil
}

// alignUp rounds x up to a multiple of a (spec §1.1), saturating at
// math.MaxUint64.
func alignUp(x, a uint64) uint64 {
	r := x % a
	if r == 0 {
		return x
	}
	if x > math.MaxUint64-(a-r) {
		return math.MaxUint64
	}
	return x + (a - r)
}

// WriteTo writes the file to out: header, metadata, tensor infos, padding,
// then each tensor's bytes followed by zero padding to the alignment. It
// checks every key and value, and that each AddTensorFunc callback writes
// exactly its tensor's size. It returns the number of bytes written to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if err := w.validate(); err != nil {
		return 0, fmt.Errorf("gguf: writer: %w", err)
	}
	cw := &countWriter{w: out}
	e := &encoder{bw: bufio.NewWriterSize(cw, 256<<10)}

	e.write([]byte(magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kv)))
	for _, kv := range w.kv {
		e.str(kv.Key)
		e.u32(uint32(kv.Value.Type))
		e.value(kv.Value)
	}
	for _, t := range w.tensors {
		e.str(t.info.Name)
		e.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.info.Type))
		e.u64(t.info.Offset)
	}
	e.pad(w.align)
	for i := range w.tensors {
		if e.err != nil {
			break
		}
		t := &w.tensors[i]
		if t.fn == nil {
			e.write(t.data)
		} else {
			tw := &tensorWriter{e: e, left: t.info.Size}
			err := t.fn(tw)
			switch {
			case e.err != nil: // the output failed; report that
			case tw.over:
				e.err = fmt.Errorf("tensor %q: func wrote more than %d bytes", t.info.Name, t.info.Size)
			case err != nil:
				e.err = fmt.Errorf("tensor %q: %w", t.info.Name, err)
			case tw.left != 0:
				e.err = fmt.Errorf("tensor %q: func wrote %d bytes, want %d",
					t.info.Name, t.info.Size-tw.left, t.info.Size)
			}
		}
		e.pad(w.align)
	}
	if e.err == nil {
		e.err = e.bw.Flush()
	}
	if e.err != nil {
		return cw.n, fmt.Errorf("gguf: writer: %w", e.err)
	}
	return cw.n, nil
}

// WriteFile writes the file to a temporary file in path's directory, syncs
// it and renames it onto path. On any error it removes the temporary file
// and leaves path untouched. An existing file's permissions are kept; a new
// file gets 0644.
func (w *Writer) WriteFile(path string) (err error) {
	perm := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("gguf: writer: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("gguf: writer: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("gguf: writer: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("gguf: writer: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gguf: writer: %w", err)
	}
	return nil
}

// countWriter counts the bytes written to w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian GGUF primitives with a sticky error, like
// bufio.Writer's, and counts the bytes it has been given.
type encoder struct {
	bw      *bufio.Writer
	off     uint64 // bytes written so far
	err     error
	scratch [8]byte
}

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	n, err := e.bw.Write(p)
	e.off += uint64(n)
	e.err = err
}

func (e *encoder) u8(x uint8) {
	e.scratch[0] = x
	e.write(e.scratch[:1])
}

func (e *encoder) u16(x uint16) {
	binary.LittleEndian.PutUint16(e.scratch[:], x)
	e.write(e.scratch[:2])
}

func (e *encoder) u32(x uint32) {
	binary.LittleEndian.PutUint32(e.scratch[:], x)
	e.write(e.scratch[:4])
}

func (e *encoder) u64(x uint64) {
	binary.LittleEndian.PutUint64(e.scratch[:], x)
	e.write(e.scratch[:8])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		n, err := e.bw.WriteString(s)
		e.off += uint64(n)
		e.err = err
	}
}

// zeros is a source of padding bytes.
var zeros [256]byte

// pad writes zero bytes up to the next multiple of a.
func (e *encoder) pad(a uint64) {
	n := alignUp(e.off, a) - e.off
	for n > 0 && e.err == nil {
		k := min(n, uint64(len(zeros)))
		e.write(zeros[:k])
		n -= k
	}
}

// value writes the encoding of v (without its tag), which check has
// accepted.
func (e *encoder) value(v Value) {
	switch x := v.V.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	default:
		e.u32(uint32(v.ElemType))
		e.u64(uint64(v.Len()))
		e.array(v.V)
	}
}

// array writes the elements of a typed slice.
func (e *encoder) array(a any) {
	switch a := a.(type) {
	case []uint8:
		e.write(a)
	case []int8:
		for _, x := range a {
			e.u8(uint8(x))
		}
	case []uint16:
		for _, x := range a {
			e.u16(x)
		}
	case []int16:
		for _, x := range a {
			e.u16(uint16(x))
		}
	case []uint32:
		for _, x := range a {
			e.u32(x)
		}
	case []int32:
		for _, x := range a {
			e.u32(uint32(x))
		}
	case []float32:
		for _, x := range a {
			e.u32(math.Float32bits(x))
		}
	case []bool:
		for _, x := range a {
			if x {
				e.u8(1)
			} else {
				e.u8(0)
			}
		}
	case []string:
		for _, x := range a {
			e.str(x)
		}
	case []uint64:
		for _, x := range a {
			e.u64(x)
		}
	case []int64:
		for _, x := range a {
			e.u64(uint64(x))
		}
	case []float64:
		for _, x := range a {
			e.u64(math.Float64bits(x))
		}
	case []Value:
		for _, x := range a {
			e.value(x)
		}
	}
}

// tensorWriter is the io.Writer handed to an AddTensorFunc callback. It
// refuses to write past the tensor's size.
type tensorWriter struct {
	e    *encoder
	left uint64 // bytes still expected
	over bool   // a write past the size was refused
}

// errTooMuch is returned to a tensor callback that writes past the size.
var errTooMuch = errors.New("gguf: writer: write past the end of the tensor")

func (t *tensorWriter) Write(p []byte) (int, error) {
	if uint64(len(p)) > t.left {
		t.over = true
		return 0, errTooMuch
	}
	if t.e.err != nil {
		return 0, t.e.err
	}
	before := t.e.off
	t.e.write(p)
	n := int(t.e.off - before)
	t.left -= uint64(n)
	return n, t.e.err
}
