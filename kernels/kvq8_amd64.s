//go:build !noasm

// Written directly (see i2s_amd64.s for why not with avo), the unrolled
// register blocks by a throwaway script. The definitions are Go code in
// kvq8.go: dotI8Lanes16 for the scores (one 16-lane accumulator per
// output, element i in lane i mod 16, products rounded before they are
// added, then the reduction LANES16 spells out) and weightedSumI8Generic
// for the value sums. No product is fused with its sum (VMULPS, VADDPS).

#include "textflag.h"

// LANES16 reduces the 16 lanes of accumulator z (with y and x its ymm
// and xmm views) as dotI8Lanes16 does and stores the float32 at dst.
// Clobbers z and Z24.
#define LANES16(z, y, x, dst) \
	VEXTRACTF64X4 $1, z, Y24 \
	VADDPS        Y24, y, y \
	VEXTRACTF32X4 $1, y, X24 \
	VADDPS        X24, x, x \
	VPERMILPS     $0x4e, x, X24 \
	VADDPS        X24, x, x \
	VPERMILPS     $0xb1, x, X24 \
	VADDSS        X24, x, x \
	VMOVSS        x, dst

// REDUCE4 reduces the accumulators a, b, c, d (16 lanes each) in the tree
// of LANES16 (lane l + l+8, then + l+4) and leaves the four 4-lane partial
// sums in the 128-bit blocks of a: block 0 from a, 1 from b, 2 from c, 3
// from d. Clobbers b, c, d, Z16 and Z17.
#define REDUCE4(a, b, c, d) \
	VSHUFF64X2 $0x44, b, a, Z16 \
	VSHUFF64X2 $0xEE, b, a, Z17 \
	VADDPS     Z17, Z16, a \
	VSHUFF64X2 $0x44, d, c, Z16 \
	VSHUFF64X2 $0xEE, d, c, Z17 \
	VADDPS     Z17, Z16, c \
	VSHUFF32X4 $0x88, c, a, Z16 \
	VSHUFF32X4 $0xDD, c, a, Z17 \
	VADDPS     Z17, Z16, a

// func i8Tile4x4(k *int8, ldk int, x *float32, ldx int, n int, out *float32, ldo int)
//
//	out[t·ldo+r] = Σ_{i<n} x[t·ldx+i]·k[r·ldk+i]   (r, t < 4; n % 16 == 0, n > 0)
//
// Each 16 int8 of the four rows are converted once (VPMOVSXBD, VCVTDQ2PS)
// and multiplied into the four tokens' accumulators: Z(4r+t) accumulates
// row r × token t. The sixteen sums are reduced together: REDUCE4 on each
// row's four tokens leaves (token t, row r) partial sums in block t of
// Z(4r); the last step, (0+2) + (1+3), runs on the four rows with in-lane
// shuffles and leaves token t's four outputs in block t of Z0.
TEXT ·i8Tile4x4(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), SI
	MOVQ ldk+8(FP), AX
	LEAQ (SI)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ x+16(FP), DI
	MOVQ ldx+24(FP), AX
	SHLQ $2, AX
	LEAQ (DI)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	LEAQ (R13)(AX*1), R14
	MOVQ n+32(FP), CX

	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15

