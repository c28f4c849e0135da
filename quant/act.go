package quant

import (
	"fmt"
	"math"
)

// Ternarize is the absmean weight quantizer of BitNet b1.58 (spec §4.1), as
// written in HF's weight_quant and bitnet.cpp's converters:
//
//	β = max(mean|W|, 1e-5)
//	s = 1/β                               (float32)
//	t = clamp(round_half_even(W·s), −1, 1)   (product in float32)
//
// It writes t[i] for every w[i] and returns β. The mean is accumulated in
// float64 and rounded once to float32; PyTorch sums in float32 with its own
// blocking, so β can differ from the converters' by an ulp or two, which
// moves a code only when W·s lies within an ulp of ±0.5. On kjv-tiny every
// code matches the I2_S file and β is within 2 ulps of its scale
// (TestKJVTinyTernarizeMatchesConverter). An empty w gives β = 1e-5.
//
// The converters store W̃ = t/s, whose magnitude float32(1/s) may differ
// from β by an ulp; that value, not β, is what quantize_i2_s then records
// as the I2_S scale. len(t) must be at least len(w); it panics otherwise.
func Ternarize(w []float32, t []int8) (beta float32) {
	if len(t) < len(w) {
		panic(fmt.Sprintf("quant: Ternarize: output holds %d values, need %d", len(t), len(w)))
	}
	var sum float64
	for _, v := range w {
		sum += math.Abs(float64(v))
	}
	beta = float32(1e-5)
	if len(w) > 0 {
		beta = max(float32(sum/float64(len(w))), beta)
	}
	s := 1 / beta
	for i, v := range w {
		r := math.RoundToEven(float64(float32(v * s)))
		t[i] = int8(max(-1, min(r, 1)))
	}
	return beta
}

// nearestInt is ggml's nearest_int: it adds 1.5·2²³ in float32 and reads
// the low mantissa bits, which rounds half to even for |f| ≤ 4194303. Out of
// that range the result is what the C code gives: NaN → 0, and wrapped
// garbage otherwise; callers clamp.
func nearestInt(f float32) int32 {
	v := float32(f + 12582912)
	return int32(math.Float32bits(v)&0x007fffff) - 0x00400000
}

// QuantizeActI8 quantizes one token's activations x to int8 with a per-token
// absmax scale, exactly as bitnet.cpp's quantize_row_i8_s (spec §4.2):
//
//	m = max(1e-5, max_k |x_k|)         (in float64, starting from 1e-5)
//	s = float32(127 / m)
//	q_k = clamp(nearest_int(x_k·s), −128, 127)   (product in float32, half to even)
//
// It writes q[:len(x)] and returns s and Σ q_k. The dequantized value is
// q_k/s. len(q) must be at least len(x); it panics otherwise.
func QuantizeActI8(x []float32, q []int8) (scale float32, sum int32) {
	if len(q) < len(x) {
		panic(fmt.Sprintf("quant: QuantizeActI8: output holds %d values, need %d", len(q), len(x)))
	}
	q = q[:len(x)]
	m := 1e-5
	for _, v := range x {
		// MAX(max, fabs(x)) in double, as the C macro evaluates it.
		if a := math.Abs(float64(v)); !(m > a) {
			m = a
		}
	}
	s := float32(127 / m)
	for i, v := range x {
		r := nearestInt(float32(v * s))
		r = max(-128, min(r, 127))
		q[i] = int8(r)
		sum += r
	}
	return s, sum
}

// QuantizeActQ8K quantizes x to ggml's Q8_K layout, the activation format of
// llama.cpp's TQ1_0 and TQ2_0 products (spec §2.5), exactly as
// quantize_row_q8_K_ref. Per 256-element block: max is the signed value of
// largest magnitude (the first one on ties); if it is 0, d = 0 and every q
// is 0; else iscale = −127/max, q = min(127, nearest_int(iscale·x)) with the
// product in float32, and d = 1/iscale. The dequantized value is d·q.
// len(x) must be a multiple of 256, len(q) ≥ len(x) and len(d) ≥ len(x)/256;
// it panics otherwise.
func QuantizeActQ8K(x []float32, q []int8, d []float32) {
	if len(x)%QKK != 0 || len(q) < len(x) || len(d) < len(x)/QKK {
		panic(fmt.Sprintf("quant: QuantizeActQ8K: %d inputs, %d outputs, %d scales: need a multiple of %d and room for all", len(x), len(q), len(d), QKK))
	}
	for b := 0; b < len(x)/QKK; b++ {
		xb := x[b*QKK : (b+1)*QKK]
		qb := q[b*QKK : (b+1)*QKK]
		var amax, mx float32
		for _, v := range xb {
			if a := abs32(v); a > amax {
				amax, mx = a, v
			}
		}
		if amax == 0 {
			d[b] = 0
			clear(qb)
			continue
		}
		iscale := -127 / mx
		for i, v := range xb {
			qb[i] = int8(min(127, nearestInt(float32(iscale*v))))
		}
		d[b] = 1 / iscale
	}
}

// Q8KBlockSums writes the bsums of ggml's block_q8_K: for every 16
// consecutive values of q, their sum. len(q) must be a multiple of 16 and
// len(bsums) at least len(q)/16; it panics otherwise.
func Q8KBlockSums(q []int8, bsums []int16) {
	if len(q)%16 != 0 || len(bsums) < len(q)/16 {
		panic(fmt.Sprintf("quant: Q8KBlockSums: %d values, %d sums", len(q), len(bsums)))
	}
	for j := range len(q) / 16 {
		var s int16
		for _, v := range q[16*j : 16*j+16] {
			s += int16(v)
		}
		bsums[j] = s
	}
}
