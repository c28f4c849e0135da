//go:build !noasm

// NEON kernels of WeightedSumF16 (wsum_arm64.go): the accumulators of a
// tile stay in registers over all nk keys, and each key adds its rounded
// products (FMUL, then FADD: never FMLA), so every output gets the bits
// of weightedSumF16Generic (the keys in order, each product rounded).

#include "textflag.h"
#include "neon_arm64.h"

// func wsumF16x4NEON(o *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int, ncols int)
//
// Rows j < 4, columns i < ncols (a positive multiple of 16), keys k < nk
// (nk > 0): o[j·ldo+i] += p[j·ldp+k]·v[k·ldv+i]. Tiles of 4 rows × 16
// columns: the 16 accumulators in V0–V15 (row j in V4j..V4j+3), the key's
// 16 f16 values widened once (V24–V27) for the four rows, the four
// weights broadcast with LD1R (V20–V23).
TEXT ·wsumF16x4NEON(SB), NOSPLIT, $0-64
	MOVD o+0(FP), R0
	MOVD ldo+8(FP), R1
	MOVD p+16(FP), R2
	MOVD ldp+24(FP), R3
	MOVD v+32(FP), R4
	MOVD ldv+40(FP), R5
	MOVD nk+48(FP), R6
	MOVD ncols+56(FP), R7
	LSL  $2, R1, R1
	LSL  $2, R3, R3
	LSL  $1, R5, R5
	LSR  $4, R7, R7

cols4:
	ADD  R1, R0, R9
	ADD  R1, R9, R10
	ADD  R1, R10, R11
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R9), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1 (R10), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1 (R11), [V12.S4, V13.S4, V14.S4, V15.S4]
	MOVD R2, R12
	ADD  R3, R12, R13
	ADD  R3, R13, R14
	ADD  R3, R14, R15
	MOVD R4, R19
	MOVD R6, R20
	PCALIGN $16

keys4:
	VLD1    (R19), [V16.H8, V17.H8]
	ADD     R5, R19, R19
	VLD1R.P 4(R12), [V20.S4]
	VLD1R.P 4(R13), [V21.S4]
	VLD1R.P 4(R14), [V22.S4]
	VLD1R.P 4(R15), [V23.S4]
	FCVTL(24, 16)
	FCVTL2(25, 16)
	FCVTL(26, 17)
	FCVTL2(27, 17)
	FMUL4S(28, 24, 20)
	FMUL4S(29, 25, 20)
	FMUL4S(30, 26, 20)
	FMUL4S(31, 27, 20)
	FADD4S(0, 0, 28)
	FADD4S(1, 1, 29)
	FADD4S(2, 2, 30)
	FADD4S(3, 3, 31)
	FMUL4S(28, 24, 21)
	FMUL4S(29, 25, 21)
	FMUL4S(30, 26, 21)
	FMUL4S(31, 27, 21)
	FADD4S(4, 4, 28)
	FADD4S(5, 5, 29)
	FADD4S(6, 6, 30)
	FADD4S(7, 7, 31)
	FMUL4S(28, 24, 22)
	FMUL4S(29, 25, 22)
	FMUL4S(30, 26, 22)
	FMUL4S(31, 27, 22)
	FADD4S(8, 8, 28)
	FADD4S(9, 9, 29)
	FADD4S(10, 10, 30)
	FADD4S(11, 11, 31)
	FMUL4S(28, 24, 23)
	FMUL4S(29, 25, 23)
	FMUL4S(30, 26, 23)
	FMUL4S(31, 27, 23)
	FADD4S(12, 12, 28)
	FADD4S(13, 13, 29)
	FADD4S(14, 14, 30)
	FADD4S(15, 15, 31)
	SUBS    $1, R20, R20
	BNE     keys4

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R9)
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R10)
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R11)
	ADD  $64, R0, R0
	ADD  $32, R4, R4
	SUBS $1, R7, R7
	BNE  cols4
	RET

// func wsumF16x1NEON(o *float32, p *float32, v *uint16, ldv int, nk int, ncols int)
//
// wsumF16x4NEON for one row, in tiles of 32 columns (eight accumulators,
// V0–V7) and a last tile of 16 when ncols mod 32 is 16.
TEXT ·wsumF16x1NEON(SB), NOSPLIT, $0-48
	MOVD o+0(FP), R0
	MOVD p+8(FP), R2
	MOVD v+16(FP), R4
	MOVD ldv+24(FP), R5
	MOVD nk+32(FP), R6
	MOVD ncols+40(FP), R7
	LSL  $1, R5, R5
	LSR  $5, R7, R8 // tiles of 32
	AND  $16, R7, R7 // a last tile of 16?
	CBZ  R8, half1

cols1:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD  $64, R0, R9
	VLD1 (R9), [V4.S4, V5.S4, V6.S4, V7.S4]
	MOVD R2, R12
	MOVD R4, R19
	MOVD R6, R20
	PCALIGN $16

keys1:
	VLD1    (R19), [V16.H8, V17.H8, V18.H8, V19.H8]
	ADD     R5, R19, R19
	VLD1R.P 4(R12), [V20.S4]
	FCVTL(24, 16)
	FCVTL2(25, 16)
	FCVTL(26, 17)
	FCVTL2(27, 17)
	FCVTL(28, 18)
	FCVTL2(29, 18)
	FCVTL(30, 19)
	FCVTL2(31, 19)
	FMUL4S(24, 24, 20)
	FMUL4S(25, 25, 20)
	FMUL4S(26, 26, 20)
	FMUL4S(27, 27, 20)
	FMUL4S(28, 28, 20)
	FMUL4S(29, 29, 20)
	FMUL4S(30, 30, 20)
	FMUL4S(31, 31, 20)
	FADD4S(0, 0, 24)
	FADD4S(1, 1, 25)
	FADD4S(2, 2, 26)
	FADD4S(3, 3, 27)
	FADD4S(4, 4, 28)
	FADD4S(5, 5, 29)
	FADD4S(6, 6, 30)
	FADD4S(7, 7, 31)
	SUBS    $1, R20, R20
	BNE     keys1

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R9)
	ADD  $128, R0, R0
	ADD  $64, R4, R4
	SUBS $1, R8, R8
	BNE  cols1

half1:
	CBZ  R7, done1
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R2, R12
	MOVD R4, R19
	MOVD R6, R20

keys1h:
	VLD1    (R19), [V16.H8, V17.H8]
	ADD     R5, R19, R19
	VLD1R.P 4(R12), [V20.S4]
	FCVTL(24, 16)
	FCVTL2(25, 16)
	FCVTL(26, 17)
	FCVTL2(27, 17)
	FMUL4S(24, 24, 20)
	FMUL4S(25, 25, 20)
	FMUL4S(26, 26, 20)
	FMUL4S(27, 27, 20)
	FADD4S(0, 0, 24)
	FADD4S(1, 1, 25)
	FADD4S(2, 2, 26)
	FADD4S(3, 3, 27)
	SUBS    $1, R20, R20
	BNE     keys1h

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)

done1:
	RET
