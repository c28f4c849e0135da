package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// NewTensor describes a tensor for Write: its bytes are produced by Data,
// which must write exactly NumElements(Shape)·DType.Size() bytes.
type NewTensor struct {
	Name  string
	DType DType
	Shape []int64
	Data  func(w io.Writer) error
}

// Bytes returns a Data function that writes b.
func Bytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// Write writes a safetensors file holding tensors, in the given order, and
// metadata (may be nil) to w. It streams: each tensor's Data is called once.
// Tests and tools use it to build checkpoints.
func Write(w io.Writer, tensors []NewTensor, metadata map[string]string) error {
	type entry struct {
		DType       DType    `json:"dtype"`
		Shape       []int64  `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
	}
	hdr := map[string]any{}
	if metadata != nil {
		hdr["__metadata__"] = metadata
	}
	sizes := make([]int64, len(tensors))
	var off int64
	for i, t := range tensors {
		if t.DType.Size() == 0 {
			return fmt.Errorf("safetensors: write %q: unknown dtype %q", t.Name, t.DType)
		}
		n := int64(t.DType.Size())
		for _, d := range t.Shape {
			n *= d
		}
		if _, dup := hdr[t.Name]; dup {
			return fmt.Errorf("safetensors: write: duplicate tensor %q", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		hdr[t.Name] = entry{t.DType, shape, [2]int64{off, off + n}}
		sizes[i] = n
		off += n
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	for len(js)%8 != 0 { // align the data section to 8 bytes, as the reference does
		js = append(js, ' ')
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(js)))
	bw.Write(lb[:])
	bw.Write(js)
	for i, t := range tensors {
		cw := &countingWriter{w: bw}
		if err := t.Data(cw); err != nil {
			return fmt.Errorf("safetensors: write %q: %w", t.Name, err)
		}
		if cw.n != sizes[i] {
			return fmt.Errorf("safetensors: write %q: wrote %d bytes, want %d", t.Name, cw.n, sizes[i])
		}
	}
	return bw.Flush()
}

// WriteFile writes a safetensors file at path (see Write), through a
// temporary file that is renamed into place on success.
func WriteFile(path string, tensors []NewTensor, metadata map[string]string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = Write(tmp, tensors, metadata); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
