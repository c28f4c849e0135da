package quant

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// TQ2_0 (type 35) and TQ1_0 (type 34) are ggml's ternary types (spec §2.5,
// ggml-common.h block_tq2_0 and block_tq1_0): 256-element blocks, each with
// its own f16 scale d, value (u−1)·d for the trit u = t+1.
//
// TQ2_0, 66 bytes: qs[64] then d. Element e of a block sits in
// qs[32·(e/128) + e%32] at bit shift 2·((e%128)/32), low bits first.
//
// TQ1_0, 54 bytes: qs[48], qh[4], then d. qs[0..31] hold elements m+32n
// (n = 0..4) of byte m, qs[32..47] elements 160+m+16n, and qh[0..3] elements
// 240+j+4n (n = 0..3). A byte stores ceil(q·256/243) for the base-3 number
// q of its trits, first trit most significant (qh multiplies its 4-trit
// number by 3 first); trit n decodes as ((byte·3ⁿ mod 256)·3) >> 8.

var pow3 = [6]uint8{1, 3, 9, 27, 81, 243}

// tqShapes checks len(t) and len(d) for the TQ packers.
func tqShapes(fn string, t []int8, d []float32) error {
	if len(t)%QKK != 0 {
		return fmt.Errorf("quant: %s: %d elements is not a multiple of %d", fn, len(t), QKK)
	}
	if len(d) != len(t)/QKK {
		return fmt.Errorf("quant: %s: %d scales for %d blocks", fn, len(d), len(t)/QKK)
	}
	for i, v := range t {
		if v < -1 || v > 1 {
			return fmt.Errorf("quant: %s: element %d is %d, not ternary", fn, i, v)
		}
	}
	return nil
}

// tqCheck checks the length preconditions of the TQ unpackers.
func tqCheck(fn string, data []byte, n, blockBytes int, t []int8, d []float32) error {
	if n < 0 || n%QKK != 0 {
		return fmt.Errorf("quant: %s: element count %d is not a multiple of %d", fn, n, QKK)
	}
	if need := n / QKK * blockBytes; len(data) < need {
		return fmt.Errorf("quant: %s: %d elements need %d bytes, have %d: %w", fn, n, need, len(data), io.ErrUnexpectedEOF)
	}
	if len(t) < n || len(d) < n/QKK {
		return fmt.Errorf("quant: %s: outputs hold %d values and %d scales, need %d and %d", fn, len(t), len(d), n, n/QKK)
	}
	return nil
}

// PackTQ2_0 packs the ternary values t and one scale per 256-element block
// (stored as f16) into a new TQ2_0 byte slice. len(t) must be a multiple of
// 256 and len(d) must be len(t)/256.
func PackTQ2_0(t []int8, d []float32) ([]byte, error) {
	if err := tqShapes("PackTQ2_0", t, d); err != nil {
		return nil, err
	}
	out := make([]byte, len(d)*BlockBytesTQ2_0)
	for b := range d {
		blk := out[b*BlockBytesTQ2_0 : (b+1)*BlockBytesTQ2_0]
		for e, v := range t[b*QKK : (b+1)*QKK] {
			blk[32*(e/128)+e%32] |= byte(v+1) << (2 * ((e % 128) / 32))
		}
		binary.LittleEndian.PutUint16(blk[64:], F32ToF16(d[b]))
	}
	return out, nil
}

// UnpackTQ2_0 decodes n elements of TQ2_0 data into the ternary values
// t[:n] and the block scales d[:n/256]. A code 3 is an error naming the
// first element that carries it; t is then partly written.
func UnpackTQ2_0(data []byte, n int, t []int8, d []float32) error {
	if err := tqCheck("UnpackTQ2_0", data, n, BlockBytesTQ2_0, t, d); err != nil {
		return err
	}
	for b := 0; b < n/QKK; b++ {
		blk := data[b*BlockBytesTQ2_0 : (b+1)*BlockBytesTQ2_0]
		y := t[b*QKK : (b+1)*QKK]
		for e := range y {
			c := blk[32*(e/128)+e%32] >> (2 * ((e % 128) / 32)) & 3
			if c == 3 {
				return fmt.Errorf("quant: TQ2_0 element %d has the invalid code 3", b*QKK+e)
			}
			y[e] = int8(c) - 1
		}
		d[b] = F16ToF32(binary.LittleEndian.Uint16(blk[64:]))
	}
	return nil
}

