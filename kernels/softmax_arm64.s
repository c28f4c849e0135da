//go:build !noasm

// NEON kernels of SoftmaxScale (softmax_arm64.go). The exponential is
// expNeg (softmax.go) lane by lane in float64: the same fused
// multiply-adds (FMLA/FMLS, one rounding each, as math.FMA), FRINTM for
// the floor and the same Horner steps, so every element gets the bits of
// the Go code. Instructions the Go assembler lacks are WORD-encoded below
// (register numbers in the order of the Arm mnemonic, destination first;
// the encodings were checked with llvm-mc -triple=aarch64 -show-encoding).

#include "textflag.h"
#include "neon_arm64.h"

// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB4S(d, n, m) WORD $(0x4ea0d400 | (m)<<16 | (n)<<5 | (d))

// FMAX Vd.4S, Vn.4S, Vm.4S (a NaN operand gives NaN)
#define FMAX4S(d, n, m) WORD $(0x4e20f400 | (m)<<16 | (n)<<5 | (d))

// FMAXV Sd, Vn.4S
#define FMAXV4S(d, n) WORD $(0x6e30f800 | (n)<<5 | (d))

// FCVTL Vd.2D, Vn.2S and FCVTL2 Vd.2D, Vn.4S: widen float32 to float64.
#define FCVTLD(d, n) WORD $(0x0e617800 | (n)<<5 | (d))
#define FCVTL2D(d, n) WORD $(0x4e617800 | (n)<<5 | (d))

// FCVTN Vd.2S, Vn.2D and FCVTN2 Vd.4S, Vn.2D: narrow float64 to float32
// (rounded to nearest even; FCVTN zeroes the upper half, FCVTN2 fills it).
#define FCVTND(d, n) WORD $(0x0e616800 | (n)<<5 | (d))
#define FCVTN2D(d, n) WORD $(0x4e616800 | (n)<<5 | (d))

// FRINTM Vd.2D, Vn.2D: floor.
#define FRINTM2D(d, n) WORD $(0x4e619800 | (n)<<5 | (d))

// FCVTZS Vd.2D, Vn.2D: float64 to int64 (NaN gives 0).
#define FCVTZS2D(d, n) WORD $(0x4ee1b800 | (n)<<5 | (d))

// FADD Vd.2D, Vn.2D, Vm.2D
#define FADD2D(d, n, m) WORD $(0x4e60d400 | (m)<<16 | (n)<<5 | (d))

// FMLA Vd.2D, Vn.2D, Vm.D[i]: d = round(d + n·m[i]) (fused).
#define FMLA2DE(d, n, m, i) WORD $(0x4fc01000 | (i)<<11 | (m)<<16 | (n)<<5 | (d))

// FMLS Vd.2D, Vn.2D, Vm.D[i]: d = round(d − n·m[i]) (fused), which is
// math.FMA(−n, m[i], d).
#define FMLS2DE(d, n, m, i) WORD $(0x4fc05000 | (i)<<11 | (m)<<16 | (n)<<5 | (d))

// expNeg's float64 constants: V8 = {log2e, 1/5040} and V9 = {ln2hi, ln2lo}
// (multiplied by element), then the addends of the Horner steps, each
// loaded into both lanes with LD1R (the load ports are otherwise idle).
DATA expTabNEON<>+0(SB)/8, $0x3ff71547652b82fe  // log2e
DATA expTabNEON<>+8(SB)/8, $0x3f2a01a01a01a01a  // 1/5040
DATA expTabNEON<>+16(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA expTabNEON<>+24(SB)/8, $0x3dea39ef35793c76 // ln2lo
DATA expTabNEON<>+32(SB)/8, $0x3fe0000000000000 // 0.5 (and 1/2)
DATA expTabNEON<>+40(SB)/8, $0x3f56c16c16c16c17 // 1/720
DATA expTabNEON<>+48(SB)/8, $0x3f81111111111111 // 1/120
DATA expTabNEON<>+56(SB)/8, $0x3fa5555555555555 // 1/24
DATA expTabNEON<>+64(SB)/8, $0x3fc5555555555555 // 1/6
DATA expTabNEON<>+72(SB)/8, $0x3ff0000000000000 // 1
GLOBL expTabNEON<>(SB), RODATA|NOPTR, $80

// func softmaxScaleMaxNEON(x *float32, n int, scale float32) float32
TEXT ·softmaxScaleMaxNEON(SB), NOSPLIT, $0-28
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R1
	FMOVS scale+16(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVW  $0xff800000, R2 // −Inf
	VDUP  R2, V0.S4
	VDUP  R2, V1.S4
	VDUP  R2, V2.S4
	VDUP  R2, V3.S4
	LSR   $4, R1, R1
	MOVD  R0, R3
	PCALIGN $16

maxloop:
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL4S(4, 4, 31)
	FMUL4S(5, 5, 31)
	FMUL4S(6, 6, 31)
	FMUL4S(7, 7, 31)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R3)
	FMAX4S(0, 0, 4)
	FMAX4S(1, 1, 5)
	FMAX4S(2, 2, 6)
	FMAX4S(3, 3, 7)
	SUBS $1, R1, R1
	BNE  maxloop

	FMAX4S(0, 0, 1)
	FMAX4S(2, 2, 3)
	FMAX4S(0, 0, 2)
	FMAXV4S(0, 0)
	FMOVS F0, ret+24(FP)
	RET

// func softmaxMulNEON(x *float32, n int, s float32)
TEXT ·softmaxMulNEON(SB), NOSPLIT, $0-20
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R1
	FMOVS s+16(FP), F31
	VDUP  V31.S[0], V31.S4
	LSR   $4, R1, R1
	MOVD  R0, R3
	PCALIGN $16

mulloop:
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL4S(4, 4, 31)
	FMUL4S(5, 5, 31)
	FMUL4S(6, 6, 31)
	FMUL4S(7, 7, 31)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R3)
	SUBS $1, R1, R1
	BNE  mulloop
	RET