i8t44:
	VPMOVSXBD (SI), Z16
	VPMOVSXBD (R9), Z17
	VPMOVSXBD (R10), Z18
	VPMOVSXBD (R11), Z19
	VCVTDQ2PS Z16, Z16
	VCVTDQ2PS Z17, Z17
	VCVTDQ2PS Z18, Z18
	VCVTDQ2PS Z19, Z19
	VMOVUPS   (DI), Z20
	VMOVUPS   (R12), Z21
	VMOVUPS   (R13), Z22
	VMOVUPS   (R14), Z23
	VMULPS    Z20, Z16, Z24
	VADDPS    Z24, Z0, Z0
	VMULPS    Z21, Z16, Z25
	VADDPS    Z25, Z1, Z1
	VMULPS    Z22, Z16, Z26
	VADDPS    Z26, Z2, Z2
	VMULPS    Z23, Z16, Z27
	VADDPS    Z27, Z3, Z3
	VMULPS    Z20, Z17, Z28
	VADDPS    Z28, Z4, Z4
	VMULPS    Z21, Z17, Z29
	VADDPS    Z29, Z5, Z5
	VMULPS    Z22, Z17, Z30
	VADDPS    Z30, Z6, Z6
	VMULPS    Z23, Z17, Z31
	VADDPS    Z31, Z7, Z7
	VMULPS    Z20, Z18, Z24
	VADDPS    Z24, Z8, Z8
	VMULPS    Z21, Z18, Z25
	VADDPS    Z25, Z9, Z9
	VMULPS    Z22, Z18, Z26
	VADDPS    Z26, Z10, Z10
	VMULPS    Z23, Z18, Z27
	VADDPS    Z27, Z11, Z11
	VMULPS    Z20, Z19, Z28
	VADDPS    Z28, Z12, Z12
	VMULPS    Z21, Z19, Z29
	VADDPS    Z29, Z13, Z13
	VMULPS    Z22, Z19, Z30
	VADDPS    Z30, Z14, Z14
	VMULPS    Z23, Z19, Z31
	VADDPS    Z31, Z15, Z15
	ADDQ      $16, SI
	ADDQ      $16, R9
	ADDQ      $16, R10
	ADDQ      $16, R11
	ADDQ      $64, DI
	ADDQ      $64, R12
	ADDQ      $64, R13
	ADDQ      $64, R14
	SUBQ      $16, CX
	JNZ       i8t44

	REDUCE4(Z0, Z1, Z2, Z3)
	REDUCE4(Z4, Z5, Z6, Z7)
	REDUCE4(Z8, Z9, Z10, Z11)
	REDUCE4(Z12, Z13, Z14, Z15)
	VSHUFPS $0x44, Z4, Z0, Z16
	VSHUFPS $0xEE, Z4, Z0, Z17
	VADDPS  Z17, Z16, Z0
	VSHUFPS $0x44, Z12, Z8, Z16
	VSHUFPS $0xEE, Z12, Z8, Z17
	VADDPS  Z17, Z16, Z8
	VSHUFPS $0x88, Z8, Z0, Z16
	VSHUFPS $0xDD, Z8, Z0, Z17
	VADDPS  Z17, Z16, Z0

	MOVQ          out+40(FP), AX
	MOVQ          ldo+48(FP), BX
	SHLQ          $2, BX
	VMOVUPS       X0, (AX)
	ADDQ          BX, AX
	VEXTRACTF32X4 $1, Z0, X1
	VMOVUPS       X1, (AX)
	ADDQ          BX, AX
	VEXTRACTF32X4 $2, Z0, X1
	VMOVUPS       X1, (AX)
	ADDQ          BX, AX
	VEXTRACTF32X4 $3, Z0, X1
	VMOVUPS       X1, (AX)
	VZEROUPPER
	RET

// func i8Tile4x1(k *int8, ldk int, x *float32, n int, out *float32)
//
//	out[r] = Σ_{i<n} x[i]·k[r·ldk+i]   (r < 4; n % 16 == 0, n > 0)
//
// The decode shape: four accumulators (one per row) share each load of x.
// REDUCE4 leaves row r's partial sums in block r of Z0; the last step,
// (0+2) + (1+3), pairs the blocks with in-lane shuffles.
TEXT ·i8Tile4x1(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), SI
	MOVQ ldk+8(FP), AX
	LEAQ (SI)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX

	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3

i8t41:
	VMOVUPS   (DI), Z20
	VPMOVSXBD (SI), Z16
	VPMOVSXBD (R9), Z17
	VPMOVSXBD (R10), Z18
	VPMOVSXBD (R11), Z19
	VCVTDQ2PS Z16, Z16
	VCVTDQ2PS Z17, Z17
	VCVTDQ2PS Z18, Z18
	VCVTDQ2PS Z19, Z19
	VMULPS    Z20, Z16, Z16
	VADDPS    Z16, Z0, Z0
	VMULPS    Z20, Z17, Z17
	VADDPS    Z17, Z1, Z1
	VMULPS    Z20, Z18, Z18
	VADDPS    Z18, Z2, Z2
	VMULPS    Z20, Z19, Z19
	VADDPS    Z19, Z3, Z3
	ADDQ      $16, SI
	ADDQ      $16, R9
	ADDQ      $16, R10
	ADDQ      $16, R11
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       i8t41

	REDUCE4(Z0, Z1, Z2, Z3)
	VEXTRACTF64X4 $1, Z0, Y1      // Y0 = [q0 q1], Y1 = [q2 q3]
	VSHUFPS       $0x44, Y1, Y0, Y16
	VSHUFPS       $0xEE, Y1, Y0, Y17
	VADDPS        Y17, Y16, Y0    // [p0 p1 of rows 0, 2 | rows 1, 3]
	VEXTRACTF128  $1, Y0, X1
	VSHUFPS       $0x88, X1, X0, X16
	VSHUFPS       $0xDD, X1, X0, X17
	VADDPS        X17, X16, X0    // [s0 s2 s1 s3]
	VPERMILPS     $0xD8, X0, X0
	MOVQ          out+32(FP), AX
	VMOVUPS       X0, (AX)
	VZEROUPPER
	RET

