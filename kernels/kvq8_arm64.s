//go:build !noasm

// NEON kernels of ScoresI8 and WeightedSumI8 (kvq8_arm64.go). The int8
// values become float32 exactly (SXTL twice, then SCVTF); every product is
// rounded (FMUL) before it is added (FADD), never fused, so the sums are
// those of dotI8Lanes16 and weightedSumI8Generic bit for bit.
// Instructions the Go assembler lacks are WORD-encoded below (register
// numbers in the order of the Arm mnemonic, destination first; the
// encodings were checked with llvm-mc -triple=aarch64 -show-encoding).

#include "textflag.h"
#include "neon_arm64.h"

// SXTL Vd.8H, Vn.8B and SXTL2 Vd.8H, Vn.16B (SSHLL #0): sign-extend bytes.
#define SXTL8H(d, n) WORD $(0x0f08a400 | (n)<<5 | (d))
#define SXTL28H(d, n) WORD $(0x4f08a400 | (n)<<5 | (d))

// SXTL Vd.4S, Vn.4H and SXTL2 Vd.4S, Vn.8H: sign-extend halfwords.
#define SXTL4S(d, n) WORD $(0x0f10a400 | (n)<<5 | (d))
#define SXTL24S(d, n) WORD $(0x4f10a400 | (n)<<5 | (d))

// SCVTF Vd.4S, Vn.4S: int32 to float32 (exact for int8 values).
#define SCVTF4S(d, n) WORD $(0x4e21d800 | (n)<<5 | (d))

// I8F32 converts the 16 int8 of Vs into float32 in Vd0..Vd3 (elements
// 0–3, 4–7, 8–11, 12–15); Vt0 and Vt1 are scratch.
#define I8F32(s, d0, d1, d2, d3, t0, t1) \
	SXTL8H(t0, s); \
	SXTL28H(t1, s); \
	SXTL4S(d0, t0); \
	SXTL24S(d1, t0); \
	SXTL4S(d2, t1); \
	SXTL24S(d3, t1); \
	SCVTF4S(d0, d0); \
	SCVTF4S(d1, d1); \
	SCVTF4S(d2, d2); \
	SCVTF4S(d3, d3)

// LANES16 adds the rounded products of the four float32 vectors x0..x3
// (16 elements) with the converted int8 V17–V20 to the lane sums a0..a3
// (lanes 0–3, 4–7, 8–11, 12–15); x0..x3 are overwritten.
#define LANES16(a0, a1, a2, a3, x0, x1, x2, x3) \
	FMUL4S(x0, x0, 17); \
	FMUL4S(x1, x1, 18); \
	FMUL4S(x2, x2, 19); \
	FMUL4S(x3, x3, 20); \
	FADD4S(a0, a0, x0); \
	FADD4S(a1, a1, x1); \
	FADD4S(a2, a2, x2); \
	FADD4S(a3, a3, x3)

// REDUCE16 leaves in lane 0 of a0 the tree of dotI8Lanes16 over the lane
// sums a0..a3: h = (l0..3 + l8..11, l4..7 + l12..15), q = h0..3 + h4..7,
// then (q0 + q2) + (q1 + q3); V16 holds q rotated by two lanes (VEXT,
// written out at each use).
#define REDUCE16A(a0, a1, a2, a3) \
	FADD4S(a0, a0, a2); \
	FADD4S(a1, a1, a3); \
	FADD4S(a0, a0, a1)
#define REDUCE16B(a0) \
	FADD4S(a0, a0, 16); \
	FADDP2S(a0, a0)

// func i8Dot1x4NEON(k *int8, x *float32, ldx int, n int, out *float32, ldo int)
//
// out[t·ldo] = the 16-lane sum of k·x[t·ldx:] over n elements (n a
// positive multiple of 16) for the four tokens t < 4: each 16 int8 of the
// key are converted once for the four tokens; the lane sums of token t
// are V4t..V4t+3.
TEXT ·i8Dot1x4NEON(SB), NOSPLIT, $0-48
	MOVD k+0(FP), R0
	MOVD x+8(FP), R1
	MOVD ldx+16(FP), R2
	MOVD n+24(FP), R6
	MOVD out+32(FP), R7
	MOVD ldo+40(FP), R8
	LSL  $2, R2, R2
	LSL  $2, R8, R8
	ADD  R2, R1, R3
	ADD  R2, R3, R4
	ADD  R2, R4, R5
	LSR  $4, R6, R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	PCALIGN $16

