//go:build !noasm

// Hand-written (see i2s_amd64.s); the Go loop is readStreamGeneric in
// stream.go.

#include "textflag.h"

// func readStreamAVX2(p *byte, n int) uint64
//
//	for i := 0; i < n; i += 8 { s += LittleEndian.Uint64(p[i:]) }
//
// Four independent accumulators, 128 bytes (two cache lines) per
// iteration, loads folded into VPADDQ.
TEXT ·readStreamAVX2(SB), NOSPLIT, $0-24
	MOVQ  p+0(FP), SI
	MOVQ  n+8(FP), CX
	SHRQ  $7, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

loop:
	VPADDQ (SI), Y0, Y0
	VPADDQ 32(SI), Y1, Y1
	VPADDQ 64(SI), Y2, Y2
	VPADDQ 96(SI), Y3, Y3
	ADDQ   $128, SI
	DECQ   CX
	JNZ    loop

	VPADDQ       Y1, Y0, Y0
	VPADDQ       Y3, Y2, Y2
	VPADDQ       Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDQ       X1, X0, X0
	VMOVQ        X0, ret+16(FP)
	VZEROUPPER
	RET
