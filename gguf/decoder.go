package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unsafe"
)

// readBufSize is the window of the buffered ReadAt decoder.
const readBufSize = 64 << 10

// decoder reads little-endian primitives from either an in-memory image
// (mapped file or FromBytes) or an io.ReaderAt through a buffer window. In
// memory mode buf is the whole input and every read is a bounds check and a
// slice; no per-byte interface calls in either mode.
type decoder struct {
	buf  []byte      // window of the input; the whole input when ra == nil
	pos  int         // read position in buf
	base int64       // input offset of buf[0]
	size int64       // input size in bytes
	ra   io.ReaderAt // nil in memory mode

	arena []byte // backing store for strings; see intern
}

func newBytesDecoder(b []byte) *decoder {
	return &decoder{buf: b, size: int64(len(b))}
}

func newReaderDecoder(r io.ReaderAt, size int64) *decoder {
	return &decoder{buf: make([]byte, 0, readBufSize), size: size, ra: r}
}

// offset returns the input offset of the next byte to be read.
func (d *decoder) offset() int64 { return d.base + int64(d.pos) }

// remaining returns the number of input bytes after the read position.
func (d *decoder) remaining() uint64 { return uint64(d.size - d.offset()) }

// eofError is a read past the end of the input. It wraps
// io.ErrUnexpectedEOF.
type eofError struct {
	need uint64 // bytes wanted
	off  int64  // at this input offset
	size int64  // input size
}

func (e *eofError) Error() string {
	return fmt.Sprintf("unexpected EOF: need %d bytes at offset %d, input size %d", e.need, e.off, e.size)
}

func (e *eofError) Unwrap() error { return io.ErrUnexpectedEOF }

// next consumes n bytes and returns them. The slice is valid until the next
// call (in memory mode it aliases the input). n is checked against the
// remaining input before anything is allocated.
func (d *decoder) next(n uint64) ([]byte, error) {
	if n > d.remaining() || n > math.MaxInt {
		return nil, &eofError{need: n, off: d.offset(), size: d.size}
	}
	if uint64(len(d.buf)-d.pos) < n {
		if err := d.fill(int(n)); err != nil {
			return nil, err
		}
	}
	b := d.buf[d.pos : d.pos+int(n) : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

// fill makes at least n bytes available at d.buf[d.pos:] by reading from
// d.ra. The caller has checked that n bytes remain in the input.
func (d *decoder) fill(n int) error {
	if d.ra == nil {
		// Memory mode holds the whole input; next's bound check makes
		// this unreachable.
		panic("gguf: decoder.fill in memory mode")
	}
	left := copy(d.buf[:cap(d.buf)], d.buf[d.pos:])
	d.base += int64(d.pos)
	d.pos = 0
	if n > cap(d.buf) {
		nb := make([]byte, n)
		copy(nb, d.buf[:left])
		d.buf = nb
	}
	want := int64(cap(d.buf) - left)
	if rest := d.size - d.base - int64(left); want > rest {
		want = rest
	}
	buf := d.buf[left : left+int(want)]
	k, err := d.ra.ReadAt(buf, d.base+int64(left))
	d.buf = d.buf[:left+k]
	if k < len(buf) {
		if err == nil || err == io.EOF {
			return &eofError{need: uint64(n), off: d.base, size: d.base + int64(left+k)}
		}
		return fmt.Errorf("read at offset %d: %w", d.base+int64(left), err)
	}
	return nil
}

func (d *decoder) u8() (uint8, error) {
	b, err := d.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (d *decoder) u16() (uint16, error) {
	b, err := d.next(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (d *decoder) u32() (uint32, error) {
	b, err := d.next(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64() (uint64, error) {
	b, err := d.next(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// str reads a GGUF string (u64 length, then the bytes), refusing lengths
// over max or past the end of the input before reading or allocating.
func (d *decoder) str(max uint64) (string, error) {
	n, err := d.u64()
	if err != nil {
		return "", fmt.Errorf("length: %w", err)
	}
	if n > max {
		return "", fmt.Errorf("length %d exceeds the limit of %d bytes", n, max)
	}
	if n > d.remaining() {
		return "", fmt.Errorf("length %d: %w", n, &eofError{need: n, off: d.offset(), size: d.size})
	}
	b, err := d.next(n)
	if err != nil {
		return "", err
	}
	return d.intern(b), nil
}

// Arena chunk sizes for intern: they double from the first to the last.
const (
	minArenaChunk = 1 << 10
	maxArenaChunk = 64 << 10
)

// intern returns b as a string. Short strings are copied into shared arena
// chunks, so that a 128k-entry vocabulary costs a few dozen allocations
// rather than one per token. A chunk is only ever appended to, so the bytes
// behind every string handed out stay immutable.
func (d *decoder) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxArenaChunk/8 {
		return string(b)
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		size := min(max(2*cap(d.arena), minArenaChunk), maxArenaChunk)
		d.arena = make([]byte, 0, size)
	}
	off := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[off], len(b))
}
