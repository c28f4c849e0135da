//go:build !noasm

// Hand-written: avo has no arm64 back end, and the Go assembler lacks SDOT,
// SMULL and SADALP, which neon_arm64.h encodes with WORD. See
// tq2_generic.go for the reference.
//
// A TQ2_0 block (spec §2.5) is 66 bytes: qs[64], then an f16 scale that
// these kernels skip (the scaling stays in Go). Element 128h + 32j + m
// (h < 2, j < 4, m < 32) has its 2-bit code c in byte 32h + m at bit
// shift 2j. Loaded per half as V24 (bytes 0..15) and V25 (16..31), code
// plane j of V24 belongs to activations 32j..32j+15 of the half, and of
// V25 to 32j+16..32j+31. The kernels compute Σ c·q + Σ (−1)·q = Σ (c−1)·q
// per block, the −1 being a vector of 0xff bytes (V28) dotted with the
// activations.
//
// DOT is SDOT for the *SDOT functions and SDOTN (SMULL/SADALP) for the
// *NEON ones.

#include "textflag.h"
#include "neon_arm64.h"

// TQ2_DECODE: V8+k = code plane k/2 of V24+(k%2), k = 0..7, pairing with
// activation vector V16+k. V31 holds 3 in every byte.
#define TQ2_DECODE \
	VAND  V31.B16, V24.B16, V8.B16;  \
	VAND  V31.B16, V25.B16, V9.B16;  \
	VUSHR $2, V24.B16, V10.B16;      \
	VUSHR $2, V25.B16, V11.B16;      \
	VUSHR $4, V24.B16, V12.B16;      \
	VUSHR $4, V25.B16, V13.B16;      \
	VUSHR $6, V24.B16, V14.B16;      \
	VUSHR $6, V25.B16, V15.B16;      \
	VAND  V31.B16, V10.B16, V10.B16; \
	VAND  V31.B16, V11.B16, V11.B16; \
	VAND  V31.B16, V12.B16, V12.B16; \
	VAND  V31.B16, V13.B16, V13.B16

// TQ2_ROW(r, a): the row's next 32 weight bytes from r; Va gains their
// codes times the activations V16..V23.
#define TQ2_ROW(r, a) \
	VLD1.P 32(r), [V24.B16, V25.B16]; \
	TQ2_DECODE;    \
	DOT(a, 8, 16);  \
	DOT(a, 9, 17);  \
	DOT(a, 10, 18); \
	DOT(a, 11, 19); \
	DOT(a, 12, 20); \
	DOT(a, 13, 21); \
	DOT(a, 14, 22); \
	DOT(a, 15, 23)

// TQ2_NEGQ(a): Va gains −Σ of the activations V16..V23.
#define TQ2_NEGQ(a) \
	DOT(a, 28, 16); \
	DOT(a, 28, 17); \
	DOT(a, 28, 18); \
	DOT(a, 28, 19); \
	DOT(a, 28, 20); \
	DOT(a, 28, 21); \
	DOT(a, 28, 22); \
	DOT(a, 28, 23)

// TQ2_LOADQ: V16..V23 = the next 128 activations at R1.
#define TQ2_LOADQ \
	VLD1.P 64(R1), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VLD1.P 64(R1), [V20.B16, V21.B16, V22.B16, V23.B16]

// TQ2_SUMS4: rows at R0 and R4 bytes apart (R5, R6, R7); R1 = q; R2 = nblk > 0; R3 = out.
// V0..V3 collect Σ c·q of each row in the block, V4 −Σ q.
#define TQ2_SUMS4 \
	ADD   R4, R0, R5;             \
	ADD   R4, R5, R6;             \
	ADD   R4, R6, R7;             \
	VMOVI $3, V31.B16;            \
	VMOVI $255, V28.B16;          \
	PCALIGN $16;                  \
