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

// expNeg's constants for the AVX2 kernel, each repeated in the four
// float64 lanes of a ymm memory operand (VEX has no embedded broadcast);
// 2^52 + 1023, which added to an integral n in [−289, 0] leaves n + 1023
// in the low mantissa bits, where VPSLLQ $52 makes it the exponent of 2^n;
// and eight float32 −200, the clamp of x − max.
DATA expTab4<>+0(SB)/8, $0x3ff71547652b82fe // log2e
DATA expTab4<>+8(SB)/8, $0x3ff71547652b82fe
DATA expTab4<>+16(SB)/8, $0x3ff71547652b82fe
DATA expTab4<>+24(SB)/8, $0x3ff71547652b82fe
DATA expTab4<>+32(SB)/8, $0x3fe0000000000000 // 0.5
DATA expTab4<>+40(SB)/8, $0x3fe0000000000000
DATA expTab4<>+48(SB)/8, $0x3fe0000000000000
DATA expTab4<>+56(SB)/8, $0x3fe0000000000000
DATA expTab4<>+64(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA expTab4<>+72(SB)/8, $0x3fe62e42fee00000
DATA expTab4<>+80(SB)/8, $0x3fe62e42fee00000
DATA expTab4<>+88(SB)/8, $0x3fe62e42fee00000
DATA expTab4<>+96(SB)/8, $0x3dea39ef35793c76 // ln2lo
DATA expTab4<>+104(SB)/8, $0x3dea39ef35793c76
DATA expTab4<>+112(SB)/8, $0x3dea39ef35793c76
DATA expTab4<>+120(SB)/8, $0x3dea39ef35793c76
DATA expTab4<>+128(SB)/8, $0x3f2a01a01a01a01a // 1/5040
DATA expTab4<>+136(SB)/8, $0x3f2a01a01a01a01a
DATA expTab4<>+144(SB)/8, $0x3f2a01a01a01a01a
DATA expTab4<>+152(SB)/8, $0x3f2a01a01a01a01a
DATA expTab4<>+160(SB)/8, $0x3f56c16c16c16c17 // 1/720
DATA expTab4<>+168(SB)/8, $0x3f56c16c16c16c17
DATA expTab4<>+176(SB)/8, $0x3f56c16c16c16c17
DATA expTab4<>+184(SB)/8, $0x3f56c16c16c16c17
DATA expTab4<>+192(SB)/8, $0x3f81111111111111 // 1/120
DATA expTab4<>+200(SB)/8, $0x3f81111111111111
DATA expTab4<>+208(SB)/8, $0x3f81111111111111
DATA expTab4<>+216(SB)/8, $0x3f81111111111111
DATA expTab4<>+224(SB)/8, $0x3fa5555555555555 // 1/24
DATA expTab4<>+232(SB)/8, $0x3fa5555555555555
DATA expTab4<>+240(SB)/8, $0x3fa5555555555555
DATA expTab4<>+248(SB)/8, $0x3fa5555555555555
DATA expTab4<>+256(SB)/8, $0x3fc5555555555555 // 1/6
DATA expTab4<>+264(SB)/8, $0x3fc5555555555555
DATA expTab4<>+272(SB)/8, $0x3fc5555555555555
DATA expTab4<>+280(SB)/8, $0x3fc5555555555555
DATA expTab4<>+288(SB)/8, $0x3fe0000000000000 // 1/2
DATA expTab4<>+296(SB)/8, $0x3fe0000000000000
DATA expTab4<>+304(SB)/8, $0x3fe0000000000000
DATA expTab4<>+312(SB)/8, $0x3fe0000000000000
DATA expTab4<>+320(SB)/8, $0x3ff0000000000000 // 1
DATA expTab4<>+328(SB)/8, $0x3ff0000000000000
DATA expTab4<>+336(SB)/8, $0x3ff0000000000000
DATA expTab4<>+344(SB)/8, $0x3ff0000000000000
DATA expTab4<>+352(SB)/8, $0x43300000000003ff // 2^52 + 1023
DATA expTab4<>+360(SB)/8, $0x43300000000003ff
DATA expTab4<>+368(SB)/8, $0x43300000000003ff
DATA expTab4<>+376(SB)/8, $0x43300000000003ff
DATA expTab4<>+384(SB)/4, $0xc3480000 // -200 (float32)
DATA expTab4<>+388(SB)/4, $0xc3480000
DATA expTab4<>+392(SB)/4, $0xc3480000
DATA expTab4<>+396(SB)/4, $0xc3480000
DATA expTab4<>+400(SB)/4, $0xc3480000
DATA expTab4<>+404(SB)/4, $0xc3480000
DATA expTab4<>+408(SB)/4, $0xc3480000
DATA expTab4<>+412(SB)/4, $0xc3480000
GLOBL expTab4<>(SB), RODATA|NOPTR, $416

// softmaxMask<>+4·(16−t) is the mask of the first t of 16 float32 lanes
// (two ymm), for the tail of t = n mod 16 elements.
DATA softmaxMask<>+0(SB)/4, $0xffffffff
DATA softmaxMask<>+4(SB)/4, $0xffffffff
DATA softmaxMask<>+8(SB)/4, $0xffffffff
DATA softmaxMask<>+12(SB)/4, $0xffffffff
DATA softmaxMask<>+16(SB)/4, $0xffffffff
DATA softmaxMask<>+20(SB)/4, $0xffffffff
DATA softmaxMask<>+24(SB)/4, $0xffffffff
DATA softmaxMask<>+28(SB)/4, $0xffffffff
DATA softmaxMask<>+32(SB)/4, $0xffffffff
DATA softmaxMask<>+36(SB)/4, $0xffffffff
DATA softmaxMask<>+40(SB)/4, $0xffffffff
DATA softmaxMask<>+44(SB)/4, $0xffffffff
DATA softmaxMask<>+48(SB)/4, $0xffffffff
DATA softmaxMask<>+52(SB)/4, $0xffffffff
DATA softmaxMask<>+56(SB)/4, $0xffffffff
DATA softmaxMask<>+60(SB)/4, $0xffffffff
DATA softmaxMask<>+64(SB)/4, $0
DATA softmaxMask<>+68(SB)/4, $0
DATA softmaxMask<>+72(SB)/4, $0
DATA softmaxMask<>+76(SB)/4, $0
DATA softmaxMask<>+80(SB)/4, $0
DATA softmaxMask<>+84(SB)/4, $0
DATA softmaxMask<>+88(SB)/4, $0
DATA softmaxMask<>+92(SB)/4, $0
DATA softmaxMask<>+96(SB)/4, $0
DATA softmaxMask<>+100(SB)/4, $0
DATA softmaxMask<>+104(SB)/4, $0
DATA softmaxMask<>+108(SB)/4, $0
DATA softmaxMask<>+112(SB)/4, $0
DATA softmaxMask<>+116(SB)/4, $0
DATA softmaxMask<>+120(SB)/4, $0
DATA softmaxMask<>+124(SB)/4, $0
GLOBL softmaxMask<>(SB), RODATA|NOPTR, $128

// EXP4X4 replaces the four float64 lanes of each of d1…d4 (x − max,
// clamped to ≥ −200) by expNeg's p·2^n, four independent chains
// interleaved: n = ⌊d·log2e + ½⌋ (VROUNDPD $9 is the floor), r = d −
// n·ln2hi − n·ln2lo (VFNMADD231PD: one rounding of −(n·ln2hi) + d, as
// math.FMA(−n, ln2hi, d)), p = Horner(r) with the FMAs of expNeg, and d =
// p·2^n with 2^n built from the bits of n: a normal float64, so the
// product is the exact scaling of the Go code. AX holds expTab4<>; t and
// u are scratch.
#define EXP4X4(d1, d2, d3, d4, t1, t2, t3, t4, u1, u2, u3, u4) \
	VMOVUPD      32(AX), t1 \
	VMOVUPD      32(AX), t2 \
	VMOVUPD      32(AX), t3 \
	VMOVUPD      32(AX), t4 \
	VFMADD231PD  0(AX), d1, t1 \
	VFMADD231PD  0(AX), d2, t2 \
	VFMADD231PD  0(AX), d3, t3 \
	VFMADD231PD  0(AX), d4, t4 \
	VROUNDPD     $9, t1, t1 \
	VROUNDPD     $9, t2, t2 \
	VROUNDPD     $9, t3, t3 \
	VROUNDPD     $9, t4, t4 \
	VFNMADD231PD 64(AX), t1, d1 \
	VFNMADD231PD 64(AX), t2, d2 \
	VFNMADD231PD 64(AX), t3, d3 \
	VFNMADD231PD 64(AX), t4, d4 \
	VFNMADD231PD 96(AX), t1, d1 \
	VFNMADD231PD 96(AX), t2, d2 \
	VFNMADD231PD 96(AX), t3, d3 \
	VFNMADD231PD 96(AX), t4, d4 \
	VMOVUPD      128(AX), u1 \
	VMOVUPD      128(AX), u2 \
	VMOVUPD      128(AX), u3 \
	VMOVUPD      128(AX), u4 \
	VFMADD213PD  160(AX), d1, u1 \
	VFMADD213PD  160(AX), d2, u2 \
	VFMADD213PD  160(AX), d3, u3 \
	VFMADD213PD  160(AX), d4, u4 \
	VFMADD213PD  192(AX), d1, u1 \
	VFMADD213PD  192(AX), d2, u2 \
	VFMADD213PD  192(AX), d3, u3 \
	VFMADD213PD  192(AX), d4, u4 \
	VFMADD213PD  224(AX), d1, u1 \
	VFMADD213PD  224(AX), d2, u2 \
	VFMADD213PD  224(AX), d3, u3 \
	VFMADD213PD  224(AX), d4, u4 \
	VFMADD213PD  256(AX), d1, u1 \
	VFMADD213PD  256(AX), d2, u2 \
	VFMADD213PD  256(AX), d3, u3 \
	VFMADD213PD  256(AX), d4, u4 \
	VFMADD213PD  288(AX), d1, u1 \
	VFMADD213PD  288(AX), d2, u2 \
	VFMADD213PD  288(AX), d3, u3 \
	VFMADD213PD  288(AX), d4, u4 \
	VFMADD213PD  320(AX), d1, u1 \
	VFMADD213PD  320(AX), d2, u2 \
	VFMADD213PD  320(AX), d3, u3 \
	VFMADD213PD  320(AX), d4, u4 \
	VFMADD213PD  320(AX), d1, u1 \
	VFMADD213PD  320(AX), d2, u2 \
	VFMADD213PD  320(AX), d3, u3 \
	VFMADD213PD  320(AX), d4, u4 \
	VADDPD       352(AX), t1, t1 \
	VADDPD       352(AX), t2, t2 \
	VADDPD       352(AX), t3, t3 \
	VADDPD       352(AX), t4, t4 \
	VPSLLQ       $52, t1, t1 \
	VPSLLQ       $52, t2, t2 \
	VPSLLQ       $52, t3, t3 \
	VPSLLQ       $52, t4, t4 \
	VMULPD       t1, u1, d1 \
	VMULPD       t2, u2, d2 \
	VMULPD       t3, u3, d3 \
	VMULPD       t4, u4, d4

// EXP16Y(ptr) replaces the 16 float32 values x at ptr by e = expNeg(x −
// max) and adds them, as float64, to the lane sums Y0 (lanes 0–3), Y1
// (4–7), Y2 (8–11) and Y3 (12–15). max is broadcast at 0(SP).
//
// Instead of expNeg's test x − max < −104 → 0, the difference is clamped
// to ≥ −200 (VMAXPS with x − max second, so NaN stays NaN): for d in
// [−200, −104) the computed p·2^n is below 0.98·2^−150 and rounds to the
// float32 +0 that expNeg returns (TestSoftmaxClampAVX2 checks every such
// float32), and −Inf becomes −200, so 0.
#define EXP16Y(ptr) \
	VMOVUPS      0+ptr, Y8 \
	VMOVUPS      32+ptr, Y9 \
	VSUBPS       0(SP), Y8, Y8 \
	VSUBPS       0(SP), Y9, Y9 \
	VMOVUPS      384(AX), Y12 \
	VMOVUPS      384(AX), Y13 \
	VMAXPS       Y8, Y12, Y12 \
	VMAXPS       Y9, Y13, Y13 \
	VCVTPS2PD    X12, Y4 \
	VEXTRACTF128 $1, Y12, X12 \
	VCVTPS2PD    X12, Y5 \
	VCVTPS2PD    X13, Y6 \
	VEXTRACTF128 $1, Y13, X13 \
	VCVTPS2PD    X13, Y7 \
	EXP4X4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15) \
	VCVTPD2PSY   Y4, X4 \
	VCVTPD2PSY   Y5, X5 \
	VCVTPD2PSY   Y6, X6 \
	VCVTPD2PSY   Y7, X7 \
	VMOVUPS      X4, 0+ptr \
	VMOVUPS      X5, 16+ptr \
	VMOVUPS      X6, 32+ptr \
	VMOVUPS      X7, 48+ptr \
	VCVTPS2PD    X4, Y8 \
	VCVTPS2PD    X5, Y9 \
	VCVTPS2PD    X6, Y10 \
	VCVTPS2PD    X7, Y11 \
	VADDPD       Y8, Y0, Y0 \
	VADDPD       Y9, Y1, Y1 \
	VADDPD       Y10, Y2, Y2 \
	VADDPD       Y11, Y3, Y3

