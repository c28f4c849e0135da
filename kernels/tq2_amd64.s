//go:build !noasm

// Hand-written, like i2s_amd64.s (avo is not in this module's dependency
// set). Each TEXT block's comment gives the Go loop it implements; the
// reference is dotTQ2Generic in tq2_generic.go. go vet's asmdecl checks the
// frames.
//
// TQ2_0 (spec §2.5): a block of 256 elements is qs[64] then an f16 scale d.
// Half h (bytes 32h..32h+31) holds element 128h+32j+m in byte 32h+m at bit
// shift 2j.
//
// AVX-512 decoding: broadcast a half to both 256-bit lanes of a zmm, shift
// the qwords of the lanes right by (0, 2) and by (4, 6) (VPSRLVQ) and mask
// with 3: the two zmm hold the codes of elements 128h..128h+63 and
// 128h+64..128h+127 in element order, matching plain 64-byte loads of the
// activations. VPDPBUSD multiplies the unsigned codes c by the signed
// activations q; Σ (c−1)·q = Σ c·q − Σ q, with Σ q from VPDPBUSD of a
// vector of ones.
//
// Exactness: ggml_vec_dot_tq2_0_q8_K computes per block the integer
// S = Σ (c−1)·q and then sum += float32(S)·(da[b]·d), rounding to float32
// after the conversion, each multiplication and each addition, block after
// block. The kernels reduce the integer sums of 16 outputs (rows, or row ×
// token pairs) of one block into the 16 int32 lanes of one zmm and then run
// exactly those float32 operations lane by lane (VCVTDQ2PS, VMULPS, VMULPS,
// VADDPS; no FMA), so every lane is bit-identical to dotTQ2Generic.

#include "textflag.h"

DATA tq2ShiftLo<>+0(SB)/8, $0
DATA tq2ShiftLo<>+8(SB)/8, $0
DATA tq2ShiftLo<>+16(SB)/8, $0
DATA tq2ShiftLo<>+24(SB)/8, $0
DATA tq2ShiftLo<>+32(SB)/8, $2
DATA tq2ShiftLo<>+40(SB)/8, $2
DATA tq2ShiftLo<>+48(SB)/8, $2
DATA tq2ShiftLo<>+56(SB)/8, $2
GLOBL tq2ShiftLo<>(SB), RODATA|NOPTR, $64

DATA tq2ShiftHi<>+0(SB)/8, $4
DATA tq2ShiftHi<>+8(SB)/8, $4
DATA tq2ShiftHi<>+16(SB)/8, $4
DATA tq2ShiftHi<>+24(SB)/8, $4
DATA tq2ShiftHi<>+32(SB)/8, $6
DATA tq2ShiftHi<>+40(SB)/8, $6
DATA tq2ShiftHi<>+48(SB)/8, $6
DATA tq2ShiftHi<>+56(SB)/8, $6
GLOBL tq2ShiftHi<>(SB), RODATA|NOPTR, $64

// tq2Lane4: VPERMPS index spreading 4 floats to lanes 4i..4i+3.
DATA tq2Lane4<>+0(SB)/8, $0x0000000000000000
DATA tq2Lane4<>+8(SB)/8, $0x0000000000000000
DATA tq2Lane4<>+16(SB)/8, $0x0000000100000001
DATA tq2Lane4<>+24(SB)/8, $0x0000000100000001
DATA tq2Lane4<>+32(SB)/8, $0x0000000200000002
DATA tq2Lane4<>+40(SB)/8, $0x0000000200000002
DATA tq2Lane4<>+48(SB)/8, $0x0000000300000003
DATA tq2Lane4<>+56(SB)/8, $0x0000000300000003
GLOBL tq2Lane4<>(SB), RODATA|NOPTR, $64

DATA tq2Mask3<>+0(SB)/4, $0x03030303
GLOBL tq2Mask3<>(SB), RODATA|NOPTR, $4

DATA tq2Ones8<>+0(SB)/4, $0x01010101
GLOBL tq2Ones8<>(SB), RODATA|NOPTR, $4

