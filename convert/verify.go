package convert

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/quant"
)

// verify reopens the written file at path (reported as label) and compares
// its tensor table with the plan and every tensor with its source: the
// ternary values and scales of projections, decoded with package quant's
// decoders, and the converted values of every other tensor.
func verify(ctx context.Context, path, label string, p *plan, ck reader) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("convert: verify: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("convert: verify: %w", err)
	}
	// A ReadAt-backed File: tensor bytes are read chunk by chunk below, so
	// that verification, like conversion, holds one chunk at a time (a
	// mapping would count the whole output towards the resident set).
	f, err := gguf.NewReader(fh, st.Size(), label)
	if err != nil {
		return fmt.Errorf("convert: verify: %w", err)
	}
	defer f.Close()
	if len(f.Tensors) != len(p.tensors) {
		return fmt.Errorf("convert: verify %s: %d tensors, want %d", label, len(f.Tensors), len(p.tensors))
	}
	prod := &producer{ctx: ctx, ck: ck}
	for i, o := range p.tensors {
		ti := &f.Tensors[i]
		if ti.Name != o.name || ti.Type != o.typ || !slices.Equal(ti.Dims, o.dims) {
			return fmt.Errorf("convert: verify %s: tensor %d is %q %s %v, want %q %s %v", label, i, ti.Name, ti.Type, ti.Dims, o.name, o.typ, o.dims)
		}
		td := &tensorData{r: fh, base: int64(f.DataOffset + ti.Offset), size: int64(ti.Size)}
		if err := prod.verifyTensor(o, td); err != nil {
			return fmt.Errorf("convert: verify %s: tensor %q: %w", label, o.name, err)
		}
	}
	return nil
}

// tensorData reads byte ranges of one tensor of the written file.
type tensorData struct {
	r    io.ReaderAt
	base int64 // absolute offset of the tensor
	size int64
	buf  []byte
}

// get returns bytes [off, off+n) of the tensor, valid until the next call.
func (d *tensorData) get(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > d.size {
		return nil, fmt.Errorf("bytes [%d,%d) outside the tensor's %d", off, off+n, d.size)
	}
	if int64(cap(d.buf)) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := d.r.ReadAt(b, d.base+off); err != nil {
		return nil, err
	}
	return b, nil
}

func (p *producer) verifyTensor(o *outTensor, td *tensorData) error {
	switch o.kind {
	case kindGenerated:
		got := make([]float32, len(o.values))
		data, err := td.get(0, td.size)
		if err != nil {
			return err
		}
		if err := quant.Dequantize(o.typ, data, got); err != nil {
			return err
		}
		return compareFloats(got, o.values, 0)
	case kindFloat:
		n := o.src.NumElements()
		want := make([]float32, min(n, chunkElems))
		got := make([]float32, len(want))
		es := elemBytes(o.typ)
		for off := int64(0); off < n; off += int64(len(want)) {
			if err := p.ctx.Err(); err != nil {
				return err
			}
			c := int(min(int64(len(want)), n-off))
			if err := p.readFloatTensor(o, off, want[:c]); err != nil {
				return err
			}
			if o.typ == gguf.TypeF16 {
				for i, v := range want[:c] {
					want[i] = quant.F16ToF32(quant.F32ToF16(v))
				}
			}
			data, err := td.get(off*es, int64(c)*es)
			if err != nil {
				return err
			}
			if err := quant.Dequantize(o.typ, data, got[:c]); err != nil {
				return err
			}
			if err := compareFloats(got[:c], want[:c], off); err != nil {
				return err
			}
		}
		return nil
	}
	tern, err := p.ternarize(o)
	if err != nil {
		return err
	}
	n := o.rows * o.cols
	var scaleBytes []byte
	if o.typ == gguf.TypeI2_S {
		b, err := td.get(int64(n/4), 4)
		if err != nil {
			return err
		}
		scaleBytes = append(scaleBytes, b...)
		if got := quant.I2SScale(scaleBytes, 0); got != tern.scale && !(math.Abs(float64(got-tern.scale)) <= 1e-6*float64(tern.scale)) {
			return fmt.Errorf("I2_S scale %v, want %v", got, tern.scale)
		}
	}
	cr := chunkRows(o)
	want := make([]int8, cr*o.cols)
	got := make([]int8, len(want))
	var deq, blockD []float32
	var img []byte
	for r0 := 0; r0 < o.rows; r0 += cr {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		c := min(cr, o.rows-r0) * o.cols
		off := r0 * o.cols
		if err := tern.rows(r0, want[:c]); err != nil {
			return err
		}
		switch o.typ {
		case gguf.TypeI2_S:
			// A chunk of codes followed by the scale is itself a valid I2_S image.
			codes, err := td.get(int64(off/4), int64(c/4))
			if err != nil {
				return err
			}
			img = append(append(img[:0], codes...), scaleBytes...)
			if _, err := quant.UnpackI2S(img, c, got[:c]); err != nil {
				return err
			}
		case gguf.TypeTQ2_0, gguf.TypeTQ1_0:
			bb := quant.BlockBytesTQ2_0
			unpack := quant.UnpackTQ2_0
			if o.typ == gguf.TypeTQ1_0 {
				bb, unpack = quant.BlockBytesTQ1_0, quant.UnpackTQ1_0
			}
			blockD = slices.Grow(blockD[:0], c/quant.QKK)[:c/quant.QKK]
			data, err := td.get(int64(off/quant.QKK*bb), int64(c/quant.QKK*bb))
			if err != nil {
				return err
			}
			if err := unpack(data, c, got[:c], blockD); err != nil {
				return err
			}
			wantD := quant.F16ToF32(quant.F32ToF16(tern.scale))
			for b, d := range blockD {
				if d != wantD && slices.ContainsFunc(want[b*quant.QKK:(b+1)*quant.QKK], func(v int8) bool { return v != 0 }) {
					return fmt.Errorf("block %d: scale %v, want %v", (off/quant.QKK)+b, d, wantD)
				}
			}
		default: // F16, F32: W̃ = t·scale
			deq = slices.Grow(deq[:0], c)[:c]
			data, err := td.get(int64(off)*elemBytes(o.typ), int64(c)*elemBytes(o.typ))
			if err != nil {
				return err
			}
			if err := quant.Dequantize(o.typ, data, deq); err != nil {
				return err
			}
			w := float32(tern.scale)
			if o.typ == gguf.TypeF16 {
				w = quant.F16ToF32(quant.F32ToF16(w))
			}
			for i, v := range deq {
				if v != float32(want[i])*w {
					return fmt.Errorf("element %d = %v, want %v", off+i, v, float32(want[i])*w)
				}
			}
			continue
		}
		for i := range c {
			if got[i] != want[i] {
				return fmt.Errorf("element %d (row %d, column %d): ternary %d, want %d", off+i, (off+i)/o.cols, (off+i)%o.cols, got[i], want[i])
			}
		}
	}
	return nil
}

func elemBytes(t gguf.Type) int64 {
	if t == gguf.TypeF16 {
		return 2
	}
	return 4
}

func compareFloats(got, want []float32, off int64) error {
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return fmt.Errorf("element %d = %v, want %v", off+int64(i), got[i], want[i])
		}
	}
	return nil
}