loop:                             \
	VEOR  V0.B16, V0.B16, V0.B16; \
	VEOR  V1.B16, V1.B16, V1.B16; \
	VEOR  V2.B16, V2.B16, V2.B16; \
	VEOR  V3.B16, V3.B16, V3.B16; \
	VEOR  V4.B16, V4.B16, V4.B16; \
	TQ2_LOADQ;                    \
	TQ2_NEGQ(4);                  \
	TQ2_ROW(R0, 0);               \
	TQ2_ROW(R5, 1);               \
	TQ2_ROW(R6, 2);               \
	TQ2_ROW(R7, 3);               \
	TQ2_LOADQ;                    \
	TQ2_NEGQ(4);                  \
	TQ2_ROW(R0, 0);               \
	TQ2_ROW(R5, 1);               \
	TQ2_ROW(R6, 2);               \
	TQ2_ROW(R7, 3);               \
	ADD   $2, R0, R0;             \
	ADD   $2, R5, R5;             \
	ADD   $2, R6, R6;             \
	ADD   $2, R7, R7;             \
	VADDP V1.S4, V0.S4, V0.S4;    \
	VADDP V3.S4, V2.S4, V2.S4;    \
	VADDP V2.S4, V0.S4, V0.S4;    \
	VADDV V4.S4, V4;              \
	VDUP  V4.S[0], V4.S4;         \
	VADD  V4.S4, V0.S4, V0.S4;    \
	VST1.P [V0.S4], 16(R3);       \
	SUBS  $1, R2, R2;             \
	BNE   loop

// TQ2_SUMS1: one row at R0; R1 = q; R2 = nblk > 0; R3 = out. V0 and V1
// collect Σ (c−1)·q of the block.
#define TQ2_SUMS1 \
	VMOVI $3, V31.B16;            \
	VMOVI $255, V28.B16;          \
	PCALIGN $16;                  \
loop:                             \
	VEOR  V0.B16, V0.B16, V0.B16; \
	VEOR  V1.B16, V1.B16, V1.B16; \
	TQ2_LOADQ;                    \
	TQ2_NEGQ(1);                  \
	TQ2_ROW(R0, 0);               \
	TQ2_LOADQ;                    \
	TQ2_NEGQ(1);                  \
	TQ2_ROW(R0, 0);               \
	ADD   $2, R0, R0;             \
	VADD  V1.S4, V0.S4, V0.S4;    \
	VADDV V0.S4, V0;              \
	VMOV  V0.S[0], R4;            \
	MOVW.P R4, 4(R3);             \
	SUBS  $1, R2, R2;             \
	BNE   loop

#define DOT SDOT

// func tq2Sums4SDOT(w *byte, stride int, q *int8, nblk int, out *int32)
//
//	for b := range nblk {
//		for i := range 4 {
//			out[4*b+i] = Σ_{k < 256} (c(w[i*stride+66*b:], k) − 1) * q[256*b+k]
//		}
//	}
TEXT ·tq2Sums4SDOT(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD stride+8(FP), R4
	MOVD q+16(FP), R1
	MOVD nblk+24(FP), R2
	MOVD out+32(FP), R3
	TQ2_SUMS4
	RET

// func tq2Sums1SDOT(w *byte, q *int8, nblk int, out *int32)
//
//	for b := range nblk { out[b] = Σ_{k < 256} (c(w[66*b:], k) − 1) * q[256*b+k] }
TEXT ·tq2Sums1SDOT(SB), NOSPLIT, $0-32
	MOVD w+0(FP), R0
	MOVD q+8(FP), R1
	MOVD nblk+16(FP), R2
	MOVD out+24(FP), R3
	TQ2_SUMS1
	RET

#undef DOT
#define DOT SDOTN

// func tq2Sums4NEON(w *byte, stride int, q *int8, nblk int, out *int32)
//
// tq2Sums4SDOT without SDOT.
TEXT ·tq2Sums4NEON(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD stride+8(FP), R4
	MOVD q+16(FP), R1
	MOVD nblk+24(FP), R2
	MOVD out+32(FP), R3
	TQ2_SUMS4
	RET

// func tq2Sums1NEON(w *byte, q *int8, nblk int, out *int32)
//
// tq2Sums1SDOT without SDOT.
TEXT ·tq2Sums1NEON(SB), NOSPLIT, $0-32
	MOVD w+0(FP), R0
	MOVD q+8(FP), R1
	MOVD nblk+16(FP), R2
	MOVD out+24(FP), R3
	TQ2_SUMS1
	RET

#undef DOT