// func softmaxScaleAVX2(x *float32, n int, scale float32)
//
// softmaxScaleAVX512 with ymm registers: 16 elements per step, the 16
// float64 lane sums in four accumulators (EXP16Y). The n mod 16 tail
// elements are read with VMASKMOVPS in pass 1, scaled, and kept in the
// frame at 32(SP) with −Inf in the lanes past the end (whose
// exponentials are then 0); pass 2 runs EXP16Y on them there, and pass 3
// writes them back with VMASKMOVPS.
TEXT ·softmaxScaleAVX2(SB), NOSPLIT, $96-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Y10
	MOVQ         CX, DX
	ANDQ         $15, DX // tail elements
	SHRQ         $4, CX  // full chunks

	// Pass 1: x *= scale, running maximum in Y0 and Y1.
	MOVL         $0xff800000, AX
	MOVL         AX, X14
	VBROADCASTSS X14, Y14
	VMOVAPS      Y14, Y0
	VMOVAPS      Y14, Y1
	MOVQ         DI, SI
	MOVQ         CX, BX
	TESTQ        BX, BX
	JZ           max2_tail

max2_loop:
	VMULPS  (SI), Y10, Y4
	VMULPS  32(SI), Y10, Y5
	VMOVUPS Y4, (SI)
	VMOVUPS Y5, 32(SI)
	VMAXPS  Y4, Y0, Y0
	VMAXPS  Y5, Y1, Y1
	ADDQ    $64, SI
	DECQ    BX
	JNZ     max2_loop