DATA tq2Ones16<>+0(SB)/8, $0x0001000100010001
DATA tq2Ones16<>+8(SB)/8, $0x0001000100010001
DATA tq2Ones16<>+16(SB)/8, $0x0001000100010001
DATA tq2Ones16<>+24(SB)/8, $0x0001000100010001
GLOBL tq2Ones16<>(SB), RODATA|NOPTR, $32

// Transpose-and-add steps. Each combines the int32 lanes of a and b into a,
// halving the lanes that belong to each input vector.
//
// RED256: a = [a.q0+a.q2, a.q1+a.q3, b.q0+b.q2, b.q1+b.q3] (128-bit quarters).
#define RED256(a, b, t1, t2) \
	VSHUFI64X2 $0x44, b, a, t1; \
	VSHUFI64X2 $0xee, b, a, t2; \
	VPADDD     t2, t1, a

// RED128: a = [a.q0+a.q1, a.q2+a.q3, b.q0+b.q1, b.q2+b.q3].
#define RED128(a, b, t1, t2) \
	VSHUFI64X2 $0x88, b, a, t1; \
	VSHUFI64X2 $0xdd, b, a, t2; \
	VPADDD     t2, t1, a

// RED64: in each quarter, a = [a.d0+a.d2, a.d1+a.d3, b.d0+b.d2, b.d1+b.d3].
#define RED64(a, b, t1, t2) \
	VPUNPCKLQDQ b, a, t1; \
	VPUNPCKHQDQ b, a, t2; \
	VPADDD      t2, t1, a

// RED32: in each quarter, a = [a.d0+a.d1, a.d2+a.d3, b.d0+b.d1, b.d2+b.d3].
#define RED32(a, b, t1, t2) \
	VSHUFPS $0x88, b, a, t1; \
	VSHUFPS $0xdd, b, a, t2; \
	VPADDD  t2, t1, a

// REDUCE16 sets lane 4i+j of Z0 to the sum of the 16 lanes of input
// Z(i+4j), for the inputs Z0..Z15 (45 instructions instead of 16
// horizontal sums). Clobbers Z1..Z15, Z16, Z17, Z20..Z25.
#define REDUCE16 \
	RED256(Z0, Z1, Z16, Z17);   \
	RED256(Z2, Z3, Z20, Z21);   \
	RED256(Z4, Z5, Z22, Z23);   \
	RED256(Z6, Z7, Z24, Z25);   \
	RED256(Z8, Z9, Z16, Z17);   \
	RED256(Z10, Z11, Z20, Z21); \
	RED256(Z12, Z13, Z22, Z23); \
	RED256(Z14, Z15, Z24, Z25); \
	RED128(Z0, Z2, Z16, Z17);   \
	RED128(Z4, Z6, Z20, Z21);   \
	RED128(Z8, Z10, Z22, Z23);  \
	RED128(Z12, Z14, Z24, Z25); \
	RED64(Z0, Z4, Z16, Z17);    \
	RED64(Z8, Z12, Z20, Z21);   \
	RED32(Z0, Z8, Z16, Z17)

// TDEC decodes the half-block at mem: ZA = codes of its elements 0..63,
// ZB = 64..127. The shift counts and the mask come from memory (the tile
// needs every register).
#define TDEC(mem, ZA, ZB) \
	VBROADCASTI64X4 mem, ZA;                  \
	VPSRLVQ         tq2ShiftHi<>(SB), ZA, ZB; \
	VPSRLVQ         tq2ShiftLo<>(SB), ZA, ZA; \
	VPANDD.BCST     tq2Mask3<>(SB), ZA, ZA;   \
	VPANDD.BCST     tq2Mask3<>(SB), ZB, ZB

