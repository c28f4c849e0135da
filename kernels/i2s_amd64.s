//go:build !noasm

// Hand-written: avo (github.com/mmcloughlin/avo) is not in this module's
// dependency set and the build has no network access to add it, so these
// kernels are written directly; each TEXT block's comment gives the Go loop
// it implements (see i2s_generic.go). go vet's asmdecl checks the frames.
//
// I2_S layout (spec §2.4): a block of 128 elements is 32 bytes; byte p holds
// the codes of elements p, p+32, p+64, p+96 in bit pairs 7:6, 5:4, 3:2, 1:0.
//
// AVX-512 decoding: broadcast the 32 bytes to both 256-bit halves of a zmm,
// shift the low half right by 6 and the high half by 4 (VPSRLVQ with a
// per-lane count vector), mask with 0x03: the zmm now holds the codes of
// elements 0..63 in element order, matching a plain 64-byte load of q. A
// second shift (2, 0) gives elements 64..127. VPDPBUSD multiplies the
// unsigned codes by the signed activations and adds groups of four into
// int32 lanes: Σ c·q with no overflow (|Σ| ≤ 2·128·K).

#include "textflag.h"

DATA i2sShiftA<>+0(SB)/8, $6
DATA i2sShiftA<>+8(SB)/8, $6
DATA i2sShiftA<>+16(SB)/8, $6
DATA i2sShiftA<>+24(SB)/8, $6
DATA i2sShiftA<>+32(SB)/8, $4
DATA i2sShiftA<>+40(SB)/8, $4
DATA i2sShiftA<>+48(SB)/8, $4
DATA i2sShiftA<>+56(SB)/8, $4
GLOBL i2sShiftA<>(SB), RODATA|NOPTR, $64

DATA i2sShiftB<>+0(SB)/8, $2
DATA i2sShiftB<>+8(SB)/8, $2
DATA i2sShiftB<>+16(SB)/8, $2
DATA i2sShiftB<>+24(SB)/8, $2
DATA i2sShiftB<>+32(SB)/8, $0
DATA i2sShiftB<>+40(SB)/8, $0
DATA i2sShiftB<>+48(SB)/8, $0
DATA i2sShiftB<>+56(SB)/8, $0
GLOBL i2sShiftB<>(SB), RODATA|NOPTR, $64

DATA i2sMask3<>+0(SB)/4, $0x03030303
GLOBL i2sMask3<>(SB), RODATA|NOPTR, $4

DATA i2sOnes16<>+0(SB)/4, $0x00010001
GLOBL i2sOnes16<>(SB), RODATA|NOPTR, $4

// HSUMZ adds the 16 int32 lanes of zmm Z (Y, X its lower parts) and stores
// the sum at dst. Clobbers Y31/X31.
#define HSUMZ(Z, Y, X, dst) \
	VEXTRACTI64X4 $1, Z, Y31; \
	VPADDD        Y31, Y, Y; \
	VEXTRACTI32X4 $1, Y, X31; \
	VPADDD        X31, X, X; \
	VPSHUFD       $0x4e, X, X31; \
	VPADDD        X31, X, X; \
	VPSHUFD       $0xb1, X, X31; \
	VPADDD        X31, X, X; \
	VMOVD         X, dst

// HSUMY adds the 8 int32 lanes of ymm Y and stores the sum at dst.
// Clobbers X15.
#define HSUMY(Y, X, dst) \
	VEXTRACTI128 $1, Y, X15; \
	VPADDD       X15, X, X; \
	VPSHUFD      $0x4e, X, X15; \
	VPADDD       X15, X, X; \
	VPSHUFD      $0xb1, X, X15; \
	VPADDD       X15, X, X; \
	VMOVD        X, dst

// DECODE2 decodes the 128 codes of the block at mem into ZA (elements
// 0..63) and ZB (64..127), using the constants in Z28, Z29, Z30.
#define DECODE2(mem, ZT, ZA, ZB) \
	VBROADCASTI64X4 mem, ZT; \
	VPSRLVQ         Z28, ZT, ZA; \
	VPSRLVQ         Z29, ZT, ZB; \
	VPANDD          Z30, ZA, ZA; \
	VPANDD          Z30, ZB, ZB

