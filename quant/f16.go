package quant

import "math"

// F16ToF32 converts an IEEE 754 binary16 bit pattern to float32. The
// conversion is exact for every pattern: subnormals, ±0, ±Inf and NaN (the
// payload moves to the top of the float32 mantissa) included.
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		// Zero or subnormal: mant · 2⁻²⁴, exact in float32.
		f := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(f) | sign)
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// F32ToF16 converts f to IEEE 754 binary16 with round to nearest, ties to
// even, like ggml's GGML_FP32_TO_FP16 (the F16C instruction vcvtps2ph with
// rounding mode 0). Values too large for binary16 become ±Inf, values too
// small become ±0 or a subnormal, and NaN stays NaN: the sign and the top
// 9 payload bits are kept and the quiet bit is set, as vcvtps2ph does.
func F32ToF16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23) & 0xff
	mant := bits & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // biased binary16 exponent
	switch {
	case e >= 0x1f:
		return sign | 0x7c00
	case e <= 0:
		if e < -10 {
			// |f| < 2⁻²⁵: below half the smallest subnormal.
			return sign
		}
		// Subnormal result in units of 2⁻²⁴. A carry into bit 10 gives
		// the smallest normal number, which is the right encoding.
		m := mant | 0x800000
		shift := uint(14 - e)
		r := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	// Normal. A carry out of the mantissa bumps the exponent, and from the
	// largest finite value it yields Inf (0x7c00), as it should.
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++
	}
	return sign | uint16(r)
}

// BF16ToF32 converts a bfloat16 bit pattern to float32: the pattern is the
// top half of the float32 (spec §2.2), so the conversion is exact.
func BF16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F32ToBF16 converts f to bfloat16 with round to nearest, ties to even,
// exactly as ggml_compute_fp32_to_bf16 in current ggml: NaN keeps its sign
// and top payload bits and is forced quiet (bit 6 set), overflow rounds to
// ±Inf, and float32 subnormals are rounded, not flushed to zero. (Older ggml
// releases flushed subnormals; bitnet.cpp never writes BF16 tensors.)
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + (0x7fff + (u>>16)&1)) >> 16)
}
