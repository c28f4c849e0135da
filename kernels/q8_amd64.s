//go:build !noasm

// Hand-written, like i2s_amd64.s (avo is not available to this module).

#include "textflag.h"

// func dotU8I8x4VNNI(w *int8, stride int, a *byte, n64 int, out *[4]int32)
//
//	for i := range 4 { for k := range 64·n64 { out[i] += int32(a[k]) * int32(w[i·stride+k]) } }
//
// VPDPBUSD takes the unsigned bytes from its register operand (the
// activations, loaded once for four rows) and the signed bytes from memory.
TEXT ·dotU8I8x4VNNI(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ a+16(FP), DI
	MOVQ n64+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(BX*2), R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	TESTQ  CX, CX
	JZ     done

loop:
	VMOVDQU64 (DI), Z20
	VPDPBUSD  (SI), Z20, Z0
	VPDPBUSD  (SI)(BX*1), Z20, Z1
	VPDPBUSD  (R8), Z20, Z2
	VPDPBUSD  (R8)(BX*1), Z20, Z3
	ADDQ      $64, SI
	ADDQ      $64, R8
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop

done:
	VEXTRACTI64X4 $1, Z0, Y4
	VPADDD        Y4, Y0, Y0
	VEXTRACTI64X4 $1, Z1, Y5
	VPADDD        Y5, Y1, Y1
	VEXTRACTI64X4 $1, Z2, Y6
	VPADDD        Y6, Y2, Y2
	VEXTRACTI64X4 $1, Z3, Y7
	VPADDD        Y7, Y3, Y3
	VPHADDD       Y1, Y0, Y0
	VPHADDD       Y3, Y2, Y2
	VPHADDD       Y2, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VMOVDQU       X0, (DX)
	VZEROUPPER
	RET
