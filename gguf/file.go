package gguf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// TensorInfo is one tensor-info record (spec §1.4).
type TensorInfo struct {
	Name   string
	Dims   []uint64 // ne0 first; len 1..MaxDims, every dim > 0
	Type   Type
	Offset uint64 // relative to File.DataOffset, as stored; a multiple of File.Alignment
	Size   uint64 // bytes, from TensorSize
}

// NumElements returns the product of t.Dims.
func (t *TensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF file: its metadata, its tensor table and access to
// the tensor bytes. The exported fields are filled by Open, FromBytes or
// NewReader and must be treated as read-only. A File is safe for concurrent
// use, except that Close must not run concurrently with other methods.
type File struct {
	Name       string       // path or label used in every error message
	Version    uint32       // 2 or 3
	Alignment  uint64       // general.alignment, or 32 when absent
	DataOffset uint64       // absolute offset of the tensor data section
	KV         []KV         // in file order
	Tensors    []TensorInfo // in file order

	kvIndex     map[string]int // key -> index in KV
	tensorIndex map[string]int // name -> index in Tensors
	infoEnd     uint64         // offset just past the last tensor-info record

	size   int64       // input size in bytes
	data   []byte      // whole input (mapped or FromBytes); nil when ReadAt-backed
	ra     io.ReaderAt // ReadAt backing when data is nil
	closer func() error
	closed bool
}

// useMmap lets tests switch Open to the ReadAt path.
var useMmap = true

// DefaultAlignment is the alignment of tensor data when general.alignment is
// absent (GGUF_DEFAULT_ALIGNMENT).
const DefaultAlignment = 32

// ErrKeyNotFound is wrapped by the typed getters' error for a missing key.
var ErrKeyNotFound = errors.New("gguf: key not found")

// errClosed is returned by TensorData after Close.
var errClosed = errors.New("file closed")

// Open opens and parses the GGUF file at path. On unix it maps the file
// read-only so that TensorData returns zero-copy views; where mapping is
// unavailable or fails it reads through ReadAt. The caller must Close the
// File, after which views returned by TensorData must no longer be used.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("gguf: %w", err)
	}
	size := st.Size()
	if useMmap {
		if data, unmap, err := mmapFile(fh, size); err == nil {
			// The mapping outlives the descriptor.
			fh.Close()
			f, err := parse(newBytesDecoder(data), path)
			if err != nil {
				unmap()
				return nil, err
			}
			f.data, f.closer = data, unmap
			return f, nil
		}
	}
	f, err := parse(newReaderDecoder(fh, size), path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.ra, f.closer = fh, fh.Close
	return f, nil
}

// ReadFile reads and parses the whole GGUF file at path into private memory
// (anonymous pages advised for transparent huge pages on Linux) instead of
// mapping it. Reading costs the load time of the file but on machines where
// page-table walks over a 4 KiB file mapping limit bandwidth it makes every
// later pass over the weights faster (see docs/performance.md). TensorData
// returns zero-copy views; Close frees the memory.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	data, free, err := readAnon(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: reading: %w", path, err)
	}
	f, err := parse(newBytesDecoder(data), path)
	if err != nil {
		if free != nil {
			free()
		}
		return nil, err
	}
	f.data, f.closer = data, free
	return f, nil
}

// FromBytes parses the GGUF image b without copying it; name labels the
// file in error messages. TensorData returns views into b, so b must not be
// modified while the File is in use. Suitable for go:embed'ed models.
func FromBytes(b []byte, name string) (*File, error) {
	f, err := parse(newBytesDecoder(b), name)
	if err != nil {
		return nil, err
	}
	f.data = b
	return f, nil
}

// NewReader parses a GGUF file of size bytes read through r; name labels
// the file in error messages. TensorData returns fresh buffers read from r.
// Close does not close r.
func NewReader(r io.ReaderAt, size int64, name string) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("gguf: %s: negative size %d", name, size)
	}
	f, err := parse(newReaderDecoder(r, size), name)
	if err != nil {
		return nil, err
	}
	f.ra = r
	return f, nil
}

// Close releases the mapping or the open file. It is safe to call more than
// once. Views returned by TensorData are invalid after Close.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.data, f.ra = nil, nil
	if c := f.closer; c != nil {
		f.closer = nil
		if err := c(); err != nil {
			return fmt.Errorf("gguf: %s: close: %w", f.Name, err)
		}
	}
	return nil
}

// Size returns the size of the underlying file in bytes.
func (f *File) Size() int64 { return f.size }

// Lookup returns the value stored under key. Slices inside the Value are
// shared with f and must not be modified.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// Tensor returns the tensor-info record named name, pointing into
// f.Tensors.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensorIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the t.Size bytes of tensor t. For a mapped file or
// FromBytes the result is a zero-copy view: read-only (writing to a mapped
// file faults) and valid until Close. For a ReadAt-backed File it is a fresh
// buffer owned by the caller.
func (f *File) TensorData(t *TensorInfo) ([]byte, error) {
	if f.closed {
		return nil, fmt.Errorf("gguf: %s: tensor %q: %w", f.Name, t.Name, errClosed)
	}
	start, end, err := f.tensorRange(t)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: tensor %q: %w", f.Name, t.Name, err)
	}
	if f.data != nil {
		return f.data[start:end:end], nil
	}
	if end-start > math.MaxInt {
		return nil, fmt.Errorf("gguf: %s: tensor %q: size %d does not fit in memory", f.Name, t.Name, end-start)
	}
	buf := make([]byte, end-start)
	if _, err := f.ra.ReadAt(buf, int64(start)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("gguf: %s: tensor %q: read at offset %d: %w", f.Name, t.Name, start, err)
	}
	return buf, nil
}

// tensorRange returns the absolute byte range of t's data, checking that it
// lies inside the file.
func (f *File) tensorRange(t *TensorInfo) (start, end uint64, err error) {
	size := uint64(f.size)
	start, c1 := addOK(f.DataOffset, t.Offset)
	end, c2 := addOK(start, t.Size)
	if !c1 || !c2 || end > size {
		return 0, 0, fmt.Errorf("data (data start %d + offset %d, %d bytes) extends past end of file (size %d)",
			f.DataOffset, t.Offset, t.Size, size)
	}
	return start, end, nil
}

// addOK returns a+b and whether it did not overflow.
func addOK(a, b uint64) (uint64, bool) {
	s := a + b
	return s, s >= a
}
