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
	LEAQ (SI)(BX*4), R10 // the next four rows, prefetched alongside
	LEAQ (R8)(BX*4), R11
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	TESTQ  CX, CX
	JZ     done

loop:
	// The same 64 bytes of the next row group (see i2sDot4VNNI).
	PREFETCHT0 (R10)
	PREFETCHT0 (R10)(BX*1)
	PREFETCHT0 (R11)
	PREFETCHT0 (R11)(BX*1)
	VMOVDQU64  (DI), Z20
	VPDPBUSD  (SI), Z20, Z0
	VPDPBUSD  (SI)(BX*1), Z20, Z1
	VPDPBUSD  (R8), Z20, Z2
	VPDPBUSD  (R8)(BX*1), Z20, Z3
	ADDQ      $64, SI
	ADDQ      $64, R8
	ADDQ      $64, R10
	ADDQ      $64, R11
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

// func dotU8I8x4AVX2(w *int8, stride int, a *byte, n16 int, out *[4]int32)
//
//	for i := range 4 { for k := range 16·n16 { out[i] += int32(a[k]) * int32(w[i·stride+k]) } }
//
// AVX2 has no exact u8×s8 byte product (VPMADDUBSW saturates its int16
// pair sums), so both operands are widened to int16 (VPMOVZXBW for the
// activations, once for four rows; VPMOVSXBW for the weights) and
// multiplied by VPMADDWD, whose int32 pair sums are exact.
TEXT ·dotU8I8x4AVX2(SB), NOSPLIT, $0-40
	MOVQ   w+0(FP), SI
	MOVQ   stride+8(FP), BX
	MOVQ   a+16(FP), DI
	MOVQ   n16+24(FP), CX
	MOVQ   out+32(FP), DX
	LEAQ   (SI)(BX*2), R8
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1
	VPXOR  Y2, Y2, Y2
	VPXOR  Y3, Y3, Y3
	TESTQ  CX, CX
	JZ     done2

loop2:
	VPMOVZXBW (DI), Y4
	VPMOVSXBW (SI), Y5
	VPMOVSXBW (SI)(BX*1), Y6
	VPMOVSXBW (R8), Y7
	VPMOVSXBW (R8)(BX*1), Y8
	VPMADDWD  Y4, Y5, Y5
	VPMADDWD  Y4, Y6, Y6
	VPMADDWD  Y4, Y7, Y7
	VPMADDWD  Y4, Y8, Y8
	VPADDD    Y5, Y0, Y0
	VPADDD    Y6, Y1, Y1
	VPADDD    Y7, Y2, Y2
	VPADDD    Y8, Y3, Y3
	ADDQ      $16, SI
	ADDQ      $16, R8
	ADDQ      $16, DI
	DECQ      CX
	JNZ       loop2

done2:
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VMOVDQU      X0, (DX)
	VZEROUPPER
	RET