// QuantizeTQ2_0 is ggml's quantize_row_tq2_0_ref: per 256-element block,
// d = max|x| (stored as f16), id = 1/d (0 when d is 0) and
// code = lroundf(x·id) + 1, the product in float32 and halves rounded away
// from zero. len(x) must be a multiple of 256; it panics otherwise.
func QuantizeTQ2_0(x []float32) []byte {
	if len(x)%QKK != 0 {
		panic(fmt.Sprintf("quant: QuantizeTQ2_0: %d elements is not a multiple of %d", len(x), QKK))
	}
	nb := len(x) / QKK
	out := make([]byte, nb*BlockBytesTQ2_0)
	for b := range nb {
		xb := x[b*QKK : (b+1)*QKK]
		blk := out[b*BlockBytesTQ2_0 : (b+1)*BlockBytesTQ2_0]
		d, id := ternaryBlockScale(xb)
		binary.LittleEndian.PutUint16(blk[64:], F32ToF16(d))
		for e, v := range xb {
			blk[32*(e/128)+e%32] += byte(lroundf(v*id)+1) & 3 << (2 * ((e % 128) / 32))
		}
	}
	return out
}

// ternaryBlockScale returns d = max|x| (ggml's MAX macro, so a NaN is
// skipped unless it comes last) and id = 1/d, or 0 when d is 0.
func ternaryBlockScale(x []float32) (d, id float32) {
	for _, v := range x {
		d = cmax(d, abs32(v))
	}
	if d != 0 {
		id = 1 / d
	}
	return d, id
}

// PackTQ1_0 packs the ternary values t and one scale per 256-element block
// (stored as f16) into a new TQ1_0 byte slice. len(t) must be a multiple of
// 256 and len(d) must be len(t)/256.
func PackTQ1_0(t []int8, d []float32) ([]byte, error) {
	if err := tqShapes("PackTQ1_0", t, d); err != nil {
		return nil, err
	}
	out := make([]byte, len(d)*BlockBytesTQ1_0)
	var u [QKK]uint8
	for b := range d {
		for e, v := range t[b*QKK : (b+1)*QKK] {
			u[e] = uint8(v + 1)
		}
		packTQ1Block(out[b*BlockBytesTQ1_0:(b+1)*BlockBytesTQ1_0], &u, d[b])
	}
	return out, nil
}

// packTQ1Block writes one TQ1_0 block from the trits u (0..2) and scale d,
// in the order of quantize_row_tq1_0_ref.
func packTQ1Block(blk []byte, u *[QKK]uint8, d float32) {
	for m := range 32 {
		var q uint8
		for n := range 5 {
			q = q*3 + u[m+32*n]
		}
		blk[m] = tq1Ceil(q)
	}
	for m := range 16 {
		var q uint8
		for n := range 5 {
			q = q*3 + u[160+m+16*n]
		}
		blk[32+m] = tq1Ceil(q)
	}
	for j := range 4 {
		var q uint8
		for n := range 4 {
			q = q*3 + u[240+j+4*n]
		}
		blk[48+j] = tq1Ceil(q * 3)
	}
	binary.LittleEndian.PutUint16(blk[52:], F32ToF16(d))
}

// tq1Ceil maps a base-3 number q < 243 to the byte ceil(q·256/243).
func tq1Ceil(q uint8) byte { return byte((uint16(q)*256 + 242) / 243) }

// tq1Trit decodes trit n (0 = most significant) of a TQ1_0 byte, as
// dequantize_row_tq1_0 does. The result is always 0, 1 or 2.
func tq1Trit(c byte, n int) int8 {
	q := c * pow3[n]
	return int8((uint16(q) * 3) >> 8)
}