// TTOK multiplies the decoded half-blocks of the four rows (Z16..Z23) by
// the 128 activations of one token at mem0, mem1 into a0..a3 (rows 0..3)
// and adds Σ q into qs.
#define TTOK(mem0, mem1, a0, a1, a2, a3, qs) \
	VMOVDQU64 mem0, Z24;  \
	VMOVDQU64 mem1, Z25;  \
	VPDPBUSD  Z24, Z16, a0; \
	VPDPBUSD  Z24, Z18, a1; \
	VPDPBUSD  Z24, Z20, a2; \
	VPDPBUSD  Z24, Z22, a3; \
	VPDPBUSD  Z25, Z17, a0; \
	VPDPBUSD  Z25, Z19, a1; \
	VPDPBUSD  Z25, Z21, a2; \
	VPDPBUSD  Z25, Z23, a3; \
	VPDPBUSD  Z24, Z30, qs; \
	VPDPBUSD  Z25, Z30, qs

// func tq2Tile4x4VNNI(w *byte, wstride int, q *int8, qstride int, da *float32, dastride int, nblk int, acc *[16]float32)
//
//	for i := range 4 { for j := range 4 { for b := range nblk {
//		row, x := w[i·wstride+66b:], q[j·qstride+256b:]
//		var s int32
//		for e := range 256 { s += (code(row, e) − 1) · int32(x[e]) }
//		acc[4i+j] += float32(s) * (da[j·dastride+b] * f16(row[64:66]))
//	} } }
//
// Accumulator Z(i+4j) holds row i × token j; REDUCE16 puts its sum in lane
// 4i+j. Z31 holds acc.
TEXT ·tq2Tile4x4VNNI(SB), NOSPLIT, $0-64
	MOVQ         w+0(FP), SI
	MOVQ         wstride+8(FP), BX
	MOVQ         q+16(FP), DI
	MOVQ         qstride+24(FP), R9
	MOVQ         da+32(FP), R11
	MOVQ         dastride+40(FP), R12
	MOVQ         nblk+48(FP), CX
	MOVQ         acc+56(FP), DX
	SHLQ         $2, R12
	LEAQ         (SI)(BX*2), R8
	LEAQ         (DI)(R9*2), R10
	LEAQ         (R11)(R12*2), R13
	VPBROADCASTD tq2Ones8<>(SB), Z30
	VMOVUPS      (DX), Z31
	TESTQ        CX, CX
	JZ           tiledone

