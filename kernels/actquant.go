package kernels

import (
	"math"

	"github.com/bitnet-go/bitnet/quant"
)

// QuantizeI8 quantizes one token's activations to int8 with a per-token
// absmax scale, exactly as bitnet.cpp's quantize_row_i8_s (spec §4.2):
//
//	m = max(1e-5, max_k |x_k|)      (compared in float64)
//	s = float32(127 / m)
//	q_k = clamp(roundHalfEven(x_k · s), -128, 127)   (product in float32)
//
// It returns s and Σ q_k. len(q) must be >= len(x).
func QuantizeI8(x []float32, q []int8) (scale float32, sum int32) {
	q = q[:len(x)]
	var amaxBits uint32 // |v| compares as its bit pattern for finite v
	for _, v := range x {
		if b := math.Float32bits(v) & 0x7fffffff; b > amaxBits {
			amaxBits = b
		}
	}
	amax := math.Float32frombits(amaxBits)
	// max(1e-5, max|x|) compared in float64 gives the same value as this:
	// every float32 converts to float64 exactly.
	m := max(float64(amax), 1e-5)
	s := float32(127 / m)
	for i, v := range x {
		// nearest_int: adding 1.5·2²³ in float32 rounds half to even;
		// valid because |v·s| ≤ 127. The conversion keeps the product
		// rounded to float32 (no fused multiply-add), as in ggml.
		r := int32(math.Float32bits(float32(v*s)+12582912)) - 0x4b400000
		if r > 127 {
			r = 127
		} else if r < -128 {
			r = -128
		}
		q[i] = int8(r)
		sum += r
	}
	return s, sum
}

// QuantizeQ8K quantizes x in blocks of 256 the way ggml's
// quantize_row_q8_K_ref does for the activations of TQ1_0/TQ2_0 products
// (spec §2.5): per block, max is the signed value of largest magnitude,
// iscale = -127/max, q = min(127, nearestInt(iscale·x)) and d = 1/iscale; a
// block of zeros gets d = 0. len(x) must be a multiple of 256; d receives one
// scale per block.
func QuantizeQ8K(x []float32, q []int8, d []float32) {
	nb := len(x) / 256
	q = q[:nb*256]
	d = d[:nb]
	for b := range nb {
		xb := x[b*256 : b*256+256 : b*256+256]
		qb := q[b*256 : b*256+256 : b*256+256]
		// The first element of largest magnitude: for non-NaN values |v|
		// orders as its bit pattern. A NaN (ignored by the reference's
		// comparison) or an infinity (whose products are NaN, converted
		// differently on each architecture) sends the block to the
		// reference.
		var amaxBits uint32
		im := 0
		for i, v := range xb {
			if a := math.Float32bits(v) & 0x7fffffff; a > amaxBits {
				amaxBits, im = a, i
			}
		}
		if amaxBits >= 0x7f800000 {
			quant.QuantizeActQ8K(xb, qb, d[b:b+1])
			continue
		}
		if amaxBits == 0 {
			d[b] = 0
			clear(qb)
			continue
		}
		iscale := -127 / xb[im]
		for i, v := range xb {
			// nearest_int: adding 1.5·2²³ in float32 rounds half to even,
			// valid because |iscale·v| ≤ 127; the conversion keeps the
			// product rounded to float32 (no fused multiply-add).
			r := int32(math.Float32bits(float32(iscale*v)+12582912)) - 0x4b400000
			qb[i] = int8(min(r, 127))
		}
		d[b] = 1 / iscale
	}
}
