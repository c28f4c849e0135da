package kernels

import (
	"github.com/bitnet-go/bitnet/quant"
)

// f16Table maps every IEEE binary16 bit pattern to its float32 value. 256 KiB,
// built once at init; a lookup is cheaper than decoding the bits per element
// in the head and KV-cache loops.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = quant.F16ToF32(uint16(i))
	}
	return &t
}()

// F16ToF32 converts one binary16 value.
func F16ToF32(h uint16) float32 { return f16Table[h] }

// F32ToF16 rounds f to the nearest binary16 (ties to even).
func F32ToF16(f float32) uint16 { return quant.F32ToF16(f) }

// RoundF16 rounds every element of x to binary16 precision in place. ggml
// converts the activations of an F16 matrix product to F16 before the dot
// product (vec_dot_type of F16 is F16), so the head of bitnet.cpp sees
// f16-rounded inputs; doing the same keeps our logits closer to it.
func RoundF16(x []float32) {
	for i, v := range x {
		x[i] = f16Table[quant.F32ToF16(v)]
	}
}

// DotF16 returns Σ w[i]·x[i] with w in binary16, accumulated in float32.
// len(w) must equal len(x). The generic version (f16_generic.go) is the
// definition; the assembly versions convert with VCVTPH2PS (FCVTL on
// arm64) and accumulate with FMA in 16, 32 (arm64) or 64 lanes, so they
// differ from it by float32 rounding only: |Δ| ≤ 2·len(w)·2⁻²⁴·Σ|w[i]·x[i]| (the bound the tests check).
func DotF16(w []uint16, x []float32) float32 {
	if len(x) != len(w) {
		panic("kernels: DotF16: len(w) != len(x)")
	}
	return dotF16(w, x)
}

// DotF32 returns Σ a[i]·b[i] accumulated in float32. len(b) >= len(a).
func DotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// ToF16 stores x rounded to binary16 into dst.
func ToF16(dst []uint16, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = quant.F32ToF16(v)
	}
}