tileloop:
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
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29

	// First half of the block: elements 0..127.
	TDEC((SI), Z16, Z17)
	TDEC((SI)(BX*1), Z18, Z19)
	TDEC((R8), Z20, Z21)
	TDEC((R8)(BX*1), Z22, Z23)
	TTOK((DI), 64(DI), Z0, Z1, Z2, Z3, Z26)
	TTOK((DI)(R9*1), 64(DI)(R9*1), Z4, Z5, Z6, Z7, Z27)
	TTOK((R10), 64(R10), Z8, Z9, Z10, Z11, Z28)
	TTOK((R10)(R9*1), 64(R10)(R9*1), Z12, Z13, Z14, Z15, Z29)

	// Second half: elements 128..255.
	TDEC(32(SI), Z16, Z17)
	TDEC(32(SI)(BX*1), Z18, Z19)
	TDEC(32(R8), Z20, Z21)
	TDEC(32(R8)(BX*1), Z22, Z23)
	TTOK(128(DI), 192(DI), Z0, Z1, Z2, Z3, Z26)
	TTOK(128(DI)(R9*1), 192(DI)(R9*1), Z4, Z5, Z6, Z7, Z27)
	TTOK(128(R10), 192(R10), Z8, Z9, Z10, Z11, Z28)
	TTOK(128(R10)(R9*1), 192(R10)(R9*1), Z12, Z13, Z14, Z15, Z29)

	// Σ c·q − Σ q.
	VPSUBD Z26, Z0, Z0
	VPSUBD Z26, Z1, Z1
	VPSUBD Z26, Z2, Z2
	VPSUBD Z26, Z3, Z3
	VPSUBD Z27, Z4, Z4
	VPSUBD Z27, Z5, Z5
	VPSUBD Z27, Z6, Z6
	VPSUBD Z27, Z7, Z7
	VPSUBD Z28, Z8, Z8
	VPSUBD Z28, Z9, Z9
	VPSUBD Z28, Z10, Z10
	VPSUBD Z28, Z11, Z11
	VPSUBD Z29, Z12, Z12
	VPSUBD Z29, Z13, Z13
	VPSUBD Z29, Z14, Z14
	VPSUBD Z29, Z15, Z15
	REDUCE16

	// Z1 = weight scales d of rows i in lanes 4i..4i+3.
	MOVWLZX   64(SI), AX
	VMOVD     AX, X1
	VPINSRW   $1, 64(SI)(BX*1), X1, X1
	VPINSRW   $2, 64(R8), X1, X1
	VPINSRW   $3, 64(R8)(BX*1), X1, X1
	VCVTPH2PS X1, X1
	VMOVDQU32 tq2Lane4<>(SB), Z2
	VPERMPS   Z1, Z2, Z1

	// Z3 = activation scales da of tokens j in lanes 4i+j.
	VMOVSS     (R11), X3
	VINSERTPS  $0x10, (R11)(R12*1), X3, X3
	VINSERTPS  $0x20, (R13), X3, X3
	VINSERTPS  $0x30, (R13)(R12*1), X3, X3
	VSHUFF32X4 $0, Z3, Z3, Z3

	VMULPS    Z3, Z1, Z1
	VCVTDQ2PS Z0, Z0
	VMULPS    Z1, Z0, Z0
	VADDPS    Z0, Z31, Z31

	ADDQ $66, SI
	ADDQ $66, R8
	ADDQ $256, DI
	ADDQ $256, R10
	ADDQ $4, R11
	ADDQ $4, R13
	DECQ CX
	JNZ  tileloop

tiledone:
	VMOVUPS Z31, (DX)
	VZEROUPPER
	RET

// R16 accumulates Σ c·q of the block of the row at byte offset off(R8)
// from SI into acc, with the activations in Z20..Z23.
#define R16(acc, off) \
	MOVL            off(R8), AX;       \
	VPXORD          acc, acc, acc;     \
	VBROADCASTI64X4 (SI)(AX*1), Z24;   \
	VPSRLVQ         Z28, Z24, Z25;     \
	VPSRLVQ         Z29, Z24, Z24;     \
	VPANDD          Z30, Z24, Z24;     \
	VPANDD          Z30, Z25, Z25;     \
	VPDPBUSD        Z20, Z24, acc;     \
	VPDPBUSD        Z21, Z25, acc;     \
	VBROADCASTI64X4 32(SI)(AX*1), Z16; \
	VPSRLVQ         Z28, Z16, Z17;     \
	VPSRLVQ         Z29, Z16, Z16;     \
	VPANDD          Z30, Z16, Z16;     \
	VPANDD          Z30, Z17, Z17;     \
	VPDPBUSD        Z22, Z16, acc;     \
	VPDPBUSD        Z23, Z17, acc

// func tq2Rows16VNNI(w *byte, offs *[16]int32, q *int8, da *float32, nblk int, acc *[16]float32)
//
//	for i := range 16 { for b := range nblk {
//		row := w[offs[i]+66b:]
//		var s int32
//		for e := range 256 { s += (code(row, e) − 1) · int32(q[256b+e]) }
//		acc[i] += float32(s) * (da[b] * f16(row[64:66]))
//	} }
//
// Accumulator Z(n) holds row 4(n%4)+n/4, so that REDUCE16 puts row i in
// lane i. The weight scales come in with one VPGATHERDD per block (the
// dword at offset 62 of each block has d in its upper half).
TEXT ·tq2Rows16VNNI(SB), NOSPLIT, $0-48
	MOVQ         w+0(FP), SI
	MOVQ         offs+8(FP), R8
	MOVQ         q+16(FP), DI
	MOVQ         da+24(FP), R11
	MOVQ         nblk+32(FP), CX
	MOVQ         acc+40(FP), DX
	VMOVDQU64    tq2ShiftHi<>(SB), Z28
	VMOVDQU64    tq2ShiftLo<>(SB), Z29
	VPBROADCASTD tq2Mask3<>(SB), Z30
	VPBROADCASTD tq2Ones8<>(SB), Z27
	VMOVDQU32    (R8), Z26
	VMOVUPS      (DX), Z31
	TESTQ        CX, CX
	JZ           r16done

