//go:build !noasm

// Hand-written: avo has no arm64 back end, and the Go assembler lacks SDOT,
// SMULL and SADALP, which neon_arm64.h encodes with WORD. Each TEXT block's
// comment gives the Go loop it computes; i2s_generic.go is the reference.
//
// An I2_S block (spec §2.4) is 32 weight bytes for 128 elements: byte p
// holds the 2-bit codes of elements p, p+32, p+64, p+96 from the most
// significant pair down. Loaded as V24 (bytes 0..15) and V25 (16..31),
// code plane j (bits 7−2j..6−2j) of V24 belongs to elements 32j..32j+15 and
// of V25 to 32j+16..32j+31. The codes c ∈ {0,1,2} are valid signed bytes,
// so SDOT multiplies them by the int8 activations directly; the Go wrapper
// subtracts Σ q to get Σ (c−1)·q.
//
// DOT is SDOT for the *SDOT functions and SDOTN (SMULL/SADALP) for the
// *NEON functions; the bodies are otherwise identical.

#include "textflag.h"
#include "neon_arm64.h"

// I2S_DECODE: V8+k = code plane k/2 of V24+(k%2), k = 0..7, so that code
// vector V8+k pairs with activation vector V16+k of the block. V31 holds 3
// in every byte.
#define I2S_DECODE \
	VUSHR $6, V24.B16, V8.B16;       \
	VUSHR $6, V25.B16, V9.B16;       \
	VUSHR $4, V24.B16, V10.B16;      \
	VUSHR $4, V25.B16, V11.B16;      \
	VUSHR $2, V24.B16, V12.B16;      \
	VUSHR $2, V25.B16, V13.B16;      \
	VAND  V31.B16, V24.B16, V14.B16; \
	VAND  V31.B16, V25.B16, V15.B16; \
	VAND  V31.B16, V10.B16, V10.B16; \
	VAND  V31.B16, V11.B16, V11.B16; \
	VAND  V31.B16, V12.B16, V12.B16; \
	VAND  V31.B16, V13.B16, V13.B16

// I2S_ROW(a, b): Va and Vb (register numbers) gain the block's codes
// (V8..V15) times its activations (V16..V23), even vectors into Va and odd
// ones into Vb.
#define I2S_ROW(a, b) \
	DOT(a, 8, 16);  \
	DOT(b, 9, 17);  \
	DOT(a, 10, 18); \
	DOT(b, 11, 19); \
	DOT(a, 12, 20); \
	DOT(b, 13, 21); \
	DOT(a, 14, 22); \
	DOT(b, 15, 23)

// I2S_LOADQ(r): V16..V23 = the 128 activations at r; r += 128.
#define I2S_LOADQ(r) \
	VLD1.P 64(r), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VLD1.P 64(r), [V20.B16, V21.B16, V22.B16, V23.B16]

// I2S_LOADW(r): V24, V25 = the 32 weight bytes at r; r += 32.
#define I2S_LOADW(r) VLD1.P 32(r), [V24.B16, V25.B16]

#define ZERO4(a, b, c, d) \
	VEOR a.B16, a.B16, a.B16; \
	VEOR b.B16, b.B16, b.B16; \
	VEOR c.B16, c.B16, c.B16; \
	VEOR d.B16, d.B16, d.B16

// I2S_DOT1: R0 = w, R1 = q, R2 = nblk > 0; result in R3.
#define I2S_DOT1 \
	VMOVI $3, V31.B16;             \
	VEOR  V0.B16, V0.B16, V0.B16;  \
	VEOR  V1.B16, V1.B16, V1.B16;  \
	PCALIGN $16;                   \
loop:                              \
	I2S_LOADW(R0);                 \
	I2S_LOADQ(R1);                 \
	I2S_DECODE;                    \
	I2S_ROW(0, 1);               \
	SUBS  $1, R2, R2;              \
	BNE   loop;                    \
	VADD  V1.S4, V0.S4, V0.S4;     \
	VADDV V0.S4, V0;               \
	VMOV  V0.S[0], R3

