//go:build !noasm

// Hand-written, like q8_amd64.s.

#include "textflag.h"

// HSUM4 reduces the accumulators z0..z3 (ymm views y0..y3, xmm views
// x0, x1) to [Σz0, Σz1, Σz2, Σz3] and stores the four int32 at dst.
// Clobbers z0..z3 and Z24.
#define HSUM4(z0, z1, z2, z3, y0, y1, y2, y3, x0, x1, dst) \
	VEXTRACTI64X4 $1, z0, Y24 \
	VPADDD        Y24, y0, y0 \
	VEXTRACTI64X4 $1, z1, Y24 \
	VPADDD        Y24, y1, y1 \
	VEXTRACTI64X4 $1, z2, Y24 \
	VPADDD        Y24, y2, y2 \
	VEXTRACTI64X4 $1, z3, Y24 \
	VPADDD        Y24, y3, y3 \
	VPHADDD       y1, y0, y0 \
	VPHADDD       y3, y2, y2 \
	VPHADDD       y2, y0, y0 \
	VEXTRACTI128  $1, y0, x1 \
	VPADDD        x1, x0, x0 \
	VMOVDQU       x0, dst

// func u8i8Tile4x4VNNI(w *int8, ldw int, a *byte, lda int, n64 int, out *[16]int32)
//
//	out[4t+r] = Σ_{k < 64·n64} a[t·lda+k]·w[r·ldw+k]   (r, t < 4; n64 > 0)
//
// Z(4t+r) accumulates token t × row r; the four rows (Z16..Z19) and four
// tokens (Z20..Z23) of each 64-byte step are loaded once for 16 VPDPBUSD.
TEXT ·u8i8Tile4x4VNNI(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ldw+8(FP), BX
	LEAQ (SI)(BX*2), R8
	MOVQ a+16(FP), DI
	MOVQ lda+24(FP), R9
	LEAQ (DI)(R9*2), R10
	MOVQ n64+32(FP), CX
	MOVQ out+40(FP), DX

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

u44:
	VMOVDQU64 (SI), Z16
	VMOVDQU64 (SI)(BX*1), Z17
	VMOVDQU64 (R8), Z18
	VMOVDQU64 (R8)(BX*1), Z19
	VMOVDQU64 (DI), Z20
	VMOVDQU64 (DI)(R9*1), Z21
	VMOVDQU64 (R10), Z22
	VMOVDQU64 (R10)(R9*1), Z23
	VPDPBUSD  Z16, Z20, Z0
	VPDPBUSD  Z17, Z20, Z1
	VPDPBUSD  Z18, Z20, Z2
	VPDPBUSD  Z19, Z20, Z3
	VPDPBUSD  Z16, Z21, Z4
	VPDPBUSD  Z17, Z21, Z5
	VPDPBUSD  Z18, Z21, Z6
	VPDPBUSD  Z19, Z21, Z7
	VPDPBUSD  Z16, Z22, Z8
	VPDPBUSD  Z17, Z22, Z9
	VPDPBUSD  Z18, Z22, Z10
	VPDPBUSD  Z19, Z22, Z11
	VPDPBUSD  Z16, Z23, Z12
	VPDPBUSD  Z17, Z23, Z13
	VPDPBUSD  Z18, Z23, Z14
	VPDPBUSD  Z19, Z23, Z15
	ADDQ      $64, SI
	ADDQ      $64, R8
	ADDQ      $64, DI
	ADDQ      $64, R10
	DECQ      CX
	JNZ       u44

	HSUM4(Z0, Z1, Z2, Z3, Y0, Y1, Y2, Y3, X0, X1, (DX))
	HSUM4(Z4, Z5, Z6, Z7, Y4, Y5, Y6, Y7, X4, X5, 16(DX))
	HSUM4(Z8, Z9, Z10, Z11, Y8, Y9, Y10, Y11, X8, X9, 32(DX))
	HSUM4(Z12, Z13, Z14, Z15, Y12, Y13, Y14, Y15, X12, X13, 48(DX))
	VZEROUPPER
	RET