// EXPSTEP replaces the 8 float32 at R0 (x, already scaled) by e =
// expNeg(x − max), advances R0, and adds the e (widened to float64) to the
// lane sums a0..a3 (two lanes each, elements 0–1, 2–3, 4–5, 6–7).
//
// d = x − max (float32) is clamped to ≥ −200 with FMAX (NaN stays NaN),
// instead of expNeg's test d < −104 → 0: for d in [−200, −104) the
// computed p·2^n is below 0.98·2^−150 and FCVTN rounds it to the +0 that
// expNeg returns, as in the AVX2 kernel (TestSoftmaxClamp and
// TestSoftmaxExpNEONExhaustive check every such float32), and −Inf
// becomes −200, so 0.
//
// Then in float64, four chains of two lanes (d in V14–V17):
//
//	t = fma(d, log2e, 0.5); n = floor(t)        (V18–V21)
//	r = fma(−n, ln2hi, d); r = fma(−n, ln2lo, r) (in V14–V17)
//	p = Horner(r) with expNeg's FMAs            (V22–V25 and V26–V29 in turn)
//	p·2^n = bits(p) + n<<52                      (an exact scaling: p is
//	         about 1 and n in [−289, 0], so no exponent leaves the normal
//	         range; a NaN p keeps n = FCVTZS(NaN) = 0 and stays NaN)
//
// then FCVTN rounds to float32 as float32() does. R4..R9 point at 0.5,
// 1/720, 1/120, 1/24, 1/6 and 1 in expTabNEON; V10 = max, V11 = −200.
#define EXPSTEP(a0, a1, a2, a3) \
	VLD1     (R0), [V12.S4, V13.S4]; \
	FSUB4S(12, 12, 10); \
	FSUB4S(13, 13, 10); \
	FMAX4S(12, 11, 12); \
	FMAX4S(13, 11, 13); \
	FCVTLD(14, 12); \
	FCVTL2D(15, 12); \
	FCVTLD(16, 13); \
	FCVTL2D(17, 13); \
	VLD1R    (R4), [V18.D2]; \
	VLD1R    (R4), [V19.D2]; \
	VLD1R    (R4), [V20.D2]; \
	VLD1R    (R4), [V21.D2]; \
	FMLA2DE(18, 14, 8, 0); \
	FMLA2DE(19, 15, 8, 0); \
	FMLA2DE(20, 16, 8, 0); \
	FMLA2DE(21, 17, 8, 0); \
	FRINTM2D(18, 18); \
	FRINTM2D(19, 19); \
	FRINTM2D(20, 20); \
	FRINTM2D(21, 21); \
	FMLS2DE(14, 18, 9, 0); \
	FMLS2DE(15, 19, 9, 0); \
	FMLS2DE(16, 20, 9, 0); \
	FMLS2DE(17, 21, 9, 0); \
	FMLS2DE(14, 18, 9, 1); \
	FMLS2DE(15, 19, 9, 1); \
	FMLS2DE(16, 20, 9, 1); \
	FMLS2DE(17, 21, 9, 1); \
	VLD1R    (R5), [V22.D2]; \
	VLD1R    (R5), [V23.D2]; \
	VLD1R    (R5), [V24.D2]; \
	VLD1R    (R5), [V25.D2]; \
	FMLA2DE(22, 14, 8, 1); \
	FMLA2DE(23, 15, 8, 1); \
	FMLA2DE(24, 16, 8, 1); \
	FMLA2DE(25, 17, 8, 1); \
	VLD1R    (R6), [V26.D2]; \
	VLD1R    (R6), [V27.D2]; \
	VLD1R    (R6), [V28.D2]; \
	VLD1R    (R6), [V29.D2]; \
	VFMLA    V22.D2, V14.D2, V26.D2; \
	VFMLA    V23.D2, V15.D2, V27.D2; \
	VFMLA    V24.D2, V16.D2, V28.D2; \
	VFMLA    V25.D2, V17.D2, V29.D2; \
	VLD1R    (R7), [V22.D2]; \
	VLD1R    (R7), [V23.D2]; \
	VLD1R    (R7), [V24.D2]; \
	VLD1R    (R7), [V25.D2]; \
	VFMLA    V26.D2, V14.D2, V22.D2; \
	VFMLA    V27.D2, V15.D2, V23.D2; \
	VFMLA    V28.D2, V16.D2, V24.D2; \
	VFMLA    V29.D2, V17.D2, V25.D2; \
	VLD1R    (R8), [V26.D2]; \
	VLD1R    (R8), [V27.D2]; \
	VLD1R    (R8), [V28.D2]; \
	VLD1R    (R8), [V29.D2]; \
	VFMLA    V22.D2, V14.D2, V26.D2; \
	VFMLA    V23.D2, V15.D2, V27.D2; \
	VFMLA    V24.D2, V16.D2, V28.D2; \
	VFMLA    V25.D2, V17.D2, V29.D2; \
	VLD1R    (R4), [V22.D2]; \
	VLD1R    (R4), [V23.D2]; \
	VLD1R    (R4), [V24.D2]; \
	VLD1R    (R4), [V25.D2]; \
	VFMLA    V26.D2, V14.D2, V22.D2; \
	VFMLA    V27.D2, V15.D2, V23.D2; \
	VFMLA    V28.D2, V16.D2, V24.D2; \
	VFMLA    V29.D2, V17.D2, V25.D2; \
	VLD1R    (R9), [V26.D2]; \
	VLD1R    (R9), [V27.D2]; \
	VLD1R    (R9), [V28.D2]; \
	VLD1R    (R9), [V29.D2]; \
	VFMLA    V22.D2, V14.D2, V26.D2; \
	VFMLA    V23.D2, V15.D2, V27.D2; \
	VFMLA    V24.D2, V16.D2, V28.D2; \
	VFMLA    V25.D2, V17.D2, V29.D2; \
	VLD1R    (R9), [V22.D2]; \
	VLD1R    (R9), [V23.D2]; \
	VLD1R    (R9), [V24.D2]; \
	VLD1R    (R9), [V25.D2]; \
	VFMLA    V26.D2, V14.D2, V22.D2; \
	VFMLA    V27.D2, V15.D2, V23.D2; \
	VFMLA    V28.D2, V16.D2, V24.D2; \
	VFMLA    V29.D2, V17.D2, V25.D2; \
	FCVTZS2D(18, 18); \
	FCVTZS2D(19, 19); \
	FCVTZS2D(20, 20); \
	FCVTZS2D(21, 21); \
	VSHL     $52, V18.D2, V18.D2; \
	VSHL     $52, V19.D2, V19.D2; \
	VSHL     $52, V20.D2, V20.D2; \
	VSHL     $52, V21.D2, V21.D2; \
	VADD     V18.D2, V22.D2, V22.D2; \
	VADD     V19.D2, V23.D2, V23.D2; \
	VADD     V20.D2, V24.D2, V24.D2; \
	VADD     V21.D2, V25.D2, V25.D2; \
	FCVTND(12, 22); \
	FCVTN2D(12, 23); \
	FCVTND(13, 24); \
	FCVTN2D(13, 25); \
	VST1.P   [V12.S4, V13.S4], 32(R0); \
	FCVTLD(14, 12); \
	FCVTL2D(15, 12); \
	FCVTLD(16, 13); \
	FCVTL2D(17, 13); \
	FADD2D(a0, a0, 14); \
	FADD2D(a1, a1, 15); \
	FADD2D(a2, a2, 16); \
	FADD2D(a3, a3, 17)