max2_tail:
	TESTQ      DX, DX
	JZ         max2_reduce
	MOVQ       $16, AX
	SUBQ       DX, AX
	LEAQ       softmaxMask<>(SB), R8
	LEAQ       (R8)(AX*4), R8
	VMOVDQU    0(R8), Y12
	VMOVDQU    32(R8), Y13
	VMASKMOVPS (SI), Y12, Y4
	VMASKMOVPS 32(SI), Y13, Y5
	VMULPS     Y4, Y10, Y4
	VMULPS     Y5, Y10, Y5
	VBLENDVPS  Y12, Y4, Y14, Y4
	VBLENDVPS  Y13, Y5, Y14, Y5
	VMOVUPS    Y4, 32(SP)
	VMOVUPS    Y5, 64(SP)
	VMAXPS     Y4, Y0, Y0
	VMAXPS     Y5, Y1, Y1

max2_reduce:
	VMAXPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VBROADCASTSS X0, Y15
	VMOVUPS      Y15, 0(SP)

	// Pass 2: exponentials and their lane sums.
	LEAQ   expTab4<>(SB), AX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   DI, SI
	MOVQ   CX, BX
	TESTQ  BX, BX
	JZ     exp2_tail

exp2_loop:
	EXP16Y(0(SI))
	ADDQ $64, SI
	DECQ BX
	JNZ  exp2_loop