r16loop:
	VMOVDQU64 (DI), Z20
	VMOVDQU64 64(DI), Z21
	VMOVDQU64 128(DI), Z22
	VMOVDQU64 192(DI), Z23
	VPXORD    Z19, Z19, Z19
	VPDPBUSD  Z20, Z27, Z19
	VPDPBUSD  Z21, Z27, Z19
	VPDPBUSD  Z22, Z27, Z19
	VPDPBUSD  Z23, Z27, Z19
	R16(Z0, 0)
	R16(Z1, 16)
	R16(Z2, 32)
	R16(Z3, 48)
	R16(Z4, 4)
	R16(Z5, 20)
	R16(Z6, 36)
	R16(Z7, 52)
	R16(Z8, 8)
	R16(Z9, 24)
	R16(Z10, 40)
	R16(Z11, 56)
	R16(Z12, 12)
	R16(Z13, 28)
	R16(Z14, 44)
	R16(Z15, 60)

	// Z19 = Σ q of the block in every lane.
	VSHUFI64X2 $0x4e, Z19, Z19, Z18
	VPADDD     Z18, Z19, Z19
	VSHUFI64X2 $0xb1, Z19, Z19, Z18
	VPADDD     Z18, Z19, Z19
	VPSHUFD    $0x4e, Z19, Z18
	VPADDD     Z18, Z19, Z19
	VPSHUFD    $0xb1, Z19, Z18
	VPADDD     Z18, Z19, Z19
	REDUCE16
	VPSUBD     Z19, Z0, Z0

	// Z1 = weight scales of the 16 rows (lane i: row i).
	KXNORW      K0, K0, K1
	VPGATHERDD  62(SI)(Z26*1), K1, Z1
	VPSRLD      $16, Z1, Z1
	VPMOVDW     Z1, Y1
	VCVTPH2PS   Y1, Z1
	VMULPS.BCST (R11), Z1, Z1
	VCVTDQ2PS   Z0, Z0
	VMULPS      Z1, Z0, Z0
	VADDPS      Z0, Z31, Z31

	ADDQ $66, SI
	ADDQ $256, DI
	ADDQ $4, R11
	DECQ CX
	JNZ  r16loop

r16done:
	VMOVUPS Z31, (DX)
	VZEROUPPER
	RET

// AVX2: VPSRLW by 0, 2, 4, 6 and a mask give the four code planes of a
// half-block, which pair with 32 consecutive activations each; VPMADDUBSW
// (u8 code × s8 q, pairs within ±768) summed over the 8 planes of a block
// stays within ±6144 in int16, minus Σ q (within ±2048) likewise; VPMADDWD
// by ones widens to int32.

// A2PLANE adds the plane of Y8 shifted right by sh times the activations
// at mem into Y10.
#define A2PLANE(sh, mem) \
	VPSRLW     $sh, Y8, Y9; \
	VPAND      Y13, Y9, Y9; \
	VPMADDUBSW mem, Y9, Y11; \
	VPADDW     Y11, Y10, Y10

