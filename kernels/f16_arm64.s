//go:build !noasm

// Hand-written: avo has no arm64 back end, and the Go assembler lacks
// FCVTL/FCVTL2 and the vector FMUL/FADD/FADDP, which neon_arm64.h encodes
// with WORD. See f16_generic.go for the reference loops.

#include "textflag.h"
#include "neon_arm64.h"

// func dotF16NEON(w *uint16, x *float32, n int) float32
//
//	for i := range n { s += F16ToF32(w[i]) * x[i] }   // n a positive multiple of 32
//
// FCVTL/FCVTL2 widen the halves and VFMLA accumulates (fused) in eight
// 4-lane accumulators, added pairwise at the end.
TEXT ·dotF16NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	LSR  $5, R2, R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	PCALIGN $16

loop:
	VLD1.P 64(R0), [V16.H8, V17.H8, V18.H8, V19.H8]
	VLD1.P 64(R1), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	FCVTL(8, 16)
	FCVTL2(9, 16)
	FCVTL(10, 17)
	FCVTL2(11, 17)
	FCVTL(12, 18)
	FCVTL2(13, 18)
	FCVTL(14, 19)
	FCVTL2(15, 19)
	VFMLA V8.S4, V20.S4, V0.S4
	VFMLA V9.S4, V21.S4, V1.S4
	VFMLA V10.S4, V22.S4, V2.S4
	VFMLA V11.S4, V23.S4, V3.S4
	VFMLA V12.S4, V24.S4, V4.S4
	VFMLA V13.S4, V25.S4, V5.S4
	VFMLA V14.S4, V26.S4, V6.S4
	VFMLA V15.S4, V27.S4, V7.S4
	SUBS $1, R2, R2
	BNE  loop

	FADD4S(0, 0, 1)
	FADD4S(2, 2, 3)
	FADD4S(4, 4, 5)
	FADD4S(6, 6, 7)
	FADD4S(0, 0, 2)
	FADD4S(4, 4, 6)
	FADD4S(0, 0, 4)
	FADDP4S(0, 0, 0)
	FADDP2S(0, 0)
	FMOVS F0, ret+24(FP)
	RET
