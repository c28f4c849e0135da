package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes; it is the
// limit of the reference implementation (safetensors MAX_HEADER_SIZE).
const MaxHeaderSize = 100_000_000

// MaxDims is the largest tensor rank accepted.
const MaxDims = 8

// ErrFormat is wrapped by every error that reports a malformed header.
var ErrFormat = errors.New("safetensors: malformed file")

// DType is a safetensors element type name as stored in the header, e.g.
// "BF16".
type DType string

// Element types of the safetensors format.
const (
	Bool   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E5M2 DType = "F8_E5M2"
	F8E4M3 DType = "F8_E4M3"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	I64    DType = "I64"
	U64    DType = "U64"
	F64    DType = "F64"
)

// Size returns the bytes per element of d, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case Bool, U8, I8, F8E5M2, F8E4M3:
		return 1
	case I16, U16, F16, BF16:
		return 2
	case I32, U32, F32:
		return 4
	case I64, U64, F64:
		return 8
	}
	return 0
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name   string
	DType  DType
	Shape  []int64 // row-major, outermost first (PyTorch order); empty for a scalar
	Offset int64   // absolute byte offset of the tensor in its file
	Size   int64   // bytes; NumElements()·DType.Size()
	File   string  // the file that holds it (as given to Open)
}

// NumElements returns the product of t.Shape (1 for a scalar).
func (t *TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Header is a parsed safetensors header.
type Header struct {
	Metadata map[string]string // the "__metadata__" entry, or nil
	Tensors  []TensorInfo      // sorted by Offset
	DataOff  int64             // absolute offset of the data section: 8 + header length
}

// ParseHeader reads and validates the header of a safetensors file of size
// bytes read through r; name labels the file in errors. Offsets in the result
// are absolute. It allocates at most min(header length, size) bytes, and only
// after checking that length.
func ParseHeader(r io.ReaderAt, size int64, name string) (*Header, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrFormat, name, fmt.Sprintf(format, args...))
	}
	if size < 8 {
		return nil, fail("file is %d bytes, too short for the 8-byte header length", size)
	}
	var lb [8]byte
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header length: %w", name, err)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	switch {
	case n > MaxHeaderSize:
		return nil, fail("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	case n > uint64(size-8):
		return nil, fail("header length %d runs past the end of the file (%d bytes): truncated file?", n, size)
	case n < 2:
		return nil, fail("header length %d is too short for a JSON object", n)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("safetensors: %s: reading header: %w", name, err)
	}
	h := &Header{DataOff: 8 + int64(n)}
	if err := h.decode(buf, size-h.DataOff, name, fail); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Header) decode(buf []byte, dataLen int64, name string, fail func(string, ...any) error) error {
	if buf[0] != '{' {
		return fail("header does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return fail("header JSON: %v", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("header JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return fail("header JSON: key %v is not a string", tok)
		}
		if seen[key] {
			return fail("duplicate entry %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail("header JSON at %q: %v", key, err)
		}
		if key == "__metadata__" {
			if err := json.Unmarshal(raw, &h.Metadata); err != nil {
				return fail("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		t, err := parseEntry(key, raw, dataLen)
		if err != nil {
			return fail("%v", err)
		}
		t.File = name
		h.Tensors = append(h.Tensors, t)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fail("header JSON: %v", err)
	}
	// Only spaces may follow the object (the format pads the header with them).
	if len(bytes.Trim(buf[dec.InputOffset():], " \t\r\n")) != 0 {
		return fail("trailing bytes after the header JSON object")
	}
	sort.Slice(h.Tensors, func(i, j int) bool {
		a, b := &h.Tensors[i], &h.Tensors[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.Size < b.Size
	})
	for i := 1; i < len(h.Tensors); i++ {
		a, b := &h.Tensors[i-1], &h.Tensors[i]
		if b.Offset < a.Offset+a.Size {
			return fail("tensors %q and %q overlap (bytes [%d,%d) and [%d,%d) of the data section)",
				a.Name, b.Name, a.Offset-h.DataOff, a.Offset+a.Size-h.DataOff, b.Offset-h.DataOff, b.Offset+b.Size-h.DataOff)
		}
	}
	for i := range h.Tensors {
		h.Tensors[i].Offset += h.DataOff
	}
	return nil
}

// parseEntry validates one tensor entry; the offset it returns is relative
// to the data section.
func parseEntry(name string, raw json.RawMessage, dataLen int64) (TensorInfo, error) {
	var e struct {
		DType       *string       `json:"dtype"`
		Shape       []json.Number `json:"shape"`
		DataOffsets []json.Number `json:"data_offsets"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: %v", name, err)
	}
	if name == "" {
		return TensorInfo{}, errors.New("tensor with an empty name")
	}
	if e.DType == nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: missing dtype", name)
	}
	dt := DType(*e.DType)
	if dt.Size() == 0 {
		return TensorInfo{}, fmt.Errorf("tensor %q: unknown dtype %q", name, *e.DType)
	}
	if e.Shape == nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: missing shape", name)
	}
	if len(e.Shape) > MaxDims {
		return TensorInfo{}, fmt.Errorf("tensor %q: %d dimensions (at most %d)", name, len(e.Shape), MaxDims)
	}
	if len(e.DataOffsets) != 2 {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets must be [begin, end]", name)
	}
	t := TensorInfo{Name: name, DType: dt, Shape: make([]int64, len(e.Shape))}
	bytesNeeded := uint64(dt.Size())
	for i, s := range e.Shape {
		v, err := strconv64(s)
		if err != nil {
			return TensorInfo{}, fmt.Errorf("tensor %q: shape[%d] = %s: %v", name, i, s, err)
		}
		t.Shape[i] = v
		if v == 0 {
			bytesNeeded = 0
		} else if bytesNeeded != 0 {
			if bytesNeeded > math.MaxInt64/uint64(v) {
				return TensorInfo{}, fmt.Errorf("tensor %q: shape %v overflows", name, t.Shape)
			}
			bytesNeeded *= uint64(v)
		}
	}
	begin, err := strconv64(e.DataOffsets[0])
	if err != nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets[0] = %s: %v", name, e.DataOffsets[0], err)
	}
	end, err := strconv64(e.DataOffsets[1])
	if err != nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets[1] = %s: %v", name, e.DataOffsets[1], err)
	}
	if begin > end {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] are reversed", name, begin, end)
	}
	if end > dataLen {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the end of the data section (%d bytes): truncated file?", name, begin, end, dataLen)
	}
	if uint64(end-begin) != bytesNeeded {
		return TensorInfo{}, fmt.Errorf("tensor %q: %s shape %v needs %d bytes, data_offsets [%d, %d] hold %d", name, dt, t.Shape, bytesNeeded, begin, end, end-begin)
	}
	t.Offset, t.Size = begin, end-begin
	return t, nil
}

// strconv64 parses a non-negative JSON integer.
func strconv64(n json.Number) (int64, error) {
	s := n.String()
	if s == "" || strings.ContainsAny(s, ".eE-+") {
		return 0, errors.New("not a non-negative integer")
	}
	v, err := n.Int64()
	if err != nil {
		return 0, errors.New("not a non-negative integer that fits in 63 bits")
	}
	return v, nil
}

// File is one open safetensors file. It is safe for concurrent use, except
// Close.
type File struct {
	Name string // path as given to Open, used in error messages
	Header
	f      *os.File
	size   int64
	byName map[string]int
}

// Open opens and validates the safetensors file at path. The caller must
// Close it.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	h, err := ParseHeader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf := &File{Name: path, Header: *h, f: f, size: st.Size(), byName: make(map[string]int, len(h.Tensors))}
	for i := range sf.Tensors {
		sf.byName[sf.Tensors[i].Name] = i
	}
	return sf, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Tensor returns the info of the tensor called name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// Reader returns a reader over the bytes of t, which must belong to f.
func (f *File) Reader(t *TensorInfo) *io.SectionReader {
	return io.NewSectionReader(f.f, t.Offset, t.Size)
}