// R8A2 sets acc to Σ (c−1)·q over the block of the row at byte offset
// off(R8) from SI, in 8 int32 lanes; Y14 holds the int16 Σ q pairs.
#define R8A2(acc, off) \
	MOVL       off(R8), AX;          \
	VMOVDQU    (SI)(AX*1), Y8;       \
	VPAND      Y13, Y8, Y9;          \
	VPMADDUBSW (DI), Y9, Y10;        \
	A2PLANE(2, 32(DI));              \
	A2PLANE(4, 64(DI));              \
	A2PLANE(6, 96(DI));              \
	VMOVDQU    32(SI)(AX*1), Y8;     \
	VPAND      Y13, Y8, Y9;          \
	VPMADDUBSW 128(DI), Y9, Y11;     \
	VPADDW     Y11, Y10, Y10;        \
	A2PLANE(2, 160(DI));             \
	A2PLANE(4, 192(DI));             \
	A2PLANE(6, 224(DI));             \
	VPSUBW     Y14, Y10, Y10;        \
	VPMADDWD   tq2Ones16<>(SB), Y10, acc

// RED128Y: a = [a.lo+a.hi, b.lo+b.hi] (128-bit halves).
#define RED128Y(a, b, t1, t2) \
	VPERM2I128 $0x20, b, a, t1; \
	VPERM2I128 $0x31, b, a, t2; \
	VPADDD     t2, t1, a

// func tq2Rows8AVX2(w *byte, offs *[8]int32, q *int8, da *float32, nblk int, acc *[8]float32)
//
// tq2Rows16VNNI for 8 rows with AVX2. Accumulator Y(n) holds row
// n/2+4(n%2); the reduction puts row i in lane i.
TEXT ·tq2Rows8AVX2(SB), NOSPLIT, $0-48
	MOVQ         w+0(FP), SI
	MOVQ         offs+8(FP), R8
	MOVQ         q+16(FP), DI
	MOVQ         da+24(FP), R11
	MOVQ         nblk+32(FP), CX
	MOVQ         acc+40(FP), DX
	VPBROADCASTD tq2Mask3<>(SB), Y13
	VMOVUPS      (DX), Y15
	TESTQ        CX, CX
	JZ           r8done

r8loop:
	// Y14 = Σ q in int16 pairs (ones × q over the 8 activation vectors).
	VPBROADCASTD tq2Ones8<>(SB), Y8
	VPMADDUBSW   (DI), Y8, Y14
	VPMADDUBSW   32(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14
	VPMADDUBSW   64(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14
	VPMADDUBSW   96(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14
	VPMADDUBSW   128(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14
	VPMADDUBSW   160(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14
	VPMADDUBSW   192(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14
	VPMADDUBSW   224(DI), Y8, Y9
	VPADDW       Y9, Y14, Y14

	R8A2(Y0, 0)
	R8A2(Y1, 16)
	R8A2(Y2, 4)
	R8A2(Y3, 20)
	R8A2(Y4, 8)
	R8A2(Y5, 24)
	R8A2(Y6, 12)
	R8A2(Y7, 28)

	RED128Y(Y0, Y1, Y8, Y9)
	RED128Y(Y2, Y3, Y10, Y11)
	RED128Y(Y4, Y5, Y8, Y9)
	RED128Y(Y6, Y7, Y10, Y11)
	RED64(Y0, Y2, Y8, Y9)
	RED64(Y4, Y6, Y10, Y11)
	RED32(Y0, Y4, Y8, Y9)

	// Y11 = weight scales of the 8 rows.
	VMOVDQU    (R8), Y9
	VPCMPEQD   Y10, Y10, Y10
	VPXOR      Y11, Y11, Y11
	VPGATHERDD Y10, 62(SI)(Y9*1), Y11
	VPSRLD     $16, Y11, Y11
	VPACKUSDW  Y11, Y11, Y11
	VPERMQ     $0x08, Y11, Y11
	VCVTPH2PS  X11, Y11

	VBROADCASTSS (R11), Y10
	VMULPS       Y10, Y11, Y11
	VCVTDQ2PS    Y0, Y0
	VMULPS       Y11, Y0, Y0
	VADDPS       Y0, Y15, Y15

	ADDQ $66, SI
	ADDQ $256, DI
	ADDQ $4, R11
	DECQ CX
	JNZ  r8loop

r8done:
	VMOVUPS Y15, (DX)
	VZEROUPPER
	RET
