package model

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unsafe"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/quant"
)

// Matrix is a read-only view of a 2-D weight tensor: Rows output rows of
// Cols elements each, row-major in the file's layout (spec §0: ne0 = Cols).
type Matrix struct {
	Name     string
	Type     gguf.Type
	Cols     int    // K, elements per row (ne0)
	Rows     int    // N, number of rows (ne1)
	Data     []byte // the whole tensor as stored; never written
	RowBytes int    // bytes per row (I2_S: Cols/4; its scale sits after the last row)
	f16      []uint16
	f32      []float32
}

// Row returns the stored bytes of row n.
func (m *Matrix) Row(n int) []byte { return m.Data[n*m.RowBytes : (n+1)*m.RowBytes] }

// Linear is one projection y = W·x of a BitNet block (BitLinear, spec §4):
// ternary weights (I2_S, TQ2_0, TQ1_0) multiply int8-quantized activations;
// float weights (F32, F16, BF16, as in an unquantized ternary GGUF) multiply
// the float activations directly, as bitnet.cpp does for such files.
type Linear struct {
	Matrix
	Beta     float32   // I2_S per-tensor scale β (1 for other types)
	OutScale float32   // optional blk.N.*.scale multiplier (1bitLLM), else 1
	Bias     []float32 // optional bias, (Rows), nil if absent
}

// Ternary reports whether the weights are a ternary type with int8 activations.
func (l *Linear) Ternary() bool {
	switch l.Type {
	case gguf.TypeI2_S, gguf.TypeTQ2_0, gguf.TypeTQ1_0:
		return true
	}
	return false
}

// Layer holds the tensors of one transformer block. Norm weights are copied
// to float32 at load (small); matrices are views of the file.
type Layer struct {
	AttnNorm    []float32 // (Dim) attn_norm
	Q           Linear    // (Dim → QDim) attn_q
	K           Linear    // (Dim → KVDim) attn_k
	V           Linear    // (Dim → KVDim) attn_v
	AttnSubNorm []float32 // (QDim) attn_sub_norm, nil without sub-norms
	O           Linear    // (QDim → Dim) attn_output
	FFNNorm     []float32 // (Dim) ffn_norm
	Gate        Linear    // (Dim → HiddenDim) ffn_gate
	Up          Linear    // (Dim → HiddenDim) ffn_up
	FFNSubNorm  []float32 // (HiddenDim) ffn_sub_norm, nil without sub-norms
	Down        Linear    // (HiddenDim → Dim) ffn_down
}

// Weights are all tensors of a model, bound by name (spec §3.1 table).
type Weights struct {
	TokenEmbd  Matrix    // (VocabSize rows × Dim) token_embd
	Layers     []Layer   // (NLayers)
	OutputNorm []float32 // (Dim) output_norm
	Output     *Matrix   // (VocabSize × Dim) the head: token_embd when tied, else output.weight
	RopeFreqs  []float32 // (NRot/2) optional rope_freqs.weight, nil if absent
}

// binder collects every problem with the tensor set, so that one error can
// list them all.
type binder struct {
	f        *gguf.File
	cfg      *Config
	problems []string
	used     map[string]bool
}