// func softmaxExpNEON(x *float32, n int, max float32, acc *[16]float64)
//
// The 16 float64 lane sums are V0–V7 (lanes 2i and 2i+1 in Vi); 16
// elements per iteration, two EXPSTEPs.
TEXT ·softmaxExpNEON(SB), NOSPLIT, $0-32
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R1
	FMOVS max+16(FP), F10
	VDUP  V10.S[0], V10.S4
	MOVD  acc+24(FP), R2
	MOVW  $0xc3480000, R3 // −200 (float32)
	VDUP  R3, V11.S4
	MOVD  $expTabNEON<>(SB), R3
	VLD1  (R3), [V8.D2, V9.D2]
	ADD   $32, R3, R4
	ADD   $40, R3, R5
	ADD   $48, R3, R6
	ADD   $56, R3, R7
	ADD   $64, R3, R8
	ADD   $72, R3, R9
	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	VEOR  V4.B16, V4.B16, V4.B16
	VEOR  V5.B16, V5.B16, V5.B16
	VEOR  V6.B16, V6.B16, V6.B16
	VEOR  V7.B16, V7.B16, V7.B16
	LSR   $4, R1, R1
	PCALIGN $16

exploop:
	EXPSTEP(0, 1, 2, 3)
	EXPSTEP(4, 5, 6, 7)
	SUBS $1, R1, R1
	BNE  exploop

	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R2)
	VST1   [V4.D2, V5.D2, V6.D2, V7.D2], (R2)
	RET