// UnpackTQ1_0 decodes n elements of TQ1_0 data into the ternary values
// t[:n] and the block scales d[:n/256]. Every byte decodes to valid trits,
// so only lengths are checked.
func UnpackTQ1_0(data []byte, n int, t []int8, d []float32) error {
	if err := tqCheck("UnpackTQ1_0", data, n, BlockBytesTQ1_0, t, d); err != nil {
		return err
	}
	for b := 0; b < n/QKK; b++ {
		blk := data[b*BlockBytesTQ1_0 : (b+1)*BlockBytesTQ1_0]
		y := t[b*QKK : (b+1)*QKK]
		for m := range 32 {
			for n := range 5 {
				y[m+32*n] = tq1Trit(blk[m], n) - 1
			}
		}
		for m := range 16 {
			for n := range 5 {
				y[160+m+16*n] = tq1Trit(blk[32+m], n) - 1
			}
		}
		for j := range 4 {
			for n := range 4 {
				y[240+j+4*n] = tq1Trit(blk[48+j], n) - 1
			}
		}
		d[b] = F16ToF32(binary.LittleEndian.Uint16(blk[52:]))
	}
	return nil
}

// QuantizeTQ1_0 is ggml's quantize_row_tq1_0_ref: per 256-element block,
// d = max|x| (stored as f16), id = 1/d (0 when d is 0), trit =
// lroundf(x·id) + 1 with the product in float32, packed as described above.
// len(x) must be a multiple of 256; it panics otherwise.
func QuantizeTQ1_0(x []float32) []byte {
	if len(x)%QKK != 0 {
		panic(fmt.Sprintf("quant: QuantizeTQ1_0: %d elements is not a multiple of %d", len(x), QKK))
	}
	nb := len(x) / QKK
	out := make([]byte, nb*BlockBytesTQ1_0)
	var u [QKK]uint8
	for b := range nb {
		xb := x[b*QKK : (b+1)*QKK]
		d, id := ternaryBlockScale(xb)
		for e, v := range xb {
			// The C code keeps the running number in a uint8; any
			// out-of-range trit wraps the same way here.
			u[e] = uint8(lroundf(v*id) + 1)
		}
		packTQ1Block(out[b*BlockBytesTQ1_0:(b+1)*BlockBytesTQ1_0], &u, d)
	}
	return out
}

// lroundf rounds x to the nearest integer, halves away from zero, like C's
// lroundf. The argument is rounded to float32 first, so a fused
// multiply-add can never change the result. NaN and out-of-range values,
// undefined in C, give 0.
func lroundf(x float32) int {
	r := math.Round(float64(float32(x)))
	if r != r || r > math.MaxInt32 || r < math.MinInt32 {
		return 0
	}
	return int(r)
}

// cmax is the C macro MAX(a, b) = a > b ? a : b, NaN behaviour included.
func cmax(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// dequantizeTQ2_0 is ggml's dequantize_row_tq2_0: (code−1)·d, so a code 3
// gives 2·d.
func dequantizeTQ2_0(data []byte, out []float32) {
	for b := 0; b < len(out)/QKK; b++ {
		blk := data[b*BlockBytesTQ2_0 : (b+1)*BlockBytesTQ2_0]
		d := F16ToF32(binary.LittleEndian.Uint16(blk[64:]))
		y := out[b*QKK : (b+1)*QKK]
		for h := range 2 {
			for l := range 4 {
				for m := range 32 {
					q := blk[32*h+m] >> (2 * l) & 3
					y[128*h+32*l+m] = float32(int8(q)-1) * d
				}
			}
		}
	}
}

// dequantizeTQ1_0 is ggml's dequantize_row_tq1_0: (trit−1)·d.
func dequantizeTQ1_0(data []byte, out []float32) {
	for b := 0; b < len(out)/QKK; b++ {
		blk := data[b*BlockBytesTQ1_0 : (b+1)*BlockBytesTQ1_0]
		d := F16ToF32(binary.LittleEndian.Uint16(blk[52:]))
		y := out[b*QKK : (b+1)*QKK]
		for m := range 32 {
			for n := range 5 {
				y[m+32*n] = float32(tq1Trit(blk[m], n)-1) * d
			}
		}
		for m := range 16 {
			for n := range 5 {
				y[160+m+16*n] = float32(tq1Trit(blk[32+m], n)-1) * d
			}
		}
		for j := range 4 {
			for n := range 4 {
				y[240+j+4*n] = float32(tq1Trit(blk[48+j], n)-1) * d
			}
		}
	}
}
