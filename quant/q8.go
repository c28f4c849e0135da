package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Q8_0 (type 8, spec §2.3): 32-element blocks of 34 bytes, d f16 then
// qs[32] int8; value qs[i]·d.

// QuantizeQ8_0 is ggml's quantize_row_q8_0_ref: per 32-element block,
// d = max|x|/127 (stored as f16), id = 1/d (0 when d is 0) and
// q = roundf(x·id), the product in float32 and halves rounded away from
// zero. len(x) must be a multiple of 32; it panics otherwise.
func QuantizeQ8_0(x []float32) []byte {
	if len(x)%QK8_0 != 0 {
		panic(fmt.Sprintf("quant: QuantizeQ8_0: %d elements is not a multiple of %d", len(x), QK8_0))
	}
	nb := len(x) / QK8_0
	out := make([]byte, nb*BlockBytesQ8_0)
	for b := range nb {
		xb := x[b*QK8_0 : (b+1)*QK8_0]
		blk := out[b*BlockBytesQ8_0 : (b+1)*BlockBytesQ8_0]
		var amax float32
		for _, v := range xb {
			amax = cmax(amax, abs32(v))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		for i, v := range xb {
			blk[2+i] = byte(int8(lroundf(v * id)))
		}
	}
	return out
}

// dequantizeQ8_0 is ggml's dequantize_row_q8_0.
func dequantizeQ8_0(data []byte, out []float32) {
	for b := 0; b < len(out)/QK8_0; b++ {
		blk := data[b*BlockBytesQ8_0 : (b+1)*BlockBytesQ8_0]
		d := F16ToF32(binary.LittleEndian.Uint16(blk))
		y := out[b*QK8_0 : (b+1)*QK8_0]
		for i := range y {
			y[i] = float32(int8(blk[2+i])) * d
		}
	}
}

// dequantizeQ6_K is ggml's dequantize_row_q6_K (spec §2.3): super-blocks
// of 256 elements, ql[128], qh[64], scales[16] int8, d f16; value
// d·scale·(q−32) evaluated left to right in float32.
func dequantizeQ6_K(data []byte, out []float32) {
	for b := 0; b < len(out)/QKK; b++ {
		blk := data[b*BlockBytesQ6_K : (b+1)*BlockBytesQ6_K]
		d := F16ToF32(binary.LittleEndian.Uint16(blk[208:]))
		y := out[b*QKK : (b+1)*QKK]
		for h := range 2 {
			ql := blk[64*h : 64*h+64]
			qh := blk[128+32*h : 128+32*h+32]
			sc := blk[192+8*h : 192+8*h+8]
			yh := y[128*h : 128*h+128]
			for l := range 32 {
				is := l / 16
				q1 := int8(ql[l]&0xF|(qh[l]>>0&3)<<4) - 32
				q2 := int8(ql[l+32]&0xF|(qh[l]>>2&3)<<4) - 32
				q3 := int8(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int8(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				yh[l] = float32(d*float32(int8(sc[is]))) * float32(q1)
				yh[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
				yh[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
				yh[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
			}
		}
	}
}

// dequantizeF16 decodes little-endian binary16 values.
func dequantizeF16(data []byte, out []float32) {
	data = data[:2*len(out)]
	for i := range out {
		out[i] = F16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
	}
}

// dequantizeBF16 decodes little-endian bfloat16 values.
func dequantizeBF16(data []byte, out []float32) {
	data = data[:2*len(out)]
	for i := range out {
		out[i] = BF16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
	}
}

// dequantizeF32 copies little-endian float32 values.
func dequantizeF32(data []byte, out []float32) {
	data = data[:4*len(out)]
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
}
