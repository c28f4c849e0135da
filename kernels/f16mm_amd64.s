//go:build !noasm

// Hand-written (see i2s_amd64.s for why). The definition of the sums is
// dotF16Lanes16 in f16mm.go: one 16-lane accumulator per output, element
// k in lane k mod 16, then the reduction LANES16 spells out.

#include "textflag.h"

// LANES16 reduces the 16 lanes of accumulator z (with y and x its ymm
// and xmm views) as dotF16Lanes16 does and stores the float32 at dst.
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

// func f16Tile4x4(w *uint16, ldw int, x *float32, ldx int, n int, out *[16]float32)
//
//	out[4r+t] = Σ_{k<n} w[r·ldw+k]·x[t·ldx+k]   (r, t < 4; n % 16 == 0, n > 0)
//
// Each 16 weights of the four rows are converted once and multiplied into
// the four tokens' accumulators: Z(4r+t) accumulates row r × token t.
TEXT ·f16Tile4x4(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ldw+8(FP), AX
	SHLQ $1, AX
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

t44:
	VCVTPH2PS   (SI), Z16
	VCVTPH2PS   (R9), Z17
	VCVTPH2PS   (R10), Z18
	VCVTPH2PS   (R11), Z19
	VMOVUPS     (DI), Z20
	VMOVUPS     (R12), Z21
	VMOVUPS     (R13), Z22
	VMOVUPS     (R14), Z23
	VFMADD231PS Z20, Z16, Z0
	VFMADD231PS Z21, Z16, Z1
	VFMADD231PS Z22, Z16, Z2
	VFMADD231PS Z23, Z16, Z3
	VFMADD231PS Z20, Z17, Z4
	VFMADD231PS Z21, Z17, Z5
	VFMADD231PS Z22, Z17, Z6
	VFMADD231PS Z23, Z17, Z7
	VFMADD231PS Z20, Z18, Z8
	VFMADD231PS Z21, Z18, Z9
	VFMADD231PS Z22, Z18, Z10
	VFMADD231PS Z23, Z18, Z11
	VFMADD231PS Z20, Z19, Z12
	VFMADD231PS Z21, Z19, Z13
	VFMADD231PS Z22, Z19, Z14
	VFMADD231PS Z23, Z19, Z15
	ADDQ        $32, SI
	ADDQ        $32, R9
	ADDQ        $32, R10
	ADDQ        $32, R11
	ADDQ        $64, DI
	ADDQ        $64, R12
	ADDQ        $64, R13
	ADDQ        $64, R14
	SUBQ        $16, CX
	JNZ         t44

	MOVQ out+40(FP), AX
	LANES16(Z0, Y0, X0, (AX))
	LANES16(Z1, Y1, X1, 4(AX))
	LANES16(Z2, Y2, X2, 8(AX))
	LANES16(Z3, Y3, X3, 12(AX))
	LANES16(Z4, Y4, X4, 16(AX))
	LANES16(Z5, Y5, X5, 20(AX))
	LANES16(Z6, Y6, X6, 24(AX))
	LANES16(Z7, Y7, X7, 28(AX))
	LANES16(Z8, Y8, X8, 32(AX))
	LANES16(Z9, Y9, X9, 36(AX))
	LANES16(Z10, Y10, X10, 40(AX))
	LANES16(Z11, Y11, X11, 44(AX))
	LANES16(Z12, Y12, X12, 48(AX))
	LANES16(Z13, Y13, X13, 52(AX))
	LANES16(Z14, Y14, X14, 56(AX))
	LANES16(Z15, Y15, X15, 60(AX))
	VZEROUPPER
	RET

// func f16Tile4x4S(w *uint16, ldw int, x *float32, ldx int, n int, out *float32, ldo int)
//
//	out[t·ldo+r] = Σ_{k<n} w[r·ldw+k]·x[t·ldx+k]   (r, t < 4; n % 16 == 0, n > 0)
//
// f16Tile4x4 with the sixteen 16-lane sums reduced together and stored in
// place: the same tree as LANES16 (lane l + l+8, + l+4, then (0+2)+(1+3))
// run on pairs of accumulators with 128-bit and in-lane shuffles, so the
// bits are those of f16Tile4x4 in a third of the instructions. Z(4r+t)
// holds row r, token t; the reduction leaves token t's four rows in
// 128-bit block t of Z0.
TEXT ·f16Tile4x4S(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ ldw+8(FP), AX
	SHLQ $1, AX
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

t44s:
	VCVTPH2PS   (SI), Z16
	VCVTPH2PS   (R9), Z17
	VCVTPH2PS   (R10), Z18
	VCVTPH2PS   (R11), Z19
	VMOVUPS     (DI), Z20
	VMOVUPS     (R12), Z21
	VMOVUPS     (R13), Z22
	VMOVUPS     (R14), Z23
	VFMADD231PS Z20, Z16, Z0
	VFMADD231PS Z21, Z16, Z1
	VFMADD231PS Z22, Z16, Z2
	VFMADD231PS Z23, Z16, Z3
	VFMADD231PS Z20, Z17, Z4
	VFMADD231PS Z21, Z17, Z5
	VFMADD231PS Z22, Z17, Z6
	VFMADD231PS Z23, Z17, Z7
	VFMADD231PS Z20, Z18, Z8
	VFMADD231PS Z21, Z18, Z9
	VFMADD231PS Z22, Z18, Z10
	VFMADD231PS Z23, Z18, Z11
	VFMADD231PS Z20, Z19, Z12
	VFMADD231PS Z21, Z19, Z13
	VFMADD231PS Z22, Z19, Z14
	VFMADD231PS Z23, Z19, Z15
	ADDQ        $32, SI
	ADDQ        $32, R9
	ADDQ        $32, R10
	ADDQ        $32, R11
	ADDQ        $64, DI
	ADDQ        $64, R12
	ADDQ        $64, R13
	ADDQ        $64, R14
	SUBQ        $16, CX
	JNZ         t44s

	VSHUFF64X2 $0x44, Z1, Z0, Z16
	VSHUFF64X2 $0xEE, Z1, Z0, Z17
	VADDPS     Z17, Z16, Z0
	VSHUFF64X2 $0x44, Z3, Z2, Z16
	VSHUFF64X2 $0xEE, Z3, Z2, Z17
	VADDPS     Z17, Z16, Z2
	VSHUFF32X4 $0x88, Z2, Z0, Z16
	VSHUFF32X4 $0xDD, Z2, Z0, Z17
	VADDPS     Z17, Z16, Z0
	VSHUFF64X2 $0x44, Z5, Z4, Z16
	VSHUFF64X2 $0xEE, Z5, Z4, Z17
	VADDPS     Z17, Z16, Z4
	VSHUFF64X2 $0x44, Z7, Z6, Z16
	VSHUFF64X2 $0xEE, Z7, Z6, Z17
	VADDPS     Z17, Z16, Z6
	VSHUFF32X4 $0x88, Z6, Z4, Z16
	VSHUFF32X4 $0xDD, Z6, Z4, Z17
	VADDPS     Z17, Z16, Z4
	VSHUFF64X2 $0x44, Z9, Z8, Z16
	VSHUFF64X2 $0xEE, Z9, Z8, Z17
	VADDPS     Z17, Z16, Z8
	VSHUFF64X2 $0x44, Z11, Z10, Z16
	VSHUFF64X2 $0xEE, Z11, Z10, Z17
	VADDPS     Z17, Z16, Z10
	VSHUFF32X4 $0x88, Z10, Z8, Z16
	VSHUFF32X4 $0xDD, Z10, Z8, Z17
	VADDPS     Z17, Z16, Z8
	VSHUFF64X2 $0x44, Z13, Z12, Z16
	VSHUFF64X2 $0xEE, Z13, Z12, Z17
	VADDPS     Z17, Z16, Z12
	VSHUFF64X2 $0x44, Z15, Z14, Z16
	VSHUFF64X2 $0xEE, Z15, Z14, Z17
	VADDPS     Z17, Z16, Z14
	VSHUFF32X4 $0x88, Z14, Z12, Z16
	VSHUFF32X4 $0xDD, Z14, Z12, Z17
	VADDPS     Z17, Z16, Z12
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

// func f16Tile4x1(w *uint16, ldw int, x *float32, n int, out *[4]float32)
//
//	out[r] = Σ_{k<n} w[r·ldw+k]·x[k]   (r < 4; n % 16 == 0, n > 0)
//
// The decode shape: four independent accumulators (one per row) share
// each load of x.
TEXT ·f16Tile4x1(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ ldw+8(FP), AX
	SHLQ $1, AX
	LEAQ (SI)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	LEAQ (R11)(AX*1), R12 // the next four rows, prefetched alongside
	LEAQ (R12)(AX*2), R13

	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3

	// Two chunks of 16 per iteration when n allows (one prefetch per
	// cache line of each of the next rows); the accumulation order is
	// unchanged: chunk after chunk into the same accumulator.
	MOVQ CX, BX
	SHRQ $5, BX
	JZ   t41one

t41:
	// The same 64 bytes of rows r+4..r+7 (four more streams than the
	// hardware prefetchers follow; prefetches never fault).
	PREFETCHT0  (R12)
	PREFETCHT0  (R12)(AX*1)
	PREFETCHT0  (R13)
	PREFETCHT0  (R13)(AX*1)
	VMOVUPS     (DI), Z20
	VMOVUPS     64(DI), Z21
	VCVTPH2PS   (SI), Z16
	VCVTPH2PS   (R9), Z17
	VCVTPH2PS   (R10), Z18
	VCVTPH2PS   (R11), Z19
	VFMADD231PS Z20, Z16, Z0
	VFMADD231PS Z20, Z17, Z1
	VFMADD231PS Z20, Z18, Z2
	VFMADD231PS Z20, Z19, Z3
	VCVTPH2PS   32(SI), Z16
	VCVTPH2PS   32(R9), Z17
	VCVTPH2PS   32(R10), Z18
	VCVTPH2PS   32(R11), Z19
	VFMADD231PS Z21, Z16, Z0
	VFMADD231PS Z21, Z17, Z1
	VFMADD231PS Z21, Z18, Z2
	VFMADD231PS Z21, Z19, Z3
	ADDQ        $64, SI
	ADDQ        $64, R9
	ADDQ        $64, R10
	ADDQ        $64, R11
	ADDQ        $64, R12
	ADDQ        $64, R13
	ADDQ        $128, DI
	DECQ        BX
	JNZ         t41

t41one:
	TESTQ       $16, CX
	JZ          t41done
	VMOVUPS     (DI), Z20
	VCVTPH2PS   (SI), Z16
	VCVTPH2PS   (R9), Z17
	VCVTPH2PS   (R10), Z18
	VCVTPH2PS   (R11), Z19
	VFMADD231PS Z20, Z16, Z0
	VFMADD231PS Z20, Z17, Z1
	VFMADD231PS Z20, Z18, Z2
	VFMADD231PS Z20, Z19, Z3

t41done:

	MOVQ out+32(FP), AX
	LANES16(Z0, Y0, X0, (AX))
	LANES16(Z1, Y1, X1, 4(AX))
	LANES16(Z2, Y2, X2, 8(AX))
	LANES16(Z3, Y3, X3, 12(AX))
	VZEROUPPER
	RET

// func f16Dot1x1(w *uint16, x *float32, n int) float32
//
//	Σ_{k<n} w[k]·x[k]   (n % 16 == 0, n > 0)
//
// For rows left over after the 4-row tiles (the same sum, one chain).
TEXT ·f16Dot1x1(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), SI
	MOVQ   x+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Z0, Z0, Z0

t11:
	VCVTPH2PS   (SI), Z16
	VFMADD231PS (DI), Z16, Z0
	ADDQ        $32, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         t11

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

// func f16Tile2x2AVX2(w *uint16, ldw int, x *float32, ldx int, n int, out *[4]float32)
//
//	out[2r+t] = Σ_{k<n} w[r·ldw+k]·x[t·ldx+k]   (r, t < 2; n % 16 == 0, n > 0)
//
// Y(4r+2t) and Y(4r+2t+1) hold row r × token t, lanes 0..7 and 8..15.
TEXT ·f16Tile2x2AVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ldw+8(FP), AX
	LEAQ (SI)(AX*2), R9
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

t22:
	VCVTPH2PS   (SI), Y8
	VCVTPH2PS   16(SI), Y9
	VCVTPH2PS   (R9), Y10
	VCVTPH2PS   16(R9), Y11
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS 32(DI), Y9, Y1
	VFMADD231PS (R12), Y8, Y2
	VFMADD231PS 32(R12), Y9, Y3
	VFMADD231PS (DI), Y10, Y4
	VFMADD231PS 32(DI), Y11, Y5
	VFMADD231PS (R12), Y10, Y6
	VFMADD231PS 32(R12), Y11, Y7
	ADDQ        $32, SI
	ADDQ        $32, R9
	ADDQ        $64, DI
	ADDQ        $64, R12
	SUBQ        $16, CX
	JNZ         t22

	MOVQ out+40(FP), AX
	LANES16Y(Y0, Y1, X0, (AX))
	LANES16Y(Y2, Y3, X2, 4(AX))
	LANES16Y(Y4, Y5, X4, 8(AX))
	LANES16Y(Y6, Y7, X6, 12(AX))
	VZEROUPPER
	RET

// func f16Tile4x1AVX2(w *uint16, ldw int, x *float32, n int, out *[4]float32)
//
//	out[r] = Σ_{k<n} w[r·ldw+k]·x[k]   (r < 4; n % 16 == 0, n > 0)
TEXT ·f16Tile4x1AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ ldw+8(FP), AX
	SHLQ $1, AX
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

t41y:
	VMOVUPS     (DI), Y12
	VMOVUPS     32(DI), Y13
	VCVTPH2PS   (SI), Y8
	VCVTPH2PS   16(SI), Y9
	VCVTPH2PS   (R9), Y10
	VCVTPH2PS   16(R9), Y11
	VFMADD231PS Y12, Y8, Y0
	VFMADD231PS Y13, Y9, Y1
	VFMADD231PS Y12, Y10, Y2
	VFMADD231PS Y13, Y11, Y3
	VCVTPH2PS   (R10), Y8
	VCVTPH2PS   16(R10), Y9
	VCVTPH2PS   (R11), Y10
	VCVTPH2PS   16(R11), Y11
	VFMADD231PS Y12, Y8, Y4
	VFMADD231PS Y13, Y9, Y5
	VFMADD231PS Y12, Y10, Y6
	VFMADD231PS Y13, Y11, Y7
	ADDQ        $32, SI
	ADDQ        $32, R9
	ADDQ        $32, R10
	ADDQ        $32, R11
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         t41y

	MOVQ out+32(FP), AX
	LANES16Y(Y0, Y1, X0, (AX))
	LANES16Y(Y2, Y3, X2, 4(AX))
	LANES16Y(Y4, Y5, X4, 8(AX))
	LANES16Y(Y6, Y7, X6, 12(AX))
	VZEROUPPER
	RET

// func f16Dot1x1AVX2(w *uint16, x *float32, n int) float32
TEXT ·f16Dot1x1AVX2(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), SI
	MOVQ   x+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

t11y:
	VCVTPH2PS   (SI), Y8
	VCVTPH2PS   16(SI), Y9
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS 32(DI), Y9, Y1
	ADDQ        $32, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         t11y

	LANES16Y(Y0, Y1, X0, ret+24(FP))
	VZEROUPPER
	RET
