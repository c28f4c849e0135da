package quant

import (
	"fmt"

	"github.com/bitnet-go/bitnet/gguf"
)

// Dequantize decodes len(out) elements of type t from data into out, in
// ggml order, with the arithmetic of ggml's dequantize_row_* functions. It
// supports F32, F16, BF16, Q8_0, Q6_K, TQ1_0, TQ2_0 and I2_S. For I2_S, data
// is the whole tensor, scale included, and len(out) must be the tensor's
// element count; a code 3 decodes to +2·scale, as bitnet.cpp's kernels
// compute it (ValidateI2S rejects such tensors). data may be longer than
// needed. It fails, never panics, on an unsupported type, a len(out) that is
// not a multiple of the type's block size, or data that is too short.
func Dequantize(t gguf.Type, data []byte, out []float32) error {
	n := len(out)
	need, err := DataSize(t, n)
	if err != nil {
		return err
	}
	if t == gguf.TypeI2_S {
		need = n/4 + 4 // the scale; the padding after it is not needed
	}
	if len(data) < need {
		return shortErr(t, n, need, len(data))
	}
	switch t {
	case gguf.TypeF32:
		dequantizeF32(data, out)
	case gguf.TypeF16:
		dequantizeF16(data, out)
	case gguf.TypeBF16:
		dequantizeBF16(data, out)
	case gguf.TypeQ8_0:
		dequantizeQ8_0(data, out)
	case gguf.TypeQ6_K:
		dequantizeQ6_K(data, out)
	case gguf.TypeTQ1_0:
		dequantizeTQ1_0(data, out)
	case gguf.TypeTQ2_0:
		dequantizeTQ2_0(data, out)
	case gguf.TypeI2_S:
		dequantizeI2S(data, out)
	default:
		panic("quant: Dequantize: DataSize accepted " + typeName(t))
	}
	return nil
}

// RowSize returns the bytes of one row of k elements of type t, for the
// types DequantizeRow supports. k must be a positive multiple of the block
// size. It fails for I2_S, whose rows share one scale at the tensor's end
// (a row's codes are k/4 bytes at offset row·k/4).
func RowSize(t gguf.Type, k int) (int, error) {
	if t == gguf.TypeI2_S {
		return 0, fmt.Errorf("quant: %s rows are not self-contained: the scale follows the whole tensor; use DequantizeRowI2S", typeName(t))
	}
	if k <= 0 {
		return 0, fmt.Errorf("quant: %s: row length %d is not positive", typeName(t), k)
	}
	return DataSize(t, k)
}

// DequantizeRow decodes row `row` of a 2-D tensor of type t with row length
// k (ne0) into out, which must have length k; data is the tensor from its
// first row. It serves embedding lookup: the row of token id. Rows start at
// row·RowSize(t, k). I2_S is refused with an error: use DequantizeRowI2S,
// which needs the tensor's element count to find the scale.
func DequantizeRow(t gguf.Type, data []byte, k int, row int, out []float32) error {
	rs, err := RowSize(t, k)
	if err != nil {
		return err
	}
	if len(out) != k {
		return fmt.Errorf("quant: DequantizeRow: output holds %d values, row length is %d", len(out), k)
	}
	if row < 0 {
		return fmt.Errorf("quant: DequantizeRow: negative row %d", row)
	}
	off := row * rs
	if row > 0 && off/row != rs || off > len(data) {
		return fmt.Errorf("quant: %s: row %d of %d bytes starts past the %d bytes of data", typeName(t), row, rs, len(data))
	}
	return Dequantize(t, data[off:], out)
}

// DequantizeRowI2S decodes row `row` (length k, a multiple of 128) of an
// I2_S tensor of n elements into out (length k). data is the whole tensor.
func DequantizeRowI2S(data []byte, n, k, row int, out []float32) error {
	if k <= 0 || k%QKI2S != 0 {
		return fmt.Errorf("quant: DequantizeRowI2S: row length %d is not a positive multiple of %d", k, QKI2S)
	}
	if len(out) != k {
		return fmt.Errorf("quant: DequantizeRowI2S: output holds %d values, row length is %d", len(out), k)
	}
	if err := checkI2S("DequantizeRowI2S", data, n); err != nil {
		return err
	}
	if row < 0 || row >= n/k {
		return fmt.Errorf("quant: DequantizeRowI2S: row %d out of range [0, %d)", row, n/k)
	}
	decodeI2S(data[row*k/4:(row+1)*k/4], I2SScale(data, n), out)
	return nil
}