#define VNNICONSTS \
	VMOVDQU64    i2sShiftA<>(SB), Z28; \
	VMOVDQU64    i2sShiftB<>(SB), Z29; \
	VPBROADCASTD i2sMask3<>(SB), Z30

// func i2sDot1VNNI(w *byte, q *int8, nblk int) int32
//
//	for k := range 128·nblk { acc += int32(code(w, k)) * int32(q[k]) }
TEXT ·i2sDot1VNNI(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ nblk+16(FP), CX
	VNNICONSTS
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	TESTQ  CX, CX
	JZ     dot1done

dot1loop:
	DECODE2((SI), Z8, Z9, Z10)
	VPDPBUSD (DI), Z9, Z0
	VPDPBUSD 64(DI), Z10, Z1
	ADDQ     $32, SI
	ADDQ     $128, DI
	DECQ     CX
	JNZ      dot1loop

dot1done:
	VPADDD Z1, Z0, Z0
	HSUMZ(Z0, Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// func i2sDot4VNNI(w *byte, stride int, q *int8, nblk int, out *[4]int32)
//
//	for i := range 4 { for k := range 128·nblk { out[i] += code(w[i·stride:], k) · q[k] } }
TEXT ·i2sDot4VNNI(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ q+16(FP), DI
	MOVQ nblk+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(BX*2), R8
	LEAQ (SI)(BX*8), R10 // rows 8–11 on, prefetched alongside (see dot4loop)
	LEAQ (R8)(BX*8), R11
	VNNICONSTS
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ  CX, CX
	JZ     dot4done

dot4loop:
	// Eight interleaved row streams are more than the hardware
	// prefetchers follow: fetch the same block of the row group after
	// the next (a harmless hint past the matrix end: prefetches never
	// fault). One group ahead (2.5 KiB for K = 2560) is about one DRAM
	// latency at one core's bandwidth; two decode 4–6 % faster on one
	// thread, three or four no better.
	PREFETCHT0 (R10)
	PREFETCHT0 (R10)(BX*1)
	PREFETCHT0 (R11)
	PREFETCHT0 (R11)(BX*1)
	VMOVDQU64  (DI), Z20
	VMOVDQU64  64(DI), Z21
	DECODE2((SI), Z8, Z9, Z10)
	DECODE2((SI)(BX*1), Z11, Z12, Z13)
	DECODE2((R8), Z14, Z15, Z16)
	DECODE2((R8)(BX*1), Z17, Z18, Z19)
	VPDPBUSD  Z20, Z9, Z0
	VPDPBUSD  Z21, Z10, Z1
	VPDPBUSD  Z20, Z12, Z2
	VPDPBUSD  Z21, Z13, Z3
	VPDPBUSD  Z20, Z15, Z4
	VPDPBUSD  Z21, Z16, Z5
	VPDPBUSD  Z20, Z18, Z6
	VPDPBUSD  Z21, Z19, Z7
	ADDQ      $32, SI
	ADDQ      $32, R8
	ADDQ      $32, R10
	ADDQ      $32, R11
	ADDQ      $128, DI
	DECQ      CX
	JNZ       dot4loop

dot4done:
	VPADDD Z1, Z0, Z0
	VPADDD Z3, Z2, Z2
	VPADDD Z5, Z4, Z4
	VPADDD Z7, Z6, Z6
	HSUMZ(Z0, Y0, X0, 0(DX))
	HSUMZ(Z2, Y2, X2, 4(DX))
	HSUMZ(Z4, Y4, X4, 8(DX))
	HSUMZ(Z6, Y6, X6, 12(DX))
	VZEROUPPER
	RET

// TOKEN4 multiplies the four decoded rows (Z16..Z23) by the activations of
// one token at mem and adds into the accumulators a0..a3 (rows 0..3).
#define TOKEN4(mem0, mem1, a0, a1, a2, a3) \
	VMOVDQU64 mem0, Z24; \
	VMOVDQU64 mem1, Z25; \
	VPDPBUSD  Z24, Z16, a0; \
	VPDPBUSD  Z24, Z18, a1; \
	VPDPBUSD  Z24, Z20, a2; \
	VPDPBUSD  Z24, Z22, a3; \
	VPDPBUSD  Z25, Z17, a0; \
	VPDPBUSD  Z25, Z19, a1; \
	VPDPBUSD  Z25, Z21, a2; \
	VPDPBUSD  Z25, Z23, a3

// func i2sTile4x4VNNI(w *byte, wstride int, q *int8, qstride int, nblk int, out *[16]int32)
//
//	for i := range 4 { for j := range 4 { for k := range 128·nblk {
//		out[4i+j] += code(w[i·wstride:], k) · q[j·qstride+k] } } }
//
// Accumulator Z(4i+j) holds row i × token j.
TEXT ·i2sTile4x4VNNI(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ wstride+8(FP), BX
	MOVQ q+16(FP), DI
	MOVQ qstride+24(FP), R9
	MOVQ nblk+32(FP), CX
	MOVQ out+40(FP), DX
	LEAQ (SI)(BX*2), R8
	LEAQ (DI)(R9*2), R10
	VNNICONSTS
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ  CX, CX
	JZ     tiledone

tileloop:
	DECODE2((SI), Z26, Z16, Z17)
	DECODE2((SI)(BX*1), Z27, Z18, Z19)
	DECODE2((R8), Z26, Z20, Z21)
	DECODE2((R8)(BX*1), Z27, Z22, Z23)
	TOKEN4((DI), 64(DI), Z0, Z4, Z8, Z12)
	TOKEN4((DI)(R9*1), 64(DI)(R9*1), Z1, Z5, Z9, Z13)
	TOKEN4((R10), 64(R10), Z2, Z6, Z10, Z14)
	TOKEN4((R10)(R9*1), 64(R10)(R9*1), Z3, Z7, Z11, Z15)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $128, DI
	ADDQ $128, R10
	DECQ CX
	JNZ  tileloop

tiledone:
	HSUMZ(Z0, Y0, X0, 0(DX))
	HSUMZ(Z1, Y1, X1, 4(DX))
	HSUMZ(Z2, Y2, X2, 8(DX))
	HSUMZ(Z3, Y3, X3, 12(DX))
	HSUMZ(Z4, Y4, X4, 16(DX))
	HSUMZ(Z5, Y5, X5, 20(DX))
	HSUMZ(Z6, Y6, X6, 24(DX))
	HSUMZ(Z7, Y7, X7, 28(DX))
	HSUMZ(Z8, Y8, X8, 32(DX))
	HSUMZ(Z9, Y9, X9, 36(DX))
	HSUMZ(Z10, Y10, X10, 40(DX))
	HSUMZ(Z11, Y11, X11, 44(DX))
	HSUMZ(Z12, Y12, X12, 48(DX))
	HSUMZ(Z13, Y13, X13, 52(DX))
	HSUMZ(Z14, Y14, X14, 56(DX))
	HSUMZ(Z15, Y15, X15, 60(DX))
	VZEROUPPER
	RET

// AVX2: four 32-byte shifts/masks give the codes of elements 0..31, 32..63,
// 64..95, 96..127; VPMADDUBSW (u8 codes × s8 q, pairs ≤ 512 in int16, four
// of them ≤ 2048) then VPMADDWD by ones widens to int32.

// ROWAVX2 accumulates Σ c·q of one block of the row at mem into acc, with
// the block's activations in Y4..Y7, mask in Y13 and int16 ones in Y14.
#define ROWAVX2(mem, acc) \
	VMOVDQU    mem, Y8; \
	VPSRLW     $6, Y8, Y9; \
	VPAND      Y13, Y9, Y9; \
	VPMADDUBSW Y4, Y9, Y10; \
	VPSRLW     $4, Y8, Y9; \
	VPAND      Y13, Y9, Y9; \
	VPMADDUBSW Y5, Y9, Y11; \
	VPSRLW     $2, Y8, Y9; \
	VPAND      Y13, Y9, Y9; \
	VPMADDUBSW Y6, Y9, Y12; \
	VPAND      Y13, Y8, Y9; \
	VPMADDUBSW Y7, Y9, Y9; \
	VPADDW     Y11, Y10, Y10; \
	VPADDW     Y12, Y9, Y9; \
	VPADDW     Y9, Y10, Y10; \
	VPMADDWD   Y14, Y10, Y10; \
	VPADDD     Y10, acc, acc

#define LOADQAVX2 \
	VMOVDQU (DI), Y4; \
	VMOVDQU 32(DI), Y5; \
	VMOVDQU 64(DI), Y6; \
	VMOVDQU 96(DI), Y7

// func i2sDot1AVX2(w *byte, q *int8, nblk int) int32
TEXT ·i2sDot1AVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         nblk+16(FP), CX
	VPBROADCASTD i2sMask3<>(SB), Y13
	VPBROADCASTD i2sOnes16<>(SB), Y14
	VPXOR        Y0, Y0, Y0
	TESTQ        CX, CX
	JZ           a1done

a1loop:
	LOADQAVX2
	ROWAVX2((SI), Y0)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  a1loop

a1done:
	HSUMY(Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// func i2sDot4AVX2(w *byte, stride int, q *int8, nblk int, out *[4]int32)
TEXT ·i2sDot4AVX2(SB), NOSPLIT, $0-40
	MOVQ         w+0(FP), SI
	MOVQ         stride+8(FP), BX
	MOVQ         q+16(FP), DI
	MOVQ         nblk+24(FP), CX
	MOVQ         out+32(FP), DX
	LEAQ         (SI)(BX*2), R8
	LEAQ         (SI)(BX*8), R10 // rows 8–11 on (see dot4loop)
	LEAQ         (R8)(BX*8), R11
	VPBROADCASTD i2sMask3<>(SB), Y13
	VPBROADCASTD i2sOnes16<>(SB), Y14
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	TESTQ        CX, CX
	JZ           a4done

a4loop:
	PREFETCHT0 (R10)
	PREFETCHT0 (R10)(BX*1)
	PREFETCHT0 (R11)
	PREFETCHT0 (R11)(BX*1)
	LOADQAVX2
	ROWAVX2((SI), Y0)
	ROWAVX2((SI)(BX*1), Y1)
	ROWAVX2((R8), Y2)
	ROWAVX2((R8)(BX*1), Y3)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $128, DI
	DECQ CX
	JNZ  a4loop

a4done:
	HSUMY(Y0, X0, 0(DX))
	HSUMY(Y1, X1, 4(DX))
	HSUMY(Y2, X2, 8(DX))
	HSUMY(Y3, X3, 12(DX))
	VZEROUPPER
	RET

// AVX2 register tile, 2 rows × 4 tokens: each block's codes are decoded
// once (2 loads, 6 shifts, 8 masks) for the eight products. Per 32-element
// sub-block and token, one VPMADDUBSW (u8 codes × s8 q, pairs ≤ 512) per
// row goes straight into an int16 accumulator (VPADDW); after at most
// 8 blocks (each lane gains at most 4·512 per block: 8·2048 = 16384
// < 32767) the int16 lanes are widened by VPMADDWD with ones into int32
// accumulators kept in the frame. That leaves 2 vector ops per 32 MACs in
// the inner loop, against 17/4 per 32 for the one-token kernel above.
//
// Registers: Y0..Y3 row 0 × tokens 0..3, Y4..Y7 row 1 × tokens 0..3
// (int16), Y8/Y9 the raw block bytes of rows 0/1, Y10/Y11 their codes for
// the current sub-block, Y12 the token's activations, Y13 the product,
// Y14 int16 ones, Y15 the 0x03 mask. Frame: 8 × 32 bytes of int32 sums,
// slot 4i+j for row i × token j.

// T24TOK multiplies both rows' codes by one token's sub-block at mem.
#define T24TOK(mem, a0, a1) \
	VMOVDQU    mem, Y12; \
	VPMADDUBSW Y12, Y10, Y13; \
	VPADDW     Y13, a0, a0; \
	VPMADDUBSW Y12, Y11, Y13; \
	VPADDW     Y13, a1, a1

// T24SUB decodes sub-block off/32 (shift sh) of both rows and multiplies it
// by the four tokens.
#define T24SUB(sh, off) \
	VPSRLW $sh, Y8, Y10; \
	VPSRLW $sh, Y9, Y11; \
	VPAND  Y15, Y10, Y10; \
	VPAND  Y15, Y11, Y11; \
	T24TOK(off(DI), Y0, Y4); \
	T24TOK(off(DI)(R9*1), Y1, Y5); \
	T24TOK(off(R10), Y2, Y6); \
	T24TOK(off(R10)(R9*1), Y3, Y7)

// T24FLUSH widens int16 accumulator Y into the int32 frame slot at off and
// clears it.
#define T24FLUSH(Y, off) \
	VPMADDWD Y14, Y, Y; \
	VPADDD   off(SP), Y, Y; \
	VMOVDQU  Y, off(SP); \
	VPXOR    Y, Y, Y

// func i2sTile2x4AVX2(w *byte, wstride int, q *int8, qstride int, nblk int, out *[8]int32)
//
//	for i := range 2 { for j := range 4 { for k := range 128·nblk {
//		out[4i+j] += code(w[i·wstride:], k) · q[j·qstride+k] } } }
TEXT ·i2sTile2x4AVX2(SB), NOSPLIT, $256-48
	MOVQ         w+0(FP), SI
	MOVQ         wstride+8(FP), BX
	MOVQ         q+16(FP), DI
	MOVQ         qstride+24(FP), R9
	MOVQ         nblk+32(FP), CX
	MOVQ         out+40(FP), DX
	LEAQ         (DI)(R9*2), R10 // token 2
	VPBROADCASTD i2sMask3<>(SB), Y15
	VPBROADCASTD i2sOnes16<>(SB), Y14
	VPXOR        Y0, Y0, Y0
	VMOVDQU      Y0, 0(SP)
	VMOVDQU      Y0, 32(SP)
	VMOVDQU      Y0, 64(SP)
	VMOVDQU      Y0, 96(SP)
	VMOVDQU      Y0, 128(SP)
	VMOVDQU      Y0, 160(SP)
	VMOVDQU      Y0, 192(SP)
	VMOVDQU      Y0, 224(SP)
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	VPXOR        Y4, Y4, Y4
	VPXOR        Y5, Y5, Y5
	VPXOR        Y6, Y6, Y6
	VPXOR        Y7, Y7, Y7
	TESTQ        CX, CX
	JZ           t24done

t24chunk:
	// R11 = min(CX, 8) blocks before the next flush.
	MOVQ    $8, R11
	CMPQ    CX, R11
	CMOVQLT CX, R11
	SUBQ    R11, CX

t24loop:
	VMOVDQU (SI), Y8
	VMOVDQU (SI)(BX*1), Y9
	T24SUB(6, 0)
	T24SUB(4, 32)
	T24SUB(2, 64)
	VPAND   Y15, Y8, Y10
	VPAND   Y15, Y9, Y11
	T24TOK(96(DI), Y0, Y4)
	T24TOK(96(DI)(R9*1), Y1, Y5)
	T24TOK(96(R10), Y2, Y6)
	T24TOK(96(R10)(R9*1), Y3, Y7)
	ADDQ    $32, SI
	ADDQ    $128, DI
	ADDQ    $128, R10
	DECQ    R11
	JNZ     t24loop

	T24FLUSH(Y0, 0)
	T24FLUSH(Y1, 32)
	T24FLUSH(Y2, 64)
	T24FLUSH(Y3, 96)
	T24FLUSH(Y4, 128)
	T24FLUSH(Y5, 160)
	T24FLUSH(Y6, 192)
	T24FLUSH(Y7, 224)
	TESTQ   CX, CX
	JNZ     t24chunk

t24done:
	VMOVDQU 0(SP), Y0
	HSUMY(Y0, X0, 0(DX))
	VMOVDQU 32(SP), Y0
	HSUMY(Y0, X0, 4(DX))
	VMOVDQU 64(SP), Y0
	HSUMY(Y0, X0, 8(DX))
	VMOVDQU 96(SP), Y0
	HSUMY(Y0, X0, 12(DX))
	VMOVDQU 128(SP), Y0
	HSUMY(Y0, X0, 16(DX))
	VMOVDQU 160(SP), Y0
	HSUMY(Y0, X0, 20(DX))
	VMOVDQU 192(SP), Y0
	HSUMY(Y0, X0, 24(DX))
	VMOVDQU 224(SP), Y0
	HSUMY(Y0, X0, 28(DX))
	VZEROUPPER
	RET

DATA i2sOnes16x16<>+0(SB)/8, $0x0001000100010001
DATA i2sOnes16x16<>+8(SB)/8, $0x0001000100010001
DATA i2sOnes16x16<>+16(SB)/8, $0x0001000100010001
DATA i2sOnes16x16<>+24(SB)/8, $0x0001000100010001
GLOBL i2sOnes16x16<>(SB), RODATA|NOPTR, $32

// ROW16M adds Σ c·q of one block of the row at mem into the int16
// accumulators a (sub-blocks 0, 2) and b (1, 3), the activations read from
// qreg as memory operands; mask in Y15. 15 vector ops and 5 loads per 32
// weight bytes.
#define ROW16M(mem, qreg, a, b) \
	VMOVDQU    mem, Y12; \
	VPSRLW     $6, Y12, Y13; \
	VPSRLW     $4, Y12, Y14; \
	VPAND      Y15, Y13, Y13; \
	VPAND      Y15, Y14, Y14; \
	VPMADDUBSW (qreg), Y13, Y13; \
	VPMADDUBSW 32(qreg), Y14, Y14; \
	VPADDW     Y13, a, a; \
	VPADDW     Y14, b, b; \
	VPSRLW     $2, Y12, Y13; \
	VPAND      Y15, Y12, Y14; \
	VPAND      Y15, Y13, Y13; \
	VPMADDUBSW 64(qreg), Y13, Y13; \
	VPMADDUBSW 96(qreg), Y14, Y14; \
	VPADDW     Y13, a, a; \
	VPADDW     Y14, b, b

// func i2sRows16AVX2(w *byte, rows int, q *int8, nblk int, out *int32, pf int)
//
//	for r := range rows { out[r] = Σ_k code(w[r·32·nblk:], k) · q[k] }
//
// The mat-vec as one sequential stream: row after row, each row's blocks
// in order, so the hardware prefetchers see a single stream (the 4-row
// kernels interleave four). The activations (L1-resident) are memory
// operands. Per row, int16 partial sums in Y0/Y1 (two chains; a lane gains
// at most 2·512 per block each: 8 blocks = 8192) are widened into Y2 every
// 8 blocks. Each block prefetches the byte pf ahead (0: none).
TEXT ·i2sRows16AVX2(SB), NOSPLIT, $0-48
	MOVQ         w+0(FP), SI
	MOVQ         rows+8(FP), R8
	MOVQ         nblk+24(FP), BX
	MOVQ         out+32(FP), DX
	MOVQ         pf+40(FP), R12
	VPBROADCASTD i2sMask3<>(SB), Y15
	TESTQ        R8, R8
	JZ           r16done
	TESTQ        BX, BX
	JZ           r16done

r16row:
	MOVQ  q+16(FP), DI
	MOVQ  BX, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2

r16chunk:
	MOVQ    $8, R9
	CMPQ    CX, R9
	CMOVQLT CX, R9
	SUBQ    R9, CX

r16loop:
	PREFETCHT0 (SI)(R12*1)
	ROW16M((SI), DI, Y0, Y1)
	ADDQ       $32, SI
	ADDQ       $128, DI
	DECQ       R9
	JNZ        r16loop

	VPADDW   Y1, Y0, Y0 // ≤ 16384
	VPMADDWD i2sOnes16x16<>(SB), Y0, Y0
	VPADDD   Y0, Y2, Y2
	VPXOR    Y0, Y0, Y0
	VPXOR    Y1, Y1, Y1
	TESTQ    CX, CX
	JNZ      r16chunk

	VEXTRACTI128 $1, Y2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0x4e, X2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0xb1, X2, X3
	VPADDD       X3, X2, X2
	VMOVD        X2, (DX)
	ADDQ         $4, DX
	DECQ         R8
	JNZ          r16row

r16done:
	VZEROUPPER
	RET