loop1x4:
	VLD1.P 16(R0), [V16.B16]
	I8F32(16, 17, 18, 19, 20, 21, 22)
	VLD1.P 64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P 64(R3), [V28.S4, V29.S4, V30.S4, V31.S4]
	LANES16(0, 1, 2, 3, 24, 25, 26, 27)
	LANES16(4, 5, 6, 7, 28, 29, 30, 31)
	VLD1.P 64(R4), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P 64(R5), [V28.S4, V29.S4, V30.S4, V31.S4]
	LANES16(8, 9, 10, 11, 24, 25, 26, 27)
	LANES16(12, 13, 14, 15, 28, 29, 30, 31)
	SUBS $1, R6, R6
	BNE  loop1x4

	REDUCE16A(0, 1, 2, 3)
	VEXT $8, V0.B16, V0.B16, V16.B16
	REDUCE16B(0)
	FMOVS F0, (R7)
	ADD  R8, R7, R7
	REDUCE16A(4, 5, 6, 7)
	VEXT $8, V4.B16, V4.B16, V16.B16
	REDUCE16B(4)
	FMOVS F4, (R7)
	ADD  R8, R7, R7
	REDUCE16A(8, 9, 10, 11)
	VEXT $8, V8.B16, V8.B16, V16.B16
	REDUCE16B(8)
	FMOVS F8, (R7)
	ADD  R8, R7, R7
	REDUCE16A(12, 13, 14, 15)
	VEXT $8, V12.B16, V12.B16, V16.B16
	REDUCE16B(12)
	FMOVS F12, (R7)
	RET

// func i8Dot1x1NEON(k *int8, x *float32, n int) float32
//
// The 16-lane sum of k·x over n elements (a positive multiple of 16).
TEXT ·i8Dot1x1NEON(SB), NOSPLIT, $0-28
	MOVD k+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R6
	LSR  $4, R6, R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	PCALIGN $16

loop1x1:
	VLD1.P 16(R0), [V16.B16]
	I8F32(16, 17, 18, 19, 20, 21, 22)
	VLD1.P 64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	LANES16(0, 1, 2, 3, 24, 25, 26, 27)
	SUBS $1, R6, R6
	BNE  loop1x1

	REDUCE16A(0, 1, 2, 3)
	VEXT $8, V0.B16, V0.B16, V16.B16
	REDUCE16B(0)
	FMOVS F0, ret+24(FP)
	RET

// func wsumI8x4NEON(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int, ncols int)
//
// Rows j < 4, columns i < ncols (a positive multiple of 16), keys k < nk
// (nk > 0): o[j·ldo+i] += a_jk·v[k·ldv+i] with a_jk = p[j·ldp+k]·vs[k·ldvs]
// rounded to float32. Tiles of 4 rows × 16 columns: the accumulators in
// V0–V15 (row j in V4j..V4j+3); each key's 16 int8 are converted once
// (V24–V27) for the four rows, whose weights a_jk are V18–V21.
TEXT ·wsumI8x4NEON(SB), NOSPLIT, $0-80
	MOVD o+0(FP), R0
	MOVD ldo+8(FP), R1
	MOVD p+16(FP), R2
	MOVD ldp+24(FP), R3
	MOVD v+32(FP), R4
	MOVD ldv+40(FP), R5
	MOVD vs+48(FP), R6
	MOVD ldvs+56(FP), R7
	MOVD nk+64(FP), R8
	MOVD ncols+72(FP), R9
	LSL  $2, R1, R1
	LSL  $2, R3, R3
	LSL  $2, R7, R7
	LSR  $4, R9, R9

colsI4:
	ADD  R1, R0, R10
	ADD  R1, R10, R11
	ADD  R1, R11, R12
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R10), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1 (R11), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1 (R12), [V12.S4, V13.S4, V14.S4, V15.S4]
	MOVD R2, R13
	ADD  R3, R13, R14
	ADD  R3, R14, R15
	ADD  R3, R15, R19
	MOVD R4, R20
	MOVD R6, R21
	MOVD R8, R22
	PCALIGN $16