exp2_tail:
	TESTQ DX, DX
	JZ    sum2_reduce
	EXP16Y(32(SP))

sum2_reduce:
	VADDPD       Y2, Y0, Y0
	VADDPD       Y3, Y1, Y1
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VMOVSD       320(AX), X4
	VDIVSD       X0, X4, X4
	VCVTSD2SS    X4, X4, X4
	VBROADCASTSS X4, Y4

	// Pass 3: x *= 1/sum.
	MOVQ  DI, SI
	MOVQ  CX, BX
	TESTQ BX, BX
	JZ    norm2_tail

norm2_loop:
	VMULPS  (SI), Y4, Y5
	VMULPS  32(SI), Y4, Y6
	VMOVUPS Y5, (SI)
	VMOVUPS Y6, 32(SI)
	ADDQ    $64, SI
	DECQ    BX
	JNZ     norm2_loop

norm2_tail:
	TESTQ      DX, DX
	JZ         done2
	VMOVDQU    0(R8), Y12
	VMOVDQU    32(R8), Y13
	VMULPS     32(SP), Y4, Y5
	VMULPS     64(SP), Y4, Y6
	VMASKMOVPS Y5, Y12, (SI)
	VMASKMOVPS Y6, Y13, 32(SI)

done2:
	VZEROUPPER
	RET