func (b *binder) fail(format string, args ...any) {
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

func (b *binder) tensor(name string, required bool) *gguf.TensorInfo {
	ti, ok := b.f.Tensor(name)
	if !ok {
		if required {
			b.fail("tensor %q is missing", name)
		}
		return nil
	}
	b.used[name] = true
	return ti
}

func dimsString(d []uint64) string {
	s := make([]string, len(d))
	for i, v := range d {
		s[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// vector binds a 1-D float tensor of n elements, converted to float32.
func (b *binder) vector(name string, n int, required bool) []float32 {
	ti := b.tensor(name, required)
	if ti == nil {
		return nil
	}
	if len(ti.Dims) != 1 || ti.Dims[0] != uint64(n) {
		b.fail("tensor %q has shape %s, want [%d]", name, dimsString(ti.Dims), n)
		return nil
	}
	switch ti.Type {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
	default:
		b.fail("tensor %q has type %s, want F32, F16 or BF16", name, ti.Type)
		return nil
	}
	data, err := b.f.TensorData(ti)
	if err != nil {
		b.fail("%v", err)
		return nil
	}
	out := make([]float32, n)
	if err := quant.Dequantize(ti.Type, data, out); err != nil {
		b.fail("tensor %q: %v", name, err)
		return nil
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			b.fail("tensor %q: element %d is %v", name, i, v)
			return nil
		}
	}
	return out
}

// matrix binds a 2-D tensor with ne0 = cols and ne1 = rows.
func (b *binder) matrix(name string, cols, rows int, required bool, allowed ...gguf.Type) *Matrix {
	ti := b.tensor(name, required)
	if ti == nil {
		return nil
	}
	if len(ti.Dims) != 2 || ti.Dims[0] != uint64(cols) || ti.Dims[1] != uint64(rows) {
		b.fail("tensor %q has shape %s, want [%d, %d]", name, dimsString(ti.Dims), cols, rows)
		return nil
	}
	ok := false
	for _, t := range allowed {
		ok = ok || t == ti.Type
	}
	if !ok {
		names := make([]string, len(allowed))
		for i, t := range allowed {
			names[i] = t.String()
		}
		b.fail("tensor %q has type %s, which is not supported here (want one of %s)%s", name, ti.Type, strings.Join(names, ", "), typeHint(ti.Type))
		return nil
	}
	data, err := b.f.TensorData(ti)
	if err != nil {
		b.fail("%v", err)
		return nil
	}
	m := &Matrix{Name: name, Type: ti.Type, Cols: cols, Rows: rows, Data: data}
	switch ti.Type {
	case gguf.TypeI2_S:
		if cols%128 != 0 {
			b.fail("tensor %q: I2_S needs a row length that is a multiple of 128, found %d", name, cols)
			return nil
		}
		m.RowBytes = cols / 4
	case gguf.TypeF32:
		m.RowBytes = cols * 4
		m.f32 = f32view(data)
	case gguf.TypeF16:
		m.RowBytes = cols * 2
		m.f16 = u16view(data)
	default:
		bs, ts := ti.Type.BlockSize(), ti.Type.TypeSize()
		if cols%bs != 0 {
			b.fail("tensor %q: row length %d is not a multiple of the %s block size %d", name, cols, ti.Type, bs)
			return nil
		}
		m.RowBytes = cols / bs * ts
	}
	return m
}

// checkOverlap reports tensors whose bytes overlap: writers lay tensors out
// back to back, so an overlap means a corrupted offset, type or shape.
func (b *binder) checkOverlap() {
	ts := make([]*gguf.TensorInfo, len(b.f.Tensors))
	for i := range b.f.Tensors {
		ts[i] = &b.f.Tensors[i]
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Offset < ts[j].Offset })
	for i := 1; i < len(ts); i++ {
		if prev := ts[i-1]; prev.Offset+prev.Size > ts[i].Offset {
			b.fail("tensor %q (offset %d, %d bytes as %s) overlaps tensor %q at offset %d", prev.Name, prev.Offset, prev.Size, prev.Type, ts[i].Name, ts[i].Offset)
		}
	}
}

// typeHint explains the type ids whose meaning differs between bitnet.cpp's
// fork and upstream ggml (spec §2.1).
func typeHint(t gguf.Type) string {
	switch t {
	case gguf.TypeTL1, gguf.TypeTL2:
		return "; TL1/TL2 layouts depend on per-model kernel configurations and are not portable (type 39 is MXFP4 upstream): convert the model to I2_S or TQ2_0 instead"
	}
	return ""
}

// linear binds one projection and its optional bias and scale.
func (b *binder) linear(prefix string, cols, rows int) Linear {
	m := b.matrix(prefix+".weight", cols, rows, true,
		gguf.TypeI2_S, gguf.TypeTQ2_0, gguf.TypeTQ1_0, gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16)
	if m == nil {
		return Linear{}
	}
	l := Linear{Matrix: *m, Beta: 1, OutScale: 1}
	switch m.Type {
	case gguf.TypeI2_S:
		if err := quant.ValidateI2S(m.Data, cols*rows); err != nil {
			b.fail("tensor %q: %v", m.Name, err)
			return Linear{}
		}
		l.Beta = quant.I2SScale(m.Data, cols*rows)
	case gguf.TypeTQ2_0, gguf.TypeTQ1_0:
		// Each 256-block ends with its f16 scale.
		bs := m.Type.TypeSize()
		for i := bs - 2; i < len(m.Data); i += bs {
			d := quant.F16ToF32(uint16(m.Data[i]) | uint16(m.Data[i+1])<<8)
			if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
				b.fail("tensor %q: block %d has scale %v", m.Name, i/bs, d)
				return Linear{}
			}
		}
	}
	l.Bias = b.vector(prefix+".bias", rows, false)
	if s := b.vector(prefix+".scale", 1, false); s != nil {
		l.OutScale = s[0]
	}
	return l
}

// headTypes are the types the embedding and head may have.
var headTypes = []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0, gguf.TypeQ6_K}