// func i8Dot1x1(k *int8, x *float32, n int) float32
//
//	Σ_{i<n} x[i]·k[i]   (n % 16 == 0, n > 0)
TEXT ·i8Dot1x1(SB), NOSPLIT, $0-28
	MOVQ   k+0(FP), SI
	MOVQ   x+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Z0, Z0, Z0

i8t11:
	VPMOVSXBD (SI), Z16
	VCVTDQ2PS Z16, Z16
	VMULPS    (DI), Z16, Z16
	VADDPS    Z16, Z0, Z0
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       i8t11

	LANES16(Z0, Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// The AVX2 kernels keep each output's 16 lanes in two ymm accumulators
// (lo: lanes 0..7, hi: lanes 8..15) and reduce them with the same
// additions as LANES16 (lo + hi is the zmm's low half + high half), so
// they give exactly the AVX-512 kernels' bits.

// LANES16Y reduces lo/hi (xlo: lo's xmm view) into xlo and stores it at
// dst. Clobbers lo and X15.
#define LANES16Y(lo, hi, xlo, dst) \
	VADDPS       hi, lo, lo \
	VEXTRACTF128 $1, lo, X15 \
	VADDPS       X15, xlo, xlo \
	VPERMILPS    $0x4e, xlo, X15 \
	VADDPS       X15, xlo, xlo \
	VPERMILPS    $0xb1, xlo, X15 \
	VADDSS       X15, xlo, xlo \
	VMOVSS       xlo, dst

// func i8Tile2x2AVX2(k *int8, ldk int, x *float32, ldx int, n int, out *float32, ldo int)
//
//	out[t·ldo+r] = Σ_{i<n} x[t·ldx+i]·k[r·ldk+i]   (r, t < 2; n % 16 == 0, n > 0)
//
// Y(4r+2t) and Y(4r+2t+1) hold row r × token t, lanes 0..7 and 8..15.
TEXT ·i8Tile2x2AVX2(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), SI
	MOVQ ldk+8(FP), AX
	LEAQ (SI)(AX*1), R9
	MOVQ x+16(FP), DI
	MOVQ ldx+24(FP), AX
	LEAQ (DI)(AX*4), R12
	MOVQ n+32(FP), CX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

i8t22:
	VPMOVSXBD (SI), Y8
	VPMOVSXBD 8(SI), Y9
	VPMOVSXBD (R9), Y10
	VPMOVSXBD 8(R9), Y11
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VCVTDQ2PS Y10, Y10
	VCVTDQ2PS Y11, Y11
	VMULPS    (DI), Y8, Y12
	VADDPS    Y12, Y0, Y0
	VMULPS    32(DI), Y9, Y13
	VADDPS    Y13, Y1, Y1
	VMULPS    (R12), Y8, Y14
	VADDPS    Y14, Y2, Y2
	VMULPS    32(R12), Y9, Y15
	VADDPS    Y15, Y3, Y3
	VMULPS    (DI), Y10, Y12
	VADDPS    Y12, Y4, Y4
	VMULPS    32(DI), Y11, Y13
	VADDPS    Y13, Y5, Y5
	VMULPS    (R12), Y10, Y14
	VADDPS    Y14, Y6, Y6
	VMULPS    32(R12), Y11, Y15
	VADDPS    Y15, Y7, Y7
	ADDQ      $16, SI
	ADDQ      $16, R9
	ADDQ      $64, DI
	ADDQ      $64, R12
	SUBQ      $16, CX
	JNZ       i8t22

	MOVQ out+40(FP), AX
	MOVQ ldo+48(FP), BX
	LEAQ (AX)(BX*4), BX
	LANES16Y(Y0, Y1, X0, (AX))
	LANES16Y(Y2, Y3, X2, (BX))
	LANES16Y(Y4, Y5, X4, 4(AX))
	LANES16Y(Y6, Y7, X6, 4(BX))
	VZEROUPPER
	RET

// func i8Tile4x1AVX2(k *int8, ldk int, x *float32, n int, out *float32)
//
//	out[r] = Σ_{i<n} x[i]·k[r·ldk+i]   (r < 4; n % 16 == 0, n > 0)
TEXT ·i8Tile4x1AVX2(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), SI
	MOVQ ldk+8(FP), AX
	LEAQ (SI)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

i8t41y:
	VMOVUPS   (DI), Y12
	VMOVUPS   32(DI), Y13
	VPMOVSXBD (SI), Y8
	VPMOVSXBD 8(SI), Y9
	VPMOVSXBD (R9), Y10
	VPMOVSXBD 8(R9), Y11
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VCVTDQ2PS Y10, Y10
	VCVTDQ2PS Y11, Y11
	VMULPS    Y12, Y8, Y8
	VADDPS    Y8, Y0, Y0
	VMULPS    Y13, Y9, Y9
	VADDPS    Y9, Y1, Y1
	VMULPS    Y12, Y10, Y10
	VADDPS    Y10, Y2, Y2
	VMULPS    Y13, Y11, Y11
	VADDPS    Y11, Y3, Y3
	VPMOVSXBD (R10), Y8
	VPMOVSXBD 8(R10), Y9
	VPMOVSXBD (R11), Y10
	VPMOVSXBD 8(R11), Y11
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VCVTDQ2PS Y10, Y10
	VCVTDQ2PS Y11, Y11
	VMULPS    Y12, Y8, Y8
	VADDPS    Y8, Y4, Y4
	VMULPS    Y13, Y9, Y9
	VADDPS    Y9, Y5, Y5
	VMULPS    Y12, Y10, Y10
	VADDPS    Y10, Y6, Y6
	VMULPS    Y13, Y11, Y11
	VADDPS    Y11, Y7, Y7
	ADDQ      $16, SI
	ADDQ      $16, R9
	ADDQ      $16, R10
	ADDQ      $16, R11
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       i8t41y

	MOVQ out+32(FP), AX
	LANES16Y(Y0, Y1, X0, (AX))
	LANES16Y(Y2, Y3, X2, 4(AX))
	LANES16Y(Y4, Y5, X4, 8(AX))
	LANES16Y(Y6, Y7, X6, 12(AX))
	VZEROUPPER
	RET

// func i8Dot1x1AVX2(k *int8, x *float32, n int) float32
TEXT ·i8Dot1x1AVX2(SB), NOSPLIT, $0-28
	MOVQ   k+0(FP), SI
	MOVQ   x+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

i8t11y:
	VPMOVSXBD (SI), Y8
	VPMOVSXBD 8(SI), Y9
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VMULPS    (DI), Y8, Y8
	VADDPS    Y8, Y0, Y0
	VMULPS    32(DI), Y9, Y9
	VADDPS    Y9, Y1, Y1
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       i8t11y

	LANES16Y(Y0, Y1, X0, ret+24(FP))
	VZEROUPPER
	RET

// func wsumI8x4x64(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int)
//
//	for j < 4, i < 64: o[j·ldo+i] += Σ_{k<nk} float32(p[j·ldp+k]·vs[k·ldvs])·v[k·ldv+i]
//
// in order of k (nk > 0). Z(4j+c) accumulates row j, columns 16c..16c+15;
// each weight and each product is rounded before it is added (VMULPS,
// VADDPS), as weightedSumI8Generic.
TEXT ·wsumI8x4x64(SB), NOSPLIT, $0-72
	MOVQ o+0(FP), DI
	MOVQ ldo+8(FP), AX
	SHLQ $2, AX
	LEAQ (DI)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ p+16(FP), SI
	MOVQ ldp+24(FP), AX
	SHLQ $2, AX
	LEAQ (SI)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	LEAQ (R13)(AX*1), R14
	MOVQ v+32(FP), DX
	MOVQ ldv+40(FP), R8
	MOVQ vs+48(FP), AX
	MOVQ ldvs+56(FP), BX
	SHLQ $2, BX
	MOVQ nk+64(FP), CX

	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 0(R9), Z4
	VMOVUPS 64(R9), Z5
	VMOVUPS 128(R9), Z6
	VMOVUPS 192(R9), Z7
	VMOVUPS 0(R10), Z8
	VMOVUPS 64(R10), Z9
	VMOVUPS 128(R10), Z10
	VMOVUPS 192(R10), Z11
	VMOVUPS 0(R11), Z12
	VMOVUPS 64(R11), Z13
	VMOVUPS 128(R11), Z14
	VMOVUPS 192(R11), Z15

wsi8x4x64:
	VPMOVSXBD 0(DX), Z16
	VPMOVSXBD 16(DX), Z17
	VPMOVSXBD 32(DX), Z18
	VPMOVSXBD 48(DX), Z19
	VCVTDQ2PS Z16, Z16
	VCVTDQ2PS Z17, Z17
	VCVTDQ2PS Z18, Z18
	VCVTDQ2PS Z19, Z19
	VBROADCASTSS (AX), Z24
	VBROADCASTSS (SI), Z20
	VMULPS       Z24, Z20, Z20
	VBROADCASTSS (R12), Z21
	VMULPS       Z24, Z21, Z21
	VBROADCASTSS (R13), Z22
	VMULPS       Z24, Z22, Z22
	VBROADCASTSS (R14), Z23
	VMULPS       Z24, Z23, Z23
	VMULPS       Z16, Z20, Z25
	VADDPS       Z25, Z0, Z0
	VMULPS       Z17, Z20, Z26
	VADDPS       Z26, Z1, Z1
	VMULPS       Z18, Z20, Z27
	VADDPS       Z27, Z2, Z2
	VMULPS       Z19, Z20, Z28
	VADDPS       Z28, Z3, Z3
	VMULPS       Z16, Z21, Z29
	VADDPS       Z29, Z4, Z4
	VMULPS       Z17, Z21, Z30
	VADDPS       Z30, Z5, Z5
	VMULPS       Z18, Z21, Z31
	VADDPS       Z31, Z6, Z6
	VMULPS       Z19, Z21, Z25
	VADDPS       Z25, Z7, Z7
	VMULPS       Z16, Z22, Z26
	VADDPS       Z26, Z8, Z8
	VMULPS       Z17, Z22, Z27
	VADDPS       Z27, Z9, Z9
	VMULPS       Z18, Z22, Z28
	VADDPS       Z28, Z10, Z10
	VMULPS       Z19, Z22, Z29
	VADDPS       Z29, Z11, Z11
	VMULPS       Z16, Z23, Z30
	VADDPS       Z30, Z12, Z12
	VMULPS       Z17, Z23, Z31
	VADDPS       Z31, Z13, Z13
	VMULPS       Z18, Z23, Z25
	VADDPS       Z25, Z14, Z14
	VMULPS       Z19, Z23, Z26
	VADDPS       Z26, Z15, Z15
	ADDQ         $4, SI
	ADDQ         $4, R12
	ADDQ         $4, R13
	ADDQ         $4, R14
	ADDQ         R8, DX
	ADDQ         BX, AX
	DECQ         CX
	JNZ          wsi8x4x64

	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 0(R9)
	VMOVUPS Z5, 64(R9)
	VMOVUPS Z6, 128(R9)
	VMOVUPS Z7, 192(R9)
	VMOVUPS Z8, 0(R10)
	VMOVUPS Z9, 64(R10)
	VMOVUPS Z10, 128(R10)
	VMOVUPS Z11, 192(R10)
	VMOVUPS Z12, 0(R11)
	VMOVUPS Z13, 64(R11)
	VMOVUPS Z14, 128(R11)
	VMOVUPS Z15, 192(R11)
	VZEROUPPER
	RET

// func wsumI8x4x16(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int)
//
// wsumI8x4x64 on 16 columns: Z(j) accumulates row j.
TEXT ·wsumI8x4x16(SB), NOSPLIT, $0-72
	MOVQ o+0(FP), DI
	MOVQ ldo+8(FP), AX
	SHLQ $2, AX
	LEAQ (DI)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ p+16(FP), SI
	MOVQ ldp+24(FP), AX
	SHLQ $2, AX
	LEAQ (SI)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	LEAQ (R13)(AX*1), R14
	MOVQ v+32(FP), DX
	MOVQ ldv+40(FP), R8
	MOVQ vs+48(FP), AX
	MOVQ ldvs+56(FP), BX
	SHLQ $2, BX
	MOVQ nk+64(FP), CX

	VMOVUPS 0(DI), Z0
	VMOVUPS 0(R9), Z1
	VMOVUPS 0(R10), Z2
	VMOVUPS 0(R11), Z3

wsi8x4x16:
	VPMOVSXBD 0(DX), Z16
	VCVTDQ2PS Z16, Z16
	VBROADCASTSS (AX), Z24
	VBROADCASTSS (SI), Z20
	VMULPS       Z24, Z20, Z20
	VBROADCASTSS (R12), Z21
	VMULPS       Z24, Z21, Z21
	VBROADCASTSS (R13), Z22
	VMULPS       Z24, Z22, Z22
	VBROADCASTSS (R14), Z23
	VMULPS       Z24, Z23, Z23
	VMULPS       Z16, Z20, Z25
	VADDPS       Z25, Z0, Z0
	VMULPS       Z16, Z21, Z26
	VADDPS       Z26, Z1, Z1
	VMULPS       Z16, Z22, Z27
	VADDPS       Z27, Z2, Z2
	VMULPS       Z16, Z23, Z28
	VADDPS       Z28, Z3, Z3
	ADDQ         $4, SI
	ADDQ         $4, R12
	ADDQ         $4, R13
	ADDQ         $4, R14
	ADDQ         R8, DX
	ADDQ         BX, AX
	DECQ         CX
	JNZ          wsi8x4x16

	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 0(R9)
	VMOVUPS Z2, 0(R10)
	VMOVUPS Z3, 0(R11)
	VZEROUPPER
	RET

// func wsumI8x1x64(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int)
TEXT ·wsumI8x1x64(SB), NOSPLIT, $0-56
	MOVQ o+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ ldv+24(FP), R8
	MOVQ vs+32(FP), AX
	MOVQ ldvs+40(FP), BX
	SHLQ $2, BX
	MOVQ nk+48(FP), CX
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3

wsi8x1x64:
	VPMOVSXBD 0(DX), Z16
	VPMOVSXBD 16(DX), Z17
	VPMOVSXBD 32(DX), Z18
	VPMOVSXBD 48(DX), Z19
	VCVTDQ2PS Z16, Z16
	VCVTDQ2PS Z17, Z17
	VCVTDQ2PS Z18, Z18
	VCVTDQ2PS Z19, Z19
	VBROADCASTSS (AX), Z24
	VBROADCASTSS (SI), Z20
	VMULPS       Z24, Z20, Z20
	VMULPS       Z16, Z20, Z25
	VADDPS       Z25, Z0, Z0
	VMULPS       Z17, Z20, Z26
	VADDPS       Z26, Z1, Z1
	VMULPS       Z18, Z20, Z27
	VADDPS       Z27, Z2, Z2
	VMULPS       Z19, Z20, Z28
	VADDPS       Z28, Z3, Z3
	ADDQ         $4, SI
	ADDQ         R8, DX
	ADDQ         BX, AX
	DECQ         CX
	JNZ          wsi8x1x64

	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VZEROUPPER
	RET

// func wsumI8x1x16(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int)
TEXT ·wsumI8x1x16(SB), NOSPLIT, $0-56
	MOVQ o+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ ldv+24(FP), R8
	MOVQ vs+32(FP), AX
	MOVQ ldvs+40(FP), BX
	SHLQ $2, BX
	MOVQ nk+48(FP), CX
	VMOVUPS 0(DI), Z0

wsi8x1x16:
	VPMOVSXBD 0(DX), Z16
	VCVTDQ2PS Z16, Z16
	VBROADCASTSS (AX), Z24
	VBROADCASTSS (SI), Z20
	VMULPS       Z24, Z20, Z20
	VMULPS       Z16, Z20, Z25
	VADDPS       Z25, Z0, Z0
	ADDQ         $4, SI
	ADDQ         R8, DX
	ADDQ         BX, AX
	DECQ         CX
	JNZ          wsi8x1x16

	VMOVUPS Z0, 0(DI)
	VZEROUPPER
	RET

// func wsumI8x2x32AVX2(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int)
//
// wsumI8x4x64 on 2 rows × 32 columns: Y(4j+c) accumulates row j, columns
// 8c..8c+7.
TEXT ·wsumI8x2x32AVX2(SB), NOSPLIT, $0-72
	MOVQ o+0(FP), DI
	MOVQ ldo+8(FP), AX
	LEAQ (DI)(AX*4), R9
	MOVQ p+16(FP), SI
	MOVQ ldp+24(FP), AX
	LEAQ (SI)(AX*4), R12
	MOVQ v+32(FP), DX
	MOVQ ldv+40(FP), R8
	MOVQ vs+48(FP), AX
	MOVQ ldvs+56(FP), BX
	SHLQ $2, BX
	MOVQ nk+64(FP), CX

	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 0(R9), Y4
	VMOVUPS 32(R9), Y5
	VMOVUPS 64(R9), Y6
	VMOVUPS 96(R9), Y7

wsi8x2x32y:
	VPMOVSXBD 0(DX), Y8
	VPMOVSXBD 8(DX), Y9
	VPMOVSXBD 16(DX), Y10
	VPMOVSXBD 24(DX), Y11
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VCVTDQ2PS Y10, Y10
	VCVTDQ2PS Y11, Y11
	VBROADCASTSS (AX), Y14
	VBROADCASTSS (SI), Y12
	VMULPS       Y14, Y12, Y12
	VBROADCASTSS (R12), Y13
	VMULPS       Y14, Y13, Y13
	VMULPS       Y8, Y12, Y14
	VADDPS       Y14, Y0, Y0
	VMULPS       Y9, Y12, Y15
	VADDPS       Y15, Y1, Y1
	VMULPS       Y10, Y12, Y14
	VADDPS       Y14, Y2, Y2
	VMULPS       Y11, Y12, Y15
	VADDPS       Y15, Y3, Y3
	VMULPS       Y8, Y13, Y14
	VADDPS       Y14, Y4, Y4
	VMULPS       Y9, Y13, Y15
	VADDPS       Y15, Y5, Y5
	VMULPS       Y10, Y13, Y14
	VADDPS       Y14, Y6, Y6
	VMULPS       Y11, Y13, Y15
	VADDPS       Y15, Y7, Y7
	ADDQ         $4, SI
	ADDQ         $4, R12
	ADDQ         R8, DX
	ADDQ         BX, AX
	DECQ         CX
	JNZ          wsi8x2x32y

	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 0(R9)
	VMOVUPS Y5, 32(R9)
	VMOVUPS Y6, 64(R9)
	VMOVUPS Y7, 96(R9)
	VZEROUPPER
	RET

// func wsumI8x1x32AVX2(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int)
TEXT ·wsumI8x1x32AVX2(SB), NOSPLIT, $0-56
	MOVQ o+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ ldv+24(FP), R8
	MOVQ vs+32(FP), AX
	MOVQ ldvs+40(FP), BX
	SHLQ $2, BX
	MOVQ nk+48(FP), CX
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3

wsi8x1x32y:
	VPMOVSXBD 0(DX), Y8
	VPMOVSXBD 8(DX), Y9
	VPMOVSXBD 16(DX), Y10
	VPMOVSXBD 24(DX), Y11
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VCVTDQ2PS Y10, Y10
	VCVTDQ2PS Y11, Y11
	VBROADCASTSS (AX), Y14
	VBROADCASTSS (SI), Y12
	VMULPS       Y14, Y12, Y12
	VMULPS       Y8, Y12, Y8
	VADDPS       Y8, Y0, Y0
	VMULPS       Y9, Y12, Y9
	VADDPS       Y9, Y1, Y1
	VMULPS       Y10, Y12, Y10
	VADDPS       Y10, Y2, Y2
	VMULPS       Y11, Y12, Y11
	VADDPS       Y11, Y3, Y3
	ADDQ         $4, SI
	ADDQ         R8, DX
	ADDQ         BX, AX
	DECQ         CX
	JNZ          wsi8x1x32y

	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET
