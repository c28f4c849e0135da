//go:build !noasm

// Hand-written: avo has no arm64 back end, and the Go assembler lacks SDOT,
// SMULL and SADALP, which neon_arm64.h encodes with WORD. See
// matVecU8I8Generic (q8.go) for the reference.
//
// SDOT multiplies signed by signed bytes, so the unsigned activations are
// recentred, s = a − 128 (a XOR 0x80 read as int8), and the offset is put
// back with the row sums of the weights, taken in the same pass by a second
// SDOT against a vector of ones:
//
//	Σ a_k·w_k = Σ s_k·w_k + 128·Σ w_k
//
// DOT is SDOT for the *SDOT function and SDOTN (SMULL/SADALP) for the
// *NEON one.

#include "textflag.h"
#include "neon_arm64.h"

// Q8_ROW(r, s, t, w0, w1, w2, w3, n0, n1, n2, n3): the row's next 64 weight
// bytes from r into w0..w3 (register numbers n0..n3); Vs (number s) gains
// their products with the recentred activations V16..V19, and Vt their
// sums (products with the ones in V28).
#define Q8_ROW(r, s, t, w0, w1, w2, w3, n0, n1, n2, n3) \
	VLD1.P 64(r), [w0.B16, w1.B16, w2.B16, w3.B16]; \
	DOT(s, n0, 16);    \
	DOT(s, n1, 17);    \
	DOT(s, n2, 18);    \
	DOT(s, n3, 19);    \
	DOT(t, n0, 28);    \
	DOT(t, n1, 28);    \
	DOT(t, n2, 28);    \
	DOT(t, n3, 28)

// Q8_DOT4: rows at R0 and R4 bytes apart (R5, R6, R7), activations at R1,
// R2 = n64 > 0 chunks of 64, R3 = out. V0..V3 collect Σ s·w and V4..V7
// Σ w per row.
#define Q8_DOT4 \
	ADD   R4, R0, R5;            \
	ADD   R4, R5, R6;            \
	ADD   R4, R6, R7;            \
	VMOVI $128, V31.B16;         \
	VMOVI $1, V28.B16;           \
	VEOR  V0.B16, V0.B16, V0.B16; \
	VEOR  V1.B16, V1.B16, V1.B16; \
	VEOR  V2.B16, V2.B16, V2.B16; \
	VEOR  V3.B16, V3.B16, V3.B16; \
	VEOR  V4.B16, V4.B16, V4.B16; \
	VEOR  V5.B16, V5.B16, V5.B16; \
	VEOR  V6.B16, V6.B16, V6.B16; \
	VEOR  V7.B16, V7.B16, V7.B16; \
	PCALIGN $16;                 \
loop:                            \
	VLD1.P 64(R1), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VEOR  V31.B16, V16.B16, V16.B16; \
	VEOR  V31.B16, V17.B16, V17.B16; \
	VEOR  V31.B16, V18.B16, V18.B16; \
	VEOR  V31.B16, V19.B16, V19.B16; \
	Q8_ROW(R0, 0, 4, V20, V21, V22, V23, 20, 21, 22, 23); \
	Q8_ROW(R5, 1, 5, V24, V25, V26, V27, 24, 25, 26, 27); \
	Q8_ROW(R6, 2, 6, V20, V21, V22, V23, 20, 21, 22, 23); \
	Q8_ROW(R7, 3, 7, V24, V25, V26, V27, 24, 25, 26, 27); \
	SUBS  $1, R2, R2;            \
	BNE   loop;                  \
	VSHL  $7, V4.S4, V4.S4;      \
	VSHL  $7, V5.S4, V5.S4;      \
	VSHL  $7, V6.S4, V6.S4;      \
	VSHL  $7, V7.S4, V7.S4;      \
	VADD  V4.S4, V0.S4, V0.S4;   \
	VADD  V5.S4, V1.S4, V1.S4;   \
	VADD  V6.S4, V2.S4, V2.S4;   \
	VADD  V7.S4, V3.S4, V3.S4;   \
	VADDP V1.S4, V0.S4, V0.S4;   \
	VADDP V3.S4, V2.S4, V2.S4;   \
	VADDP V2.S4, V0.S4, V0.S4;   \
	VST1  [V0.S4], (R3)

#define DOT SDOT

// func dotU8I8x4SDOT(w *int8, stride int, a *byte, n64 int, out *[4]int32)
//
//	for i := range 4 {
//		for k := range 64 * n64 { out[i] += int32(a[k]) * int32(w[i*stride+k]) }
//	}
TEXT ·dotU8I8x4SDOT(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD stride+8(FP), R4
	MOVD a+16(FP), R1
	MOVD n64+24(FP), R2
	MOVD out+32(FP), R3
	Q8_DOT4
	RET

#undef DOT
#define DOT SDOTN

// func dotU8I8x4NEON(w *int8, stride int, a *byte, n64 int, out *[4]int32)
//
// dotU8I8x4SDOT without SDOT.
TEXT ·dotU8I8x4NEON(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD stride+8(FP), R4
	MOVD a+16(FP), R1
	MOVD n64+24(FP), R2
	MOVD out+32(FP), R3
	Q8_DOT4
	RET

#undef DOT