// NewWeights binds every tensor the architecture needs and checks shapes and
// types. The error lists every missing, mis-shaped or unsupported tensor,
// and any tensor the architecture does not use.
func NewWeights(f *gguf.File, c *Config) (*Weights, error) {
	b := &binder{f: f, cfg: c, used: map[string]bool{}}
	w := &Weights{}
	if e := b.matrix("token_embd.weight", c.Dim, c.VocabSize, true, headTypes...); e != nil {
		w.TokenEmbd = *e
	}
	w.OutputNorm = b.vector("output_norm.weight", c.Dim, true)
	// The 2B-4T graph always uses token_embd as the head, even when an
	// output.weight is present (spec §3.1); llama uses output.weight when it
	// exists and falls back to token_embd.
	out := b.matrix("output.weight", c.Dim, c.VocabSize, false, headTypes...)
	switch {
	case c.TiedHead || out == nil:
		w.Output = &w.TokenEmbd
	default:
		w.Output = out
	}
	w.RopeFreqs = b.vector("rope_freqs.weight", c.NRot/2, false)

	w.Layers = make([]Layer, c.NLayers)
	for i := range w.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		L := &w.Layers[i]
		L.AttnNorm = b.vector(p+"attn_norm.weight", c.Dim, true)
		L.Q = b.linear(p+"attn_q", c.Dim, c.QDim)
		L.K = b.linear(p+"attn_k", c.Dim, c.KVDim)
		L.V = b.linear(p+"attn_v", c.Dim, c.KVDim)
		L.O = b.linear(p+"attn_output", c.QDim, c.Dim)
		L.FFNNorm = b.vector(p+"ffn_norm.weight", c.Dim, true)
		L.Gate = b.linear(p+"ffn_gate", c.Dim, c.HiddenDim)
		L.Up = b.linear(p+"ffn_up", c.Dim, c.HiddenDim)
		L.Down = b.linear(p+"ffn_down", c.HiddenDim, c.Dim)
		if c.SubNorms {
			L.AttnSubNorm = b.vector(p+"attn_sub_norm.weight", c.QDim, true)
			L.FFNSubNorm = b.vector(p+"ffn_sub_norm.weight", c.HiddenDim, true)
		}
	}
	b.checkOverlap()
	for _, ti := range f.Tensors {
		if !b.used[ti.Name] {
			b.fail("tensor %q is not used by architecture %s", ti.Name, c.Arch)
		}
	}
	if n := len(b.problems); n > 0 {
		const maxShown = 20
		more := ""
		if n > maxShown {
			more = fmt.Sprintf("\n  … and %d more", n-maxShown)
			b.problems = b.problems[:maxShown]
		}
		return nil, fmt.Errorf("model: %s: %d tensor problem(s) for architecture %s:\n  %s%s",
			f.Name, n, c.Arch, strings.Join(b.problems, "\n  "), more)
	}
	return w, nil
}

// u16view reinterprets b as little-endian uint16s without copying when b is
// suitably aligned (always true for mmapped GGUF tensors, which start at
// multiples of 32), and copies otherwise.
func u16view(b []byte) []uint16 {
	n := len(b) / 2
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%2 == 0 && littleEndian {
		return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return out
}

// f32view is u16view for float32.
func f32view(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%4 == 0 && littleEndian {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]float32, n)
	if err := quant.Dequantize(gguf.TypeF32, b[:4*n], out); err != nil {
		panic(err) // cannot happen: length checked above
	}
	return out
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// errNotLittleEndian is returned on big-endian hosts: GGUF files carry no
// byte-order flag and every file in scope is little-endian (spec §1.6).
var errNotLittleEndian = errors.New("model: big-endian hosts are not supported (GGUF files are little-endian)")

// rowDot returns the dot product of row n of a float matrix (any head type)
// with x. scratch must hold Cols floats; it is used for block types.
func (m *Matrix) rowDot(n int, x, scratch []float32) float32 {
	switch m.Type {
	case gguf.TypeF16:
		return kernels.DotF16(m.f16[n*m.Cols:(n+1)*m.Cols], x)
	case gguf.TypeF32:
		return kernels.DotF32(m.f32[n*m.Cols:(n+1)*m.Cols], x)
	}
	if err := quant.Dequantize(m.Type, m.Row(n), scratch[:m.Cols]); err != nil {
		panic(fmt.Sprintf("model: %s row %d: %v", m.Name, n, err)) // shapes checked at load
	}
	return kernels.DotF32(scratch[:m.Cols], x)
}

// embed writes row tok of the embedding matrix, as float32, into out.
func (m *Matrix) embed(tok int, out []float32) {
	switch m.Type {
	case gguf.TypeF16:
		for i, h := range m.f16[tok*m.Cols : (tok+1)*m.Cols] {
			out[i] = kernels.F16ToF32(h)
		}
	case gguf.TypeF32:
		copy(out, m.f32[tok*m.Cols:(tok+1)*m.Cols])
	default:
		if err := quant.Dequantize(m.Type, m.Row(tok), out[:m.Cols]); err != nil {
			panic(fmt.Sprintf("model: %s row %d: %v", m.Name, tok, err)) // shapes checked at load
		}
	}
}