keysI4:
	VLD1    (R20), [V16.B16]
	ADD     R5, R20, R20
	VLD1R   (R21), [V17.S4]
	ADD     R7, R21, R21
	VLD1R.P 4(R13), [V18.S4]
	VLD1R.P 4(R14), [V19.S4]
	VLD1R.P 4(R15), [V20.S4]
	VLD1R.P 4(R19), [V21.S4]
	FMUL4S(18, 18, 17)
	FMUL4S(19, 19, 17)
	FMUL4S(20, 20, 17)
	FMUL4S(21, 21, 17)
	I8F32(16, 24, 25, 26, 27, 22, 23)
	FMUL4S(28, 24, 18)
	FMUL4S(29, 25, 18)
	FMUL4S(30, 26, 18)
	FMUL4S(31, 27, 18)
	FADD4S(0, 0, 28)
	FADD4S(1, 1, 29)
	FADD4S(2, 2, 30)
	FADD4S(3, 3, 31)
	FMUL4S(28, 24, 19)
	FMUL4S(29, 25, 19)
	FMUL4S(30, 26, 19)
	FMUL4S(31, 27, 19)
	FADD4S(4, 4, 28)
	FADD4S(5, 5, 29)
	FADD4S(6, 6, 30)
	FADD4S(7, 7, 31)
	FMUL4S(28, 24, 20)
	FMUL4S(29, 25, 20)
	FMUL4S(30, 26, 20)
	FMUL4S(31, 27, 20)
	FADD4S(8, 8, 28)
	FADD4S(9, 9, 29)
	FADD4S(10, 10, 30)
	FADD4S(11, 11, 31)
	FMUL4S(28, 24, 21)
	FMUL4S(29, 25, 21)
	FMUL4S(30, 26, 21)
	FMUL4S(31, 27, 21)
	FADD4S(12, 12, 28)
	FADD4S(13, 13, 29)
	FADD4S(14, 14, 30)
	FADD4S(15, 15, 31)
	SUBS    $1, R22, R22
	BNE     keysI4

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R10)
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R11)
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R12)
	ADD  $64, R0, R0
	ADD  $16, R4, R4
	SUBS $1, R9, R9
	BNE  colsI4
	RET

// func wsumI8x1NEON(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int, ncols int)
//
// wsumI8x4NEON for one row, in tiles of 32 columns (accumulators V0–V7)
// and a last tile of 16 when ncols mod 32 is 16.
TEXT ·wsumI8x1NEON(SB), NOSPLIT, $0-64
	MOVD o+0(FP), R0
	MOVD p+8(FP), R2
	MOVD v+16(FP), R4
	MOVD ldv+24(FP), R5
	MOVD vs+32(FP), R6
	MOVD ldvs+40(FP), R7
	MOVD nk+48(FP), R8
	MOVD ncols+56(FP), R9
	LSL  $2, R7, R7
	LSR  $5, R9, R10 // tiles of 32
	AND  $16, R9, R9 // a last tile of 16?
	CBZ  R10, halfI1

colsI1:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD  $64, R0, R11
	VLD1 (R11), [V4.S4, V5.S4, V6.S4, V7.S4]
	MOVD R2, R13
	MOVD R4, R20
	MOVD R6, R21
	MOVD R8, R22
	PCALIGN $16

keysI1:
	VLD1    (R20), [V16.B16, V17.B16]
	ADD     R5, R20, R20
	VLD1R   (R21), [V18.S4]
	ADD     R7, R21, R21
	VLD1R.P 4(R13), [V19.S4]
	FMUL4S(19, 19, 18)
	I8F32(16, 24, 25, 26, 27, 20, 21)
	I8F32(17, 28, 29, 30, 31, 22, 23)
	FMUL4S(24, 24, 19)
	FMUL4S(25, 25, 19)
	FMUL4S(26, 26, 19)
	FMUL4S(27, 27, 19)
	FMUL4S(28, 28, 19)
	FMUL4S(29, 29, 19)
	FMUL4S(30, 30, 19)
	FMUL4S(31, 31, 19)
	FADD4S(0, 0, 24)
	FADD4S(1, 1, 25)
	FADD4S(2, 2, 26)
	FADD4S(3, 3, 27)
	FADD4S(4, 4, 28)
	FADD4S(5, 5, 29)
	FADD4S(6, 6, 30)
	FADD4S(7, 7, 31)
	SUBS    $1, R22, R22
	BNE     keysI1

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R11)
	ADD  $128, R0, R0
	ADD  $32, R4, R4
	SUBS $1, R10, R10
	BNE  colsI1

halfI1:
	CBZ  R9, doneI1
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R2, R13
	MOVD R4, R20
	MOVD R6, R21
	MOVD R8, R22

keysI1h:
	VLD1    (R20), [V16.B16]
	ADD     R5, R20, R20
	VLD1R   (R21), [V18.S4]
	ADD     R7, R21, R21
	VLD1R.P 4(R13), [V19.S4]
	FMUL4S(19, 19, 18)
	I8F32(16, 24, 25, 26, 27, 20, 21)
	FMUL4S(24, 24, 19)
	FMUL4S(25, 25, 19)
	FMUL4S(26, 26, 19)
	FMUL4S(27, 27, 19)
	FADD4S(0, 0, 24)
	FADD4S(1, 1, 25)
	FADD4S(2, 2, 26)
	FADD4S(3, 3, 27)
	SUBS    $1, R22, R22
	BNE     keysI1h

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)

doneI1:
	RET