// I2S_DOT4: four rows, the first at R0 and the others R4 bytes apart
// (R5, R6, R7), against one token (R1); R2 = nblk > 0, R3 = out.
#define I2S_DOT4 \
	ADD   R4, R0, R5;              \
	ADD   R4, R5, R6;              \
	ADD   R4, R6, R7;              \
	VMOVI $3, V31.B16;             \
	ZERO4(V0, V1, V2, V3);         \
	ZERO4(V4, V5, V6, V7);         \
	PCALIGN $16;                   \
loop:                              \
	I2S_LOADQ(R1);                 \
	I2S_LOADW(R0);                 \
	I2S_DECODE;                    \
	I2S_ROW(0, 1);               \
	I2S_LOADW(R5);                 \
	I2S_DECODE;                    \
	I2S_ROW(2, 3);               \
	I2S_LOADW(R6);                 \
	I2S_DECODE;                    \
	I2S_ROW(4, 5);               \
	I2S_LOADW(R7);                 \
	I2S_DECODE;                    \
	I2S_ROW(6, 7);               \
	SUBS  $1, R2, R2;              \
	BNE   loop;                    \
	VADD  V1.S4, V0.S4, V0.S4;     \
	VADD  V3.S4, V2.S4, V2.S4;     \
	VADD  V5.S4, V4.S4, V4.S4;     \
	VADD  V7.S4, V6.S4, V6.S4;     \
	VADDP V2.S4, V0.S4, V0.S4;     \
	VADDP V6.S4, V4.S4, V4.S4;     \
	VADDP V4.S4, V0.S4, V0.S4;     \
	VST1  [V0.S4], (R3)

#define DOT SDOT

