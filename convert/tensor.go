package convert

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/quant"
	"github.com/bitnet-go/bitnet/safetensors"
)

// chunkElems is the number of elements processed at a time: the converter's
// working memory is a few buffers of this many elements, whatever the model.
const chunkElems = 1 << 20

// reader is what the converter needs of a checkpoint to read tensor bytes.
type reader interface {
	Reader(t *safetensors.TensorInfo) *io.SectionReader
}

// producer streams output tensors from a checkpoint.
type producer struct {
	ctx      context.Context
	ck       reader
	progress func(n int64) // bytes of source read; may be nil
	buf      []byte        // scratch for raw source bytes
}

func (p *producer) advance(n int) {
	if p.progress != nil {
		p.progress(int64(n))
	}
}

// readFloats reads len(dst) elements of the float tensor t starting at
// element off into dst, and fails on a non-finite value.
func (p *producer) readFloats(t *safetensors.TensorInfo, off int64, dst []float32) error {
	es := t.DType.Size()
	n := len(dst) * es
	if cap(p.buf) < n {
		p.buf = make([]byte, n)
	}
	b := p.buf[:n]
	if _, err := p.ck.Reader(t).ReadAt(b, off*int64(es)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("convert: tensor %q in %s: %w", t.Name, t.File, err)
	}
	switch t.DType {
	case safetensors.BF16:
		for i := range dst {
			dst[i] = quant.BF16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case safetensors.F16:
		for i := range dst {
			dst[i] = quant.F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case safetensors.F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	default:
		panic("convert: readFloats on " + string(t.DType)) // Plan checked the dtype
	}
	for i, v := range dst {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("convert: tensor %q in %s: non-finite value %v at element %d", t.Name, t.File, v, off+int64(i))
		}
	}
	p.advance(n)
	return nil
}

// readFloatTensor reads elements [off, off+len(dst)) of the kindFloat
// tensor o's source, adding 1 where o.addOne says so (in f32, after
// widening, as gguf-py's converters do for Gemma norms).
func (p *producer) readFloatTensor(o *outTensor, off int64, dst []float32) error {
	if err := p.readFloats(o.src, off, dst); err != nil {
		return err
	}
	if o.addOne {
		for i := range dst {
			dst[i]++
		}
	}
	return nil
}

// ternary is a projection's ternary values, produced row by row.
type ternary struct {
	scale float32 // the value of +1: the I2_S scale
	rows  func(r0 int, t []int8) error
}

// ternarize prepares o's ternary values. A float source is ternarised with
// absmean (spec §4.1) exactly as quant.Ternarize does, in two streaming
// passes: the mean of |W| in source order, then t = clamp(round(W·s)) with
// s = 1/β; the scale is float32(1/s), the magnitude of the converters' W̃ =
// t/s that quantize_i2_s records. A packed source is unpacked (spec §2.8);
// its scale is weight_scale, or 1/weight_scale for BitLinear checkpoints.
//
// For a BitNet-embedding student (o.exactBeta) β is float32 NumPy's
// np.mean(np.abs(W)) (see absmeanBlock) and is itself the I2_S scale, as
// the embedding packer writes it (spec §10.3).
func (p *producer) ternarize(o *outTensor) (*ternary, error) {
	if o.packed {
		return p.unpack(o)
	}
	n := o.src.NumElements()
	w := make([]float32, min(n, chunkElems)) // chunkElems is a multiple of npBlock
	var sum float64
	var sum32 float32
	for off := int64(0); off < n; off += int64(len(w)) {
		if err := p.ctx.Err(); err != nil {
			return nil, err
		}
		c := w[:min(int64(len(w)), n-off)]
		if err := p.readFloats(o.src, off, c); err != nil {
			return nil, err
		}
		if o.exactBeta {
			for b := 0; b < len(c); b += npBlock {
				sum32 = absmeanBlock(sum32, c[b:min(b+npBlock, len(c))])
			}
			continue
		}
		for _, v := range c {
			sum += math.Abs(float64(v))
		}
	}
	beta := max(float32(sum/float64(n)), float32(1e-5))
	if o.exactBeta {
		beta = max(sum32/float32(n), float32(1e-5))
	}
	s := 1 / beta
	scale := 1 / s
	if o.exactBeta {
		scale = beta
	}
	rowBuf := make([]float32, 0, chunkElems)
	return &ternary{scale: scale, rows: func(r0 int, t []int8) error {
		nr := len(t) / o.cols
		if cap(rowBuf) < len(t) {
			rowBuf = make([]float32, len(t))
		}
		x := rowBuf[:len(t)]
		if err := p.readRows(o, r0, nr, x); err != nil {
			return err
		}
		for i, v := range x {
			r := math.RoundToEven(float64(v * s))
			t[i] = int8(max(-1, min(r, 1)))
		}
		return nil
	}}, nil
}

// srcRow maps row r of the output matrix to its source row: the identity,
// or llama.cpp's q/k permutation for NORM RoPE (spec §3.3), which
// reshapes the rows as (heads, 2, rows/heads/2) and swaps the last two axes.
func srcRow(o *outTensor, r int) int {
	if o.permHeads == 0 {
		return r
	}
	hd := o.rows / o.permHeads
	half := hd / 2
	h, j := r/hd, r%hd
	return h*hd + (j%2)*half + j/2
}

// readRows reads output rows [r0, r0+nr) of the float matrix o into x,
// reading runs of consecutive source rows at once.
func (p *producer) readRows(o *outTensor, r0, nr int, x []float32) error {
	for i := 0; i < nr; {
		s := srcRow(o, r0+i)
		j := i + 1
		for j < nr && srcRow(o, r0+j) == s+(j-i) {
			j++
		}
		if err := p.readFloats(o.src, int64(s)*int64(o.cols), x[i*o.cols:j*o.cols]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// unpack prepares a packed projection: row r = i·P + p of the unpacked
// matrix is bits 2i+1..2i of packed row p, value code−1 (spec §2.8).
func (p *producer) unpack(o *outTensor) (*ternary, error) {
	ws, err := p.scalar(o.scale)
	if err != nil {
		return nil, err
	}
	if !(ws > 0) || math.IsInf(float64(ws), 0) {
		return nil, fmt.Errorf("convert: tensor %q: weight_scale %v is not a positive finite number", o.scale.Name, ws)
	}
	scale := ws
	if o.divide {
		scale = 1 / ws
	}
	P := o.rows / 4
	packed := make([]byte, o.cols)
	return &ternary{scale: scale, rows: func(r0 int, t []int8) error {
		for i := range len(t) / o.cols {
			src := srcRow(o, r0+i)
			pr, shift := src%P, 2*(src/P)
			if _, err := p.ck.Reader(o.src).ReadAt(packed, int64(pr)*int64(o.cols)); err != nil {
				return fmt.Errorf("convert: tensor %q in %s: %w", o.src.Name, o.src.File, err)
			}
			p.advance(len(packed) / 4)
			row := t[i*o.cols : (i+1)*o.cols]
			for k, b := range packed {
				c := (b >> shift) & 3
				if c == 3 {
					return fmt.Errorf("convert: tensor %q: packed code 3 (not a ternary value) for row %d, column %d", o.src.Name, src, k)
				}
				row[k] = int8(c) - 1
			}
		}
		return nil
	}}, nil
}

// scalar reads a one-element float tensor.
func (p *producer) scalar(t *safetensors.TensorInfo) (float32, error) {
	var v [1]float32
	err := p.readFloats(t, 0, v[:])
	return v[0], err
}

// chunkRows is the number of rows of o processed at a time.
func chunkRows(o *outTensor) int {
	return max(1, chunkElems/o.cols)
}

// write produces the bytes of o into w.
func (p *producer) write(o *outTensor, w io.Writer) error {
	switch o.kind {
	case kindGenerated:
		return writeFloats(w, o.typ, o.values, nil)
	case kindFloat:
		n := o.src.NumElements()
		x := make([]float32, min(n, chunkElems))
		var out []byte
		for off := int64(0); off < n; off += int64(len(x)) {
			if err := p.ctx.Err(); err != nil {
				return err
			}
			c := x[:min(int64(len(x)), n-off)]
			if err := p.readFloatTensor(o, off, c); err != nil {
				return err
			}
			if err := writeFloats(w, o.typ, c, &out); err != nil {
				return err
			}
		}
		return nil
	}
	tern, err := p.ternarize(o)
	if err != nil {
		return err
	}
	cr := chunkRows(o)
	t := make([]int8, cr*o.cols)
	var x []float32
	var out []byte
	for r0 := 0; r0 < o.rows; r0 += cr {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		tc := t[:min(cr, o.rows-r0)*o.cols]
		if err := tern.rows(r0, tc); err != nil {
			return err
		}
		if err := encodeTernary(w, o.typ, tc, tern.scale, &x, &out); err != nil {
			return err
		}
	}
	if o.typ == gguf.TypeI2_S {
		var tail [quant.I2STail]byte
		binary.LittleEndian.PutUint32(tail[:], math.Float32bits(tern.scale))
		_, err := w.Write(tail[:])
		return err
	}
	return nil
}

// encodeTernary writes the ternary values t (whole rows) with the given
// scale as typ: I2_S codes (the scale follows the last chunk), TQ2_0 and
// TQ1_0 blocks quantised from W̃ = t·scale by ggml's reference quantizers,
// as llama-quantize makes them from the converters' F32 file, or W̃ itself
// as F16 or F32.
func encodeTernary(w io.Writer, typ gguf.Type, t []int8, scale float32, x *[]float32, out *[]byte) error {
	if typ == gguf.TypeI2_S {
		b, err := quant.PackI2S(t, scale)
		if err != nil {
			return err
		}
		_, err = w.Write(b[:len(t)/4])
		return err
	}
	if cap(*x) < len(t) {
		*x = make([]float32, len(t))
	}
	xs := (*x)[:len(t)]
	for i, v := range t {
		xs[i] = float32(v) * scale
	}
	switch typ {
	case gguf.TypeTQ2_0:
		_, err := w.Write(quant.QuantizeTQ2_0(xs))
		return err
	case gguf.TypeTQ1_0:
		_, err := w.Write(quant.QuantizeTQ1_0(xs))
		return err
	}
	return writeFloats(w, typ, xs, out)
}

// writeFloats writes x as F32 or F16 (round to nearest even).
func writeFloats(w io.Writer, typ gguf.Type, x []float32, out *[]byte) error {
	var b []byte
	if out != nil {
		b = (*out)[:0]
	}
	switch typ {
	case gguf.TypeF32:
		for _, v := range x {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	case gguf.TypeF16:
		for _, v := range x {
			b = binary.LittleEndian.AppendUint16(b, quant.F32ToF16(v))
		}
	default:
		panic("convert: writeFloats to " + typ.String())
	}
	if out != nil {
		*out = b
	}
	_, err := w.Write(b)
	return err
}
