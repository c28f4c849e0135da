//go:build !noasm

#include "textflag.h"

// expNeg's float64 constants, in the order the kernel loads them.
DATA expTab<>+0(SB)/8, $0x3ff71547652b82fe  // log2e
DATA expTab<>+8(SB)/8, $0x3fe0000000000000  // 0.5
DATA expTab<>+16(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA expTab<>+24(SB)/8, $0x3dea39ef35793c76 // ln2lo
DATA expTab<>+32(SB)/8, $0x3f2a01a01a01a01a // 1/5040
DATA expTab<>+40(SB)/8, $0x3f56c16c16c16c17 // 1/720
DATA expTab<>+48(SB)/8, $0x3f81111111111111 // 1/120
DATA expTab<>+56(SB)/8, $0x3fa5555555555555 // 1/24
DATA expTab<>+64(SB)/8, $0x3fc5555555555555 // 1/6
DATA expTab<>+72(SB)/8, $0x3fe0000000000000 // 1/2
DATA expTab<>+80(SB)/8, $0x3ff0000000000000 // 1
GLOBL expTab<>(SB), RODATA|NOPTR, $88

// EXP8(d, t, u) replaces the eight float64 lanes of d (clamped to ≥ −104)
// by expNeg's p·2^n: n = ⌊d·log2e + ½⌋, r = d − n·ln2hi − n·ln2lo (fused),
// p = Horner(r), d = p·2^n. t and u are scratch.
#define EXP8(d, t, u) \
	VMOVAPD      Z17, t \
	VFMADD231PD  Z16, d, t \
	VRNDSCALEPD  $9, t, t \
	VFNMADD231PD Z18, t, d \
	VFNMADD231PD Z19, t, d \
	VMOVAPD      Z20, u \
	VFMADD213PD  Z21, d, u \
	VFMADD213PD  Z22, d, u \
	VFMADD213PD  Z23, d, u \
	VFMADD213PD  Z24, d, u \
	VFMADD213PD  Z25, d, u \
	VFMADD213PD  Z26, d, u \
	VFMADD213PD  Z26, d, u \
	VSCALEFPD    t, u, d

// EXP16 turns the 16 float32 lanes of Z4 (x − max; lanes outside mask
// K3 become 0) into their exponentials in Z4 and adds them, as float64,
// to the lane sums Z2 (lanes 0–7) and Z3 (lanes 8–15).
#define EXP16 \
	VCMPPS        $0x11, Z28, Z4, K2 \
	KANDNW        K3, K2, K4 \
	VMAXPS        Z4, Z28, Z4 \
	VEXTRACTF32X8 $1, Z4, Y5 \
	VCVTPS2PD     Y4, Z6 \
	VCVTPS2PD     Y5, Z7 \
	EXP8(Z6, Z8, Z9) \
	EXP8(Z7, Z10, Z11) \
	VCVTPD2PS     Z6, Y6 \
	VCVTPD2PS     Z7, Y7 \
	VINSERTF32X8  $1, Y7, Z6, Z4 \
	VMOVAPS.Z     Z4, K4, Z4 \
	VEXTRACTF32X8 $1, Z4, Y5 \
	VCVTPS2PD     Y4, Z6 \
	VCVTPS2PD     Y5, Z7 \
	VADDPD        Z6, Z2, Z2 \
	VADDPD        Z7, Z3, Z3

// func softmaxScaleAVX512(x *float32, n int, scale float32)
TEXT ·softmaxScaleAVX512(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Z30
	MOVQ         CX, R8
	MOVQ         CX, DX
	ANDQ         $15, DX // tail elements
	MOVQ         DX, CX
	MOVL         $1, AX
	SHLL         CX, AX
	DECL         AX
	KMOVW        AX, K1  // tail mask
	MOVQ         R8, CX
	SHRQ         $4, CX  // full chunks

	// Pass 1: x *= scale, running maximum in Z0.
	MOVL         $0xff800000, AX
	VPBROADCASTD AX, Z0
	MOVQ         DI, SI
	MOVQ         CX, BX
	TESTQ        BX, BX
	JZ           max_tail

max_loop:
	VMULPS  (SI), Z30, Z1
	VMOVUPS Z1, (SI)
	VMAXPS  Z1, Z0, Z0
	ADDQ    $64, SI
	DECQ    BX
	JNZ     max_loop

max_tail:
	TESTQ     DX, DX
	JZ        max_reduce
	VMOVUPS.Z (SI), K1, Z1
	VMULPS    Z1, Z30, Z1
	VMOVUPS   Z1, K1, (SI)
	VMAXPS    Z1, Z0, K1, Z0

max_reduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VMAXPS        X1, X0, X0
	VBROADCASTSS  X0, Z29

	// Pass 2: exponentials and their lane sums.
	MOVL         $0xc2d00000, AX // -104
	VPBROADCASTD AX, Z28
	LEAQ         expTab<>(SB), AX
	VBROADCASTSD 0(AX), Z16
	VBROADCASTSD 8(AX), Z17
	VBROADCASTSD 16(AX), Z18
	VBROADCASTSD 24(AX), Z19
	VBROADCASTSD 32(AX), Z20
	VBROADCASTSD 40(AX), Z21
	VBROADCASTSD 48(AX), Z22
	VBROADCASTSD 56(AX), Z23
	VBROADCASTSD 64(AX), Z24
	VBROADCASTSD 72(AX), Z25
	VBROADCASTSD 80(AX), Z26
	VXORPD       Z2, Z2, Z2
	VXORPD       Z3, Z3, Z3
	MOVL         $0xffff, AX
	KMOVW        AX, K3
	MOVQ         DI, SI
	MOVQ         CX, BX
	TESTQ        BX, BX
	JZ           exp_tail

exp_loop:
	VMOVUPS (SI), Z4
	VSUBPS  Z29, Z4, Z4
	EXP16
	VMOVUPS Z4, (SI)
	ADDQ    $64, SI
	DECQ    BX
	JNZ     exp_loop

exp_tail:
	TESTQ     DX, DX
	JZ        sum_reduce
	KMOVW     K1, K3
	VMOVUPS.Z (SI), K1, Z4
	VSUBPS    Z29, Z4, Z4
	EXP16
	VMOVUPS   Z4, K1, (SI)

sum_reduce:
	VADDPD        Z3, Z2, Z2
	VEXTRACTF64X4 $1, Z2, Y3
	VADDPD        Y3, Y2, Y2
	VEXTRACTF128  $1, Y2, X3
	VADDPD        X3, X2, X2
	VPERMILPD     $1, X2, X3
	VADDSD        X3, X2, X2
	LEAQ         expTab<>(SB), AX
	VMOVSD       80(AX), X4
	VDIVSD       X2, X4, X4
	VCVTSD2SS    X4, X4, X4
	VBROADCASTSS X4, Z4

	// Pass 3: x *= 1/sum.
	MOVQ  DI, SI
	MOVQ  CX, BX
	TESTQ BX, BX
	JZ    norm_tail

norm_loop:
	VMULPS  (SI), Z4, Z5
	VMOVUPS Z5, (SI)
	ADDQ    $64, SI
	DECQ    BX
	JNZ     norm_loop

norm_tail:
	TESTQ     DX, DX
	JZ        done
	VMOVUPS.Z (SI), K1, Z5
	VMULPS    Z5, Z4, Z5
	VMOVUPS   Z5, K1, (SI)

done:
	VZEROUPPER
	RET