// func i2sDot1SDOT(w *byte, q *int8, nblk int) int32
//
//	for k := range 128 * nblk { s += int32(code(w, k)) * int32(q[k]) }
TEXT ·i2sDot1SDOT(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD q+8(FP), R1
	MOVD nblk+16(FP), R2
	I2S_DOT1
	MOVW R3, ret+24(FP)
	RET

// func i2sDot4SDOT(w *byte, stride int, q *int8, nblk int, out *[4]int32)
//
//	for i := range 4 { out[i] = i2sDot1SDOT(w[i*stride:], q, nblk) }
TEXT ·i2sDot4SDOT(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD stride+8(FP), R4
	MOVD q+16(FP), R1
	MOVD nblk+24(FP), R2
	MOVD out+32(FP), R3
	I2S_DOT4
	RET

#undef DOT
#define DOT SDOTN

// func i2sDot1NEON(w *byte, q *int8, nblk int) int32
//
// i2sDot1SDOT without SDOT.
TEXT ·i2sDot1NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD q+8(FP), R1
	MOVD nblk+16(FP), R2
	I2S_DOT1
	MOVW R3, ret+24(FP)
	RET

// func i2sDot4NEON(w *byte, stride int, q *int8, nblk int, out *[4]int32)
//
// i2sDot4SDOT without SDOT.
TEXT ·i2sDot4NEON(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD stride+8(FP), R4
	MOVD q+16(FP), R1
	MOVD nblk+24(FP), R2
	MOVD out+32(FP), R3
	I2S_DOT4
	RET

#undef DOT

// Code planes for the tile: c = plane of w (V31 holds 3 in every byte).
#define PLANE0(w, c) VUSHR $6, w.B16, c.B16
#define PLANE1(w, c) VUSHR $4, w.B16, c.B16; VAND V31.B16, c.B16, c.B16
#define PLANE2(w, c) VUSHR $2, w.B16, c.B16; VAND V31.B16, c.B16, c.B16
#define PLANE3(w, c) VAND V31.B16, w.B16, c.B16

// TILE_ROW(PLANE, w, cv, cn, a): decode one code vector of a row (cv is its
// register, cn the same register's number) and add its products with the
// four tokens' activation vectors (V24..V27) into Va, Va+1, Va+2, Va+3.
#define TILE_ROW(PLANE, w, cv, cn, a) \
	PLANE(w, cv);             \
	SDOT(a, cn, 24);          \
	SDOT(a+1, cn, 25);        \
	SDOT(a+2, cn, 26);        \
	SDOT(a+3, cn, 27)

// TILE_STEP(PLANE, w0, w1, w2, w3): the next activation vector of each
// token into V24..V27, times code plane PLANE of weight vectors w0..w3
// (rows 0..3; row i's weight halves are V16+2i and V17+2i, and the step
// for plane j and half h loads activation vector 2j+h).
#define TILE_STEP(PLANE, w0, w1, w2, w3) \
	VLD1.P 16(R1), [V24.B16];         \
	VLD1.P 16(R8), [V25.B16];         \
	VLD1.P 16(R9), [V26.B16];         \
	VLD1.P 16(R10), [V27.B16];        \
	TILE_ROW(PLANE, w0, V28, 28, 0);  \
	TILE_ROW(PLANE, w1, V29, 29, 4);  \
	TILE_ROW(PLANE, w2, V30, 30, 8);  \
	TILE_ROW(PLANE, w3, V28, 28, 12)

// TILE_SUM(a, b, c, d): store the lane sums Σ a, Σ b, Σ c, Σ d at R3;
// R3 += 16.
#define TILE_SUM(a, b, c, d) \
	VADDP b.S4, a.S4, V16.S4;  \
	VADDP d.S4, c.S4, V17.S4;  \
	VADDP V17.S4, V16.S4, V16.S4; \
	VST1.P [V16.S4], 16(R3)

// func i2sTile4x4SDOT(w *byte, wstride int, q *int8, qstride int, nblk int, out *[16]int32)
//
//	for i := range 4 {
//		for j := range 4 {
//			out[4*i+j] = i2sDot1SDOT(w[i*wstride:], q[j*qstride:], nblk)
//		}
//	}
//
// Each weight block is decoded once for the four tokens. Accumulator
// V(4i+j) holds row i × token j.
TEXT ·i2sTile4x4SDOT(SB), NOSPLIT, $0-48
	MOVD  w+0(FP), R0
	MOVD  wstride+8(FP), R4
	ADD   R4, R0, R5
	ADD   R4, R5, R6
	ADD   R4, R6, R7
	MOVD  q+16(FP), R1
	MOVD  qstride+24(FP), R4
	ADD   R4, R1, R8
	ADD   R4, R8, R9
	ADD   R4, R9, R10
	MOVD  nblk+32(FP), R2
	MOVD  out+40(FP), R3
	VMOVI $3, V31.B16
	ZERO4(V0, V1, V2, V3)
	ZERO4(V4, V5, V6, V7)
	ZERO4(V8, V9, V10, V11)
	ZERO4(V12, V13, V14, V15)
	PCALIGN $16

loop:
	VLD1.P 32(R0), [V16.B16, V17.B16]
	VLD1.P 32(R5), [V18.B16, V19.B16]
	VLD1.P 32(R6), [V20.B16, V21.B16]
	VLD1.P 32(R7), [V22.B16, V23.B16]
	TILE_STEP(PLANE0, V16, V18, V20, V22)
	TILE_STEP(PLANE0, V17, V19, V21, V23)
	TILE_STEP(PLANE1, V16, V18, V20, V22)
	TILE_STEP(PLANE1, V17, V19, V21, V23)
	TILE_STEP(PLANE2, V16, V18, V20, V22)
	TILE_STEP(PLANE2, V17, V19, V21, V23)
	TILE_STEP(PLANE3, V16, V18, V20, V22)
	TILE_STEP(PLANE3, V17, V19, V21, V23)
	SUBS $1, R2, R2
	BNE  loop

	TILE_SUM(V0, V1, V2, V3)
	TILE_SUM(V4, V5, V6, V7)
	TILE_SUM(V8, V9, V10, V11)
	TILE_SUM(V12, V13, V14, V15)
	RET
