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
// activations q; Σ (c−1)·q = Σ c·q − Σ q.
//
// Exactness: ggml_vec_dot_tq2_0_q8_K computes per block the integer
// S = Σ (c−1)·q and then sum += float32(S)·(da[b]·d), rounding to float32
// after the conversion, each multiplication and each addition, block after
// block. The kernels bring the integer sums of 16 outputs (rows, or row ×
// token pairs) of one block into the 16 int32 lanes of one zmm and then run
// exactly those float32 operations lane by lane (VCVTDQ2PS, VMULPS, VMULPS,
// VADDPS; no FMA), so every lane is bit-identical to dotTQ2Generic.
//
// Speed notes (measured on Zen 5): VPDPBUSD shares its two pipes with every
// instruction that moves data across 128-bit lanes (VSHUFI64X2, VPERMD,
// VBROADCASTI64X4/I32X4 from memory, masked loads), while plain loads,
// VPBROADCASTD, shifts, logic and in-lane shuffles (VPUNPCK*, VSHUFPS) run
// beside it for free. The reductions therefore add within 128-bit lanes
// first and cross lanes only on the last four vectors, and the prefill
// kernel for many tokens avoids reductions altogether (lanes = rows).

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

DATA tq2Mask3<>+0(SB)/4, $0x03030303
GLOBL tq2Mask3<>(SB), RODATA|NOPTR, $4

DATA tq2Ones8<>+0(SB)/4, $0x01010101
GLOBL tq2Ones8<>(SB), RODATA|NOPTR, $4

DATA tq2Ones16<>+0(SB)/8, $0x0001000100010001
DATA tq2Ones16<>+8(SB)/8, $0x0001000100010001
DATA tq2Ones16<>+16(SB)/8, $0x0001000100010001
DATA tq2Ones16<>+24(SB)/8, $0x0001000100010001
GLOBL tq2Ones16<>(SB), RODATA|NOPTR, $32

// Transpose-and-add steps: each combines the int32 lanes of a and b into a,
// halving the lanes that belong to each input vector.
//
// RED64 (in-lane), per 128-bit quarter:
// a = [a.d0+a.d2, a.d1+a.d3, b.d0+b.d2, b.d1+b.d3].
#define RED64(a, b, t1, t2) \
	VPUNPCKLQDQ b, a, t1; \
	VPUNPCKHQDQ b, a, t2; \
	VPADDD      t2, t1, a

// RED32 (in-lane), per quarter: a = [a.d0+a.d1, a.d2+a.d3, b.d0+b.d1, b.d2+b.d3].
#define RED32(a, b, t1, t2) \
	VSHUFPS $0x88, b, a, t1; \
	VSHUFPS $0xdd, b, a, t2; \
	VPADDD  t2, t1, a

// RED128 (across lanes): a = [a.q0+a.q1, a.q2+a.q3, b.q0+b.q1, b.q2+b.q3].
#define RED128(a, b, t1, t2) \
	VSHUFI64X2 $0x88, b, a, t1; \
	VSHUFI64X2 $0xdd, b, a, t2; \
	VPADDD     t2, t1, a

// REDUCE4 leaves in each quarter of a the partial sums of a, b, c, d (one
// lane each, in that order).
#define REDUCE4(a, b, c, d, t1, t2, t3, t4) \
	RED64(a, b, t1, t2); \
	RED64(c, d, t3, t4); \
	RED32(a, c, t1, t2)

// REDUCE16 sets lane i of Z0 to the sum of the 16 lanes of input Zi, for
// the inputs Z0..Z15: 12 in-lane steps, then 3 across lanes. Clobbers
// Z1..Z15 and Z16..Z23.
#define REDUCE16 \
	REDUCE4(Z0, Z1, Z2, Z3, Z16, Z17, Z18, Z19);     \
	REDUCE4(Z4, Z5, Z6, Z7, Z20, Z21, Z22, Z23);     \
	REDUCE4(Z8, Z9, Z10, Z11, Z16, Z17, Z18, Z19);   \
	REDUCE4(Z12, Z13, Z14, Z15, Z20, Z21, Z22, Z23); \
	RED128(Z0, Z4, Z16, Z17);                        \
	RED128(Z8, Z12, Z18, Z19);                       \
	RED128(Z0, Z8, Z16, Z17)

// DEC decodes the half-block at mem into ZA (codes of its elements 0..63)
// and ZB (64..127), with the shift counts in Z26, Z27 and the mask in Z28.
#define DEC(mem, ZT, ZA, ZB) \
	VBROADCASTI64X4 mem, ZT;  \
	VPSRLVQ         Z26, ZT, ZA; \
	VPSRLVQ         Z27, ZT, ZB; \
	VPANDD          Z28, ZA, ZA; \
	VPANDD          Z28, ZB, ZB

#define SHIFTCONSTS \
	VMOVDQU64    tq2ShiftLo<>(SB), Z26; \
	VMOVDQU64    tq2ShiftHi<>(SB), Z27; \
	VPBROADCASTD tq2Mask3<>(SB), Z28

// TTOK multiplies the decoded half-blocks of the four rows (Z16..Z23) by
// the 128 activations of one token at mem0, mem1 into a0..a3 (rows 0..3).
#define TTOK(mem0, mem1, a0, a1, a2, a3) \
	VMOVDQU64 mem0, Z24;    \
	VMOVDQU64 mem1, Z25;    \
	VPDPBUSD  Z24, Z16, a0; \
	VPDPBUSD  Z24, Z18, a1; \
	VPDPBUSD  Z24, Z20, a2; \
	VPDPBUSD  Z24, Z22, a3; \
	VPDPBUSD  Z25, Z17, a0; \
	VPDPBUSD  Z25, Z19, a1; \
	VPDPBUSD  Z25, Z21, a2; \
	VPDPBUSD  Z25, Z23, a3

// func tq2Tile4x4VNNI(w *byte, wstride int, q *int8, qstride int, sc *uint32, nblk int, acc *[16]float32)
//
//	for i := range 4 { for j := range 4 { for b := range nblk {
//		row, x := w[i·wstride+66b:], q[j·qstride+256b:]
//		var s int32
//		for e := range 256 { s += code(row, e) · int32(x[e]) }
//		s −= int32(sc[32b+16+4j])                      // Σ q of the block
//		acc[4j+i] += float32(s) * (f16(row[64:66]) * math.Float32frombits(sc[32b+4j]))
//	} } }
//
// sc holds a 32-word record per block: da of token j in words 4j..4j+3,
// then Σ q of token j in words 16+4j..16+4j+3 (the lane patterns of the
// result). Accumulator Z(4j+i) holds row i × token j; REDUCE16 puts it in
// lane 4j+i.
TEXT ·tq2Tile4x4VNNI(SB), NOSPLIT, $0-56
	MOVQ    w+0(FP), SI
	MOVQ    wstride+8(FP), BX
	MOVQ    q+16(FP), DI
	MOVQ    qstride+24(FP), R9
	MOVQ    sc+32(FP), R11
	MOVQ    nblk+40(FP), CX
	MOVQ    acc+48(FP), DX
	LEAQ    (SI)(BX*2), R8
	LEAQ    (DI)(R9*2), R10
	SHIFTCONSTS
	VMOVUPS (DX), Z29
	TESTQ   CX, CX
	JZ      tiledone

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

	// Elements 0..127, then 128..255.
	DEC((SI), Z30, Z16, Z17)
	DEC((SI)(BX*1), Z31, Z18, Z19)
	DEC((R8), Z30, Z20, Z21)
	DEC((R8)(BX*1), Z31, Z22, Z23)
	TTOK((DI), 64(DI), Z0, Z1, Z2, Z3)
	TTOK((DI)(R9*1), 64(DI)(R9*1), Z4, Z5, Z6, Z7)
	TTOK((R10), 64(R10), Z8, Z9, Z10, Z11)
	TTOK((R10)(R9*1), 64(R10)(R9*1), Z12, Z13, Z14, Z15)
	DEC(32(SI), Z30, Z16, Z17)
	DEC(32(SI)(BX*1), Z31, Z18, Z19)
	DEC(32(R8), Z30, Z20, Z21)
	DEC(32(R8)(BX*1), Z31, Z22, Z23)
	TTOK(128(DI), 192(DI), Z0, Z1, Z2, Z3)
	TTOK(128(DI)(R9*1), 192(DI)(R9*1), Z4, Z5, Z6, Z7)
	TTOK(128(R10), 192(R10), Z8, Z9, Z10, Z11)
	TTOK(128(R10)(R9*1), 192(R10)(R9*1), Z12, Z13, Z14, Z15)
	REDUCE16

	// Z1 = the weight scales d of rows 0..3 in the lanes of every quarter.
	MOVWLZX    64(SI), AX
	VMOVD      AX, X1
	VPINSRW    $1, 64(SI)(BX*1), X1, X1
	VPINSRW    $2, 64(R8), X1, X1
	VPINSRW    $3, 64(R8)(BX*1), X1, X1
	VCVTPH2PS  X1, X1
	VSHUFF32X4 $0, Z1, Z1, Z1

	VMULPS    (R11), Z1, Z1
	VPSUBD    64(R11), Z0, Z0
	VCVTDQ2PS Z0, Z0
	VMULPS    Z1, Z0, Z0
	VADDPS    Z0, Z29, Z29

	ADDQ $66, SI
	ADDQ $66, R8
	ADDQ $256, DI
	ADDQ $256, R10
	ADDQ $128, R11
	DECQ CX
	JNZ  tileloop

tiledone:
	VMOVUPS Z29, (DX)
	VZEROUPPER
	RET

// QS16 adds Σ q of the block at DI into acc and moves to the next block,
// leaving for the reduction after the last one.
#define QS16(acc) \
	VPDPBUSD (DI), Z30, acc;    \
	VPDPBUSD 64(DI), Z30, acc;  \
	VPDPBUSD 128(DI), Z30, acc; \
	VPDPBUSD 192(DI), Z30, acc; \
	ADDQ     $256, DI;          \
	DECQ     CX;                \
	JZ       qsreduce

// func tq2QSums16VNNI(q *int8, n int, out *[16]int32)
//
//	for b := range 16 { out[b] = 0; if b < n { for e := range 256 { out[b] += int32(q[256b+e]) } } }
//
// 1 <= n <= 16; block b goes to accumulator Zb.
TEXT ·tq2QSums16VNNI(SB), NOSPLIT, $0-24
	MOVQ         q+0(FP), DI
	MOVQ         n+8(FP), CX
	MOVQ         out+16(FP), DX
	VPBROADCASTD tq2Ones8<>(SB), Z30
	VPXORD       Z0, Z0, Z0
	VPXORD       Z1, Z1, Z1
	VPXORD       Z2, Z2, Z2
	VPXORD       Z3, Z3, Z3
	VPXORD       Z4, Z4, Z4
	VPXORD       Z5, Z5, Z5
	VPXORD       Z6, Z6, Z6
	VPXORD       Z7, Z7, Z7
	VPXORD       Z8, Z8, Z8
	VPXORD       Z9, Z9, Z9
	VPXORD       Z10, Z10, Z10
	VPXORD       Z11, Z11, Z11
	VPXORD       Z12, Z12, Z12
	VPXORD       Z13, Z13, Z13
	VPXORD       Z14, Z14, Z14
	VPXORD       Z15, Z15, Z15
	TESTQ        CX, CX
	JLE          qsreduce
	QS16(Z0)
	QS16(Z1)
	QS16(Z2)
	QS16(Z3)
	QS16(Z4)
	QS16(Z5)
	QS16(Z6)
	QS16(Z7)
	QS16(Z8)
	QS16(Z9)
	QS16(Z10)
	QS16(Z11)
	QS16(Z12)
	QS16(Z13)
	QS16(Z14)
	QS16(Z15)

qsreduce:
	REDUCE16
	VMOVDQU32 Z0, (DX)
	VZEROUPPER
	RET

// R16 accumulates Σ c·q of the block of the row at byte offset off(R8)
// from SI into acc, with the activations in Z20..Z23. It prefetches the
// same block of the row next bytes further (R13 = SI + next: the next
// group of rows), which matters when the rows stream from DRAM: without a
// prefetch the 16 interleaved row streams reach 10 GB/s on one core
// instead of 17.
#define R16(acc, off) \
	MOVL       off(R8), AX;             \
	PREFETCHT0 (R13)(AX*1);             \
	VPXORD     acc, acc, acc;           \
	DEC((SI)(AX*1), Z24, Z16, Z17);     \
	VPDPBUSD Z20, Z16, acc;             \
	VPDPBUSD Z21, Z17, acc;             \
	DEC(32(SI)(AX*1), Z25, Z18, Z19);   \
	VPDPBUSD Z22, Z18, acc;             \
	VPDPBUSD Z23, Z19, acc

// func tq2Rows16VNNI(w *byte, offs *[16]int32, q *int8, da *float32, qsum *int32, nblk int, acc *[16]float32, next int)
//
//	for i := range 16 { for b := range nblk {
//		row := w[offs[i]+66b:]
//		var s int32
//		for e := range 256 { s += code(row, e) · int32(q[256b+e]) }
//		s −= qsum[b]                                   // Σ q of the block
//		acc[i] += float32(s) * (f16(row[64:66]) * da[b])
//	} }
//
// Accumulator Zi holds row i. The weight scales come in with one
// VPGATHERDD per block (the dword at offset 62 of each block has d in its
// upper half).
TEXT ·tq2Rows16VNNI(SB), NOSPLIT, $0-64
	MOVQ      w+0(FP), SI
	MOVQ      offs+8(FP), R8
	MOVQ      q+16(FP), DI
	MOVQ      da+24(FP), R11
	MOVQ      qsum+32(FP), R12
	MOVQ      nblk+40(FP), CX
	MOVQ      acc+48(FP), DX
	MOVQ      next+56(FP), R13
	ADDQ      SI, R13
	SHIFTCONSTS
	VMOVDQU32 (R8), Z30
	VMOVUPS   (DX), Z31
	TESTQ     CX, CX
	JZ        r16done

r16loop:
	VMOVDQU64 (DI), Z20
	VMOVDQU64 64(DI), Z21
	VMOVDQU64 128(DI), Z22
	VMOVDQU64 192(DI), Z23
	R16(Z0, 0)
	R16(Z1, 4)
	R16(Z2, 8)
	R16(Z3, 12)
	R16(Z4, 16)
	R16(Z5, 20)
	R16(Z6, 24)
	R16(Z7, 28)
	R16(Z8, 32)
	R16(Z9, 36)
	R16(Z10, 40)
	R16(Z11, 44)
	R16(Z12, 48)
	R16(Z13, 52)
	R16(Z14, 56)
	R16(Z15, 60)
	REDUCE16
	VPBROADCASTD (R12), Z1
	VPSUBD       Z1, Z0, Z0

	// Z1 = weight scales of the 16 rows (lane i: row i).
	KXNORW      K0, K0, K1
	VPGATHERDD  62(SI)(Z30*1), K1, Z1
	VPSRLD      $16, Z1, Z1
	VPMOVDW     Z1, Y1
	VCVTPH2PS   Y1, Z1
	VMULPS.BCST (R11), Z1, Z1
	VCVTDQ2PS   Z0, Z0
	VMULPS      Z1, Z0, Z0
	VADDPS      Z0, Z31, Z31

	ADDQ $66, SI
	ADDQ $66, R13
	ADDQ $256, DI
	ADDQ $4, R11
	ADDQ $4, R12
	DECQ CX
	JNZ  r16loop

r16done:
	VMOVUPS Z31, (DX)
	VZEROUPPER
	RET

// AVX2: VPSRLW by 0, 2, 4, 6 and a mask give the four code planes of a
// half-block, which pair with 32 consecutive activations each; VPMADDUBSW
// (u8 code × s8 q, pairs within ±768) summed over the 8 planes of a block
// stays within ±6144 in int16; VPMADDWD by ones widens to int32.

// A2PLANE adds the plane of Y8 shifted right by sh times the activations
// at mem into Y10.
#define A2PLANE(sh, mem) \
	VPSRLW     $sh, Y8, Y9;  \
	VPAND      Y13, Y9, Y9;  \
	VPMADDUBSW mem, Y9, Y11; \
	VPADDW     Y11, Y10, Y10

// R8A2 sets acc to Σ c·q over the block of the row at byte offset off(R8)
// from SI, in 8 int32 lanes.
#define R8A2(acc, off) \
	MOVL       off(R8), AX;      \
	PREFETCHT0 (R13)(AX*1);      \
	VMOVDQU    (SI)(AX*1), Y8;   \
	VPAND      Y13, Y8, Y9;      \
	VPMADDUBSW (DI), Y9, Y10;    \
	A2PLANE(2, 32(DI));          \
	A2PLANE(4, 64(DI));          \
	A2PLANE(6, 96(DI));          \
	VMOVDQU    32(SI)(AX*1), Y8; \
	VPAND      Y13, Y8, Y9;      \
	VPMADDUBSW 128(DI), Y9, Y11; \
	VPADDW     Y11, Y10, Y10;    \
	A2PLANE(2, 160(DI));         \
	A2PLANE(4, 192(DI));         \
	A2PLANE(6, 224(DI));         \
	VPMADDWD   tq2Ones16<>(SB), Y10, acc

// RED128Y (across lanes): a = [a.lo+a.hi, b.lo+b.hi] (128-bit halves).
#define RED128Y(a, b, t1, t2) \
	VPERM2I128 $0x20, b, a, t1; \
	VPERM2I128 $0x31, b, a, t2; \
	VPADDD     t2, t1, a

// func tq2Rows8AVX2(w *byte, offs *[8]int32, q *int8, da *float32, qsum *int32, nblk int, acc *[8]float32, next int)
//
// tq2Rows16VNNI for 8 rows with AVX2. Accumulator Yi holds row i.
TEXT ·tq2Rows8AVX2(SB), NOSPLIT, $0-64
	MOVQ         w+0(FP), SI
	MOVQ         offs+8(FP), R8
	MOVQ         q+16(FP), DI
	MOVQ         da+24(FP), R11
	MOVQ         qsum+32(FP), R12
	MOVQ         nblk+40(FP), CX
	MOVQ         acc+48(FP), DX
	MOVQ         next+56(FP), R13
	ADDQ         SI, R13
	VPBROADCASTD tq2Mask3<>(SB), Y13
	VMOVUPS      (DX), Y15
	TESTQ        CX, CX
	JZ           r8done

r8loop:
	R8A2(Y0, 0)
	R8A2(Y1, 4)
	R8A2(Y2, 8)
	R8A2(Y3, 12)
	R8A2(Y4, 16)
	R8A2(Y5, 20)
	R8A2(Y6, 24)
	R8A2(Y7, 28)

	REDUCE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	REDUCE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	RED128Y(Y0, Y4, Y8, Y9)
	VPBROADCASTD (R12), Y8
	VPSUBD       Y8, Y0, Y0

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
	ADDQ $66, R13
	ADDQ $256, DI
	ADDQ $4, R11
	ADDQ $4, R12
	DECQ CX
	JNZ  r8loop

r8done:
	VMOVUPS Y15, (DX)
	VZEROUPPER
	RET

// Prefill with many tokens: lanes = rows. tq2Prep32VNNI decodes the
// blocks of 32 rows once into code vectors whose dword lane i holds 4
// consecutive codes of row i (a 16×16 dword transpose of the qs of 16 rows,
// then the four 2-bit planes); tq2Lanes32x8VNNI multiplies each pair of
// code vectors (rows 0..15 and 16..31) by 4 activation bytes of a token
// broadcast to all lanes (VPBROADCASTD from memory, which runs beside
// VPDPBUSD for free), so an accumulator holds the block sums of 16 rows for
// one token and needs no reduction, and a broadcast serves two VPDPBUSD.
// The decoding is shared by every token of the call.

// TR32 / TR64: in-lane interleaves of the 16×16 transpose.
#define TR32(a, b, lo, hi) \
	VPUNPCKLDQ b, a, lo; \
	VPUNPCKHDQ b, a, hi

#define TR64(a, b, lo, hi) \
	VPUNPCKLQDQ b, a, lo; \
	VPUNPCKHQDQ b, a, hi

// TRQ transposes the 128-bit quarters of A, B, C, D into o0..o3 (o_L
// quarter g = input g quarter L), using Z28..Z31 as temporaries.
#define TRQ(A, B, C, D, o0, o1, o2, o3) \
	VSHUFI64X2 $0x44, B, A, Z28;    \
	VSHUFI64X2 $0xee, B, A, Z29;    \
	VSHUFI64X2 $0x44, D, C, Z30;    \
	VSHUFI64X2 $0xee, D, C, Z31;    \
	VSHUFI64X2 $0x88, Z30, Z28, o0; \
	VSHUFI64X2 $0xdd, Z30, Z28, o1; \
	VSHUFI64X2 $0x88, Z31, Z29, o2; \
	VSHUFI64X2 $0xdd, Z31, Z29, o3

// PLANES stores the four code planes of the transposed raw dword vector R
// (raw dword d = 8h+m of every row) as code vectors v = 32h+8j+m, j < 4,
// at off+1024j from DI (off = 128·(32h+m), plus 64 for rows 16..31).
#define PLANES(R, off) \
	VPANDD    Z26, R, Z27;       \
	VMOVDQU64 Z27, off(DI);      \
	VPSRLW    $2, R, Z27;        \
	VPANDD    Z26, Z27, Z27;     \
	VMOVDQU64 Z27, off+1024(DI); \
	VPSRLW    $4, R, Z27;        \
	VPANDD    Z26, Z27, Z27;     \
	VMOVDQU64 Z27, off+2048(DI); \
	VPSRLW    $6, R, Z27;        \
	VPANDD    Z26, Z27, Z27;     \
	VMOVDQU64 Z27, off+3072(DI)

// PREP16 decodes the block of the 16 rows at A+{0,1,2,3}·BX (R9 = 3·BX),
// A in {SI, R8, R10, R12} being rows 0, 4, 8, 12, storing the code vectors
// at DI+o (o = 0 or 64) and the weight scales at DI+8192+o. It prefetches
// the same block of the next chunk (2 blocks on), which the next call for
// these rows decodes: without it the decoding waits for DRAM.
#define PREP16(A0, A1, A2, A3, o) \
	PREFETCHT0 132(A0);          \
	PREFETCHT0 132(A0)(BX*1);    \
	PREFETCHT0 132(A0)(BX*2);    \
	PREFETCHT0 132(A0)(R9*1);    \
	PREFETCHT0 132(A1);          \
	PREFETCHT0 132(A1)(BX*1);    \
	PREFETCHT0 132(A1)(BX*2);    \
	PREFETCHT0 132(A1)(R9*1);    \
	PREFETCHT0 132(A2);          \
	PREFETCHT0 132(A2)(BX*1);    \
	PREFETCHT0 132(A2)(BX*2);    \
	PREFETCHT0 132(A2)(R9*1);    \
	PREFETCHT0 132(A3);          \
	PREFETCHT0 132(A3)(BX*1);    \
	PREFETCHT0 132(A3)(BX*2);    \
	PREFETCHT0 132(A3)(R9*1);    \
	PREFETCHT0 197(A0);          \
	PREFETCHT0 197(A0)(BX*1);    \
	PREFETCHT0 197(A0)(BX*2);    \
	PREFETCHT0 197(A0)(R9*1);    \
	PREFETCHT0 197(A1);          \
	PREFETCHT0 197(A1)(BX*1);    \
	PREFETCHT0 197(A1)(BX*2);    \
	PREFETCHT0 197(A1)(R9*1);    \
	PREFETCHT0 197(A2);          \
	PREFETCHT0 197(A2)(BX*1);    \
	PREFETCHT0 197(A2)(BX*2);    \
	PREFETCHT0 197(A2)(R9*1);    \
	PREFETCHT0 197(A3);          \
	PREFETCHT0 197(A3)(BX*1);    \
	PREFETCHT0 197(A3)(BX*2);    \
	PREFETCHT0 197(A3)(R9*1);    \
	VMOVDQU64 (A0), Z0;          \
	VMOVDQU64 (A0)(BX*1), Z1;    \
	VMOVDQU64 (A0)(BX*2), Z2;    \
	VMOVDQU64 (A0)(R9*1), Z3;    \
	VMOVDQU64 (A1), Z4;          \
	VMOVDQU64 (A1)(BX*1), Z5;    \
	VMOVDQU64 (A1)(BX*2), Z6;    \
	VMOVDQU64 (A1)(R9*1), Z7;    \
	VMOVDQU64 (A2), Z8;          \
	VMOVDQU64 (A2)(BX*1), Z9;    \
	VMOVDQU64 (A2)(BX*2), Z10;   \
	VMOVDQU64 (A2)(R9*1), Z11;   \
	VMOVDQU64 (A3), Z12;         \
	VMOVDQU64 (A3)(BX*1), Z13;   \
	VMOVDQU64 (A3)(BX*2), Z14;   \
	VMOVDQU64 (A3)(R9*1), Z15;   \
	TR32(Z0, Z1, Z16, Z17);      \
	TR32(Z2, Z3, Z18, Z19);      \
	TR64(Z16, Z18, Z0, Z1);      \
	TR64(Z17, Z19, Z2, Z3);      \
	TR32(Z4, Z5, Z16, Z17);      \
	TR32(Z6, Z7, Z18, Z19);      \
	TR64(Z16, Z18, Z4, Z5);      \
	TR64(Z17, Z19, Z6, Z7);      \
	TR32(Z8, Z9, Z16, Z17);      \
	TR32(Z10, Z11, Z18, Z19);    \
	TR64(Z16, Z18, Z8, Z9);      \
	TR64(Z17, Z19, Z10, Z11);    \
	TR32(Z12, Z13, Z16, Z17);    \
	TR32(Z14, Z15, Z18, Z19);    \
	TR64(Z16, Z18, Z12, Z13);    \
	TR64(Z17, Z19, Z14, Z15);    \
	TRQ(Z0, Z4, Z8, Z12, Z16, Z20, Z24, Z0);  \
	TRQ(Z1, Z5, Z9, Z13, Z17, Z21, Z25, Z1);  \
	TRQ(Z2, Z6, Z10, Z14, Z18, Z22, Z4, Z2);  \
	TRQ(Z3, Z7, Z11, Z15, Z19, Z23, Z5, Z3);  \
	PLANES(Z16, o);              \
	PLANES(Z17, o+128);          \
	PLANES(Z18, o+256);          \
	PLANES(Z19, o+384);          \
	PLANES(Z20, o+512);          \
	PLANES(Z21, o+640);          \
	PLANES(Z22, o+768);          \
	PLANES(Z23, o+896);          \
	PLANES(Z24, o+4096);         \
	PLANES(Z25, o+4224);         \
	PLANES(Z4, o+4352);          \
	PLANES(Z5, o+4480);          \
	PLANES(Z0, o+4608);          \
	PLANES(Z1, o+4736);          \
	PLANES(Z2, o+4864);          \
	PLANES(Z3, o+4992);          \
	VPBROADCASTD BX, Z28;              \
	VPMULLD      tq2Iota<>(SB), Z28, Z28; \
	KXNORW     K0, K0, K1;       \
	VPGATHERDD 62(A0)(Z28*1), K1, Z29; \
	VPSRLD     $16, Z29, Z29;    \
	VPMOVDW    Z29, Y29;         \
	VCVTPH2PS  Y29, Z29;         \
	VMOVUPS    Z29, 8192+o(DI)

// func tq2Prep32VNNI(w *byte, rb int, nblk int, codes *byte)
//
//	for b := range nblk {
//		c := codes[8320b:]
//		for i := range 32 { row := w[i·rb+66b:]
//			for e := range 256 { c[128(e/4)+64(i/16)+4(i%16)+e%4] = code(row, e) }
//			*(*float32)(c[8192+64(i/16)+4(i%16):]) = f16(row[64:66])
//		}
//	}
TEXT ·tq2Prep32VNNI(SB), NOSPLIT, $0-32
	MOVQ  w+0(FP), SI
	MOVQ  rb+8(FP), BX
	MOVQ  nblk+16(FP), CX
	MOVQ  codes+24(FP), DI
	LEAQ  (BX)(BX*2), R9
	LEAQ  (SI)(BX*4), R8
	LEAQ  (R8)(BX*4), R10
	LEAQ  (R10)(BX*4), R12
	LEAQ  (R12)(BX*4), R13
	TESTQ CX, CX
	JZ    prepdone

preploop:
	VPBROADCASTD tq2Mask3<>(SB), Z26
	PREP16(SI, R8, R10, R12, 0)
	VPBROADCASTD tq2Mask3<>(SB), Z26
	// Rows 16..31 start at R13 = SI + 16·BX: rebase the four pointers.
	LEAQ         (R13)(BX*4), AX
	LEAQ         (AX)(BX*4), DX
	LEAQ         (DX)(BX*4), R11
	PREP16(R13, AX, DX, R11, 64)

	ADDQ $66, SI
	ADDQ $66, R8
	ADDQ $66, R10
	ADDQ $66, R12
	ADDQ $66, R13
	ADDQ $8320, DI
	DECQ CX
	JNZ  preploop

prepdone:
	VZEROUPPER
	RET

// L32 multiplies the code vectors v (at off = 128v from SI: rows 0..15,
// then 16..31) by 4 activation bytes (at a = 4v) of each of the 8 tokens
// into Z0..Z7 and Z8..Z15.
#define L32(off, a) \
	VMOVDQU64    off(SI), Z16;      \
	VMOVDQU64    off+64(SI), Z17;   \
	VPBROADCASTD a(DI), Z18;        \
	VPBROADCASTD a(DI)(R9*1), Z19;  \
	VPBROADCASTD a(DI)(R9*2), Z20;  \
	VPBROADCASTD a(R10), Z21;       \
	VPBROADCASTD a(DI)(R9*4), Z22;  \
	VPBROADCASTD a(R10)(R9*2), Z23; \
	VPBROADCASTD a(R12), Z24;       \
	VPBROADCASTD a(R10)(R9*4), Z25; \
	VPDPBUSD     Z18, Z16, Z0;      \
	VPDPBUSD     Z18, Z17, Z8;      \
	VPDPBUSD     Z19, Z16, Z1;      \
	VPDPBUSD     Z19, Z17, Z9;      \
	VPDPBUSD     Z20, Z16, Z2;      \
	VPDPBUSD     Z20, Z17, Z10;     \
	VPDPBUSD     Z21, Z16, Z3;      \
	VPDPBUSD     Z21, Z17, Z11;     \
	VPDPBUSD     Z22, Z16, Z4;      \
	VPDPBUSD     Z22, Z17, Z12;     \
	VPDPBUSD     Z23, Z16, Z5;      \
	VPDPBUSD     Z23, Z17, Z13;     \
	VPDPBUSD     Z24, Z16, Z6;      \
	VPDPBUSD     Z24, Z17, Z14;     \
	VPDPBUSD     Z25, Z16, Z7;      \
	VPDPBUSD     Z25, Z17, Z15

// LFIN finishes token j's block sums in acc (16 rows with the weight
// scales in dw): subtract Σ q, scale by d·da and add to the 16 outputs at
// mem.
#define LFIN(acc, j, dw, mem) \
	VPSUBD.BCST 4+8*j(R11), acc, acc; \
	VCVTDQ2PS   acc, acc;             \
	VMULPS.BCST 8*j(R11), dw, Z28;    \
	VMULPS      Z28, acc, acc;        \
	VADDPS      mem, acc, acc;        \
	VMOVUPS     acc, mem

// func tq2Lanes32x8VNNI(codes *byte, q *int8, qstride int, rec *uint32, recstride int, nblk int, out *float32, ldo int)
//
//	for b := range nblk { for j := range 8 {
//		c, x, r := codes[8320b:], q[j·qstride+256b:], rec[b·recstride/4+2j:]
//		for i := range 32 {
//			var s int32
//			for e := range 256 { s += int32(c[128(e/4)+64(i/16)+4(i%16)+e%4]) · int32(x[e]) }
//			s −= int32(r[1])                                // Σ q
//			d := *(*float32)(c[8192+64(i/16)+4(i%16):])
//			out[j·ldo+i] += float32(s) * (d * math.Float32frombits(r[0]))
//	} } }
TEXT ·tq2Lanes32x8VNNI(SB), NOSPLIT, $0-64
	MOVQ  codes+0(FP), SI
	MOVQ  q+8(FP), DI
	MOVQ  qstride+16(FP), R9
	MOVQ  rec+24(FP), R11
	MOVQ  nblk+40(FP), CX
	MOVQ  out+48(FP), DX
	MOVQ  ldo+56(FP), R13
	SHLQ  $2, R13
	LEAQ  (R9)(R9*2), R10
	LEAQ  (DI)(R10*2), R12
	ADDQ  DI, R10
	LEAQ  (R13)(R13*2), R8
	LEAQ  (DX)(R8*2), BX
	ADDQ  DX, R8
	TESTQ CX, CX
	JZ    lanesdone

lanesloop:
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
	MOVQ   $16, AX

lanesinner:
	L32(0, 0)
	L32(128, 4)
	L32(256, 8)
	L32(384, 12)
	ADDQ $512, SI
	ADDQ $16, DI
	ADDQ $16, R10
	ADDQ $16, R12
	DECQ AX
	JNZ  lanesinner

	// SI is at the weight scales; DI, R10, R12 at the next block.
	VMOVUPS (SI), Z26
	VMOVUPS 64(SI), Z27
	LFIN(Z0, 0, Z26, (DX))
	LFIN(Z1, 1, Z26, (DX)(R13*1))
	LFIN(Z2, 2, Z26, (DX)(R13*2))
	LFIN(Z3, 3, Z26, (R8))
	LFIN(Z4, 4, Z26, (DX)(R13*4))
	LFIN(Z5, 5, Z26, (R8)(R13*2))
	LFIN(Z6, 6, Z26, (BX))
	LFIN(Z7, 7, Z26, (R8)(R13*4))
	LFIN(Z8, 0, Z27, 64(DX))
	LFIN(Z9, 1, Z27, 64(DX)(R13*1))
	LFIN(Z10, 2, Z27, 64(DX)(R13*2))
	LFIN(Z11, 3, Z27, 64(R8))
	LFIN(Z12, 4, Z27, 64(DX)(R13*4))
	LFIN(Z13, 5, Z27, 64(R8)(R13*2))
	LFIN(Z14, 6, Z27, 64(BX))
	LFIN(Z15, 7, Z27, 64(R8)(R13*4))
	ADDQ $128, SI
	ADDQ recstride+32(FP), R11
	DECQ CX
	JNZ  lanesloop

lanesdone:
	VZEROUPPER
	RET

DATA tq2Iota<>+0(SB)/8, $0x0000000100000000
DATA tq2Iota<>+8(SB)/8, $0x0000000300000002
DATA tq2Iota<>+16(SB)/8, $0x0000000500000004
DATA tq2Iota<>+24(SB)/8, $0x0000000700000006
DATA tq2Iota<>+32(SB)/8, $0x0000000900000008
DATA tq2Iota<>+40(SB)/8, $0x0000000b0000000a
DATA tq2Iota<>+48(SB)/8, $0x0000000d0000000c
DATA tq2Iota<>+56(SB)/8, $0x0000000f0000000e
GLOBL tq2Iota<>(SB), RODATA|NOPTR, $64

// AVX2 lanes path: 16 rows per block of codes (vector v: rows 0..7 then
// 8..15 as two ymm; the weight scales at 4096), 4 tokens per pass.
// VPMADDUBSW leaves pair sums in int16, which are added in int16 for half a
// block (32 vectors: within ±24576) and widened by VPMADDWD at each half.

// TR8 transposes the dwords of Y0..Y7 (rows a..h) into Y8..Y15 (Y8+d:
// dword d of the 8 rows).
#define TR8 \
	VPUNPCKLDQ  Y1, Y0, Y8;   \
	VPUNPCKHDQ  Y1, Y0, Y9;   \
	VPUNPCKLDQ  Y3, Y2, Y10;  \
	VPUNPCKHDQ  Y3, Y2, Y11;  \
	VPUNPCKLDQ  Y5, Y4, Y12;  \
	VPUNPCKHDQ  Y5, Y4, Y13;  \
	VPUNPCKLDQ  Y7, Y6, Y14;  \
	VPUNPCKHDQ  Y7, Y6, Y15;  \
	VPUNPCKLQDQ Y10, Y8, Y0;  \
	VPUNPCKHQDQ Y10, Y8, Y1;  \
	VPUNPCKLQDQ Y11, Y9, Y2;  \
	VPUNPCKHQDQ Y11, Y9, Y3;  \
	VPUNPCKLQDQ Y14, Y12, Y4; \
	VPUNPCKHQDQ Y14, Y12, Y5; \
	VPUNPCKLQDQ Y15, Y13, Y6; \
	VPUNPCKHQDQ Y15, Y13, Y7; \
	VPERM2I128  $0x20, Y4, Y0, Y8;  \
	VPERM2I128  $0x31, Y4, Y0, Y12; \
	VPERM2I128  $0x20, Y5, Y1, Y9;  \
	VPERM2I128  $0x31, Y5, Y1, Y13; \
	VPERM2I128  $0x20, Y6, Y2, Y10; \
	VPERM2I128  $0x31, Y6, Y2, Y14; \
	VPERM2I128  $0x20, Y7, Y3, Y11; \
	VPERM2I128  $0x31, Y7, Y3, Y15

// PLANESY stores the four code planes of the transposed raw dwords R at
// off, off+512, off+1024, off+1536 from DI (Y0 temporary).
#define PLANESY(R, off) \
	VPAND   tq2Mask3x32<>(SB), R, Y0; \
	VMOVDQU Y0, off(DI);              \
	VPSRLW  $2, R, Y0;                \
	VPAND   tq2Mask3x32<>(SB), Y0, Y0; \
	VMOVDQU Y0, off+512(DI);          \
	VPSRLW  $4, R, Y0;                \
	VPAND   tq2Mask3x32<>(SB), Y0, Y0; \
	VMOVDQU Y0, off+1024(DI);         \
	VPSRLW  $6, R, Y0;                \
	VPAND   tq2Mask3x32<>(SB), Y0, Y0; \
	VMOVDQU Y0, off+1536(DI)

// PREP8 decodes half h (byte offset hb = 32h) of the block of the 8 rows
// at A+{0,1,2,3}·BX and B+{0,1,2,3}·BX (R9 = 3·BX) into the code vectors
// at DI+o (o = 2048h, plus 32 for rows 8..15), prefetching the same bytes
// of the next chunk (4 blocks on).
#define PREP8(A, B, hb, o) \
	PREFETCHT0 264+hb(A);       \
	PREFETCHT0 264+hb(A)(BX*1); \
	PREFETCHT0 264+hb(A)(BX*2); \
	PREFETCHT0 264+hb(A)(R9*1); \
	PREFETCHT0 264+hb(B);       \
	PREFETCHT0 264+hb(B)(BX*1); \
	PREFETCHT0 264+hb(B)(BX*2); \
	PREFETCHT0 264+hb(B)(R9*1); \
	VMOVDQU hb(A), Y0;          \
	VMOVDQU hb(A)(BX*1), Y1;    \
	VMOVDQU hb(A)(BX*2), Y2;    \
	VMOVDQU hb(A)(R9*1), Y3;    \
	VMOVDQU hb(B), Y4;          \
	VMOVDQU hb(B)(BX*1), Y5;    \
	VMOVDQU hb(B)(BX*2), Y6;    \
	VMOVDQU hb(B)(R9*1), Y7;    \
	TR8;                        \
	PLANESY(Y8, o);             \
	PLANESY(Y9, o+64);          \
	PLANESY(Y10, o+128);        \
	PLANESY(Y11, o+192);        \
	PLANESY(Y12, o+256);        \
	PLANESY(Y13, o+320);        \
	PLANESY(Y14, o+384);        \
	PLANESY(Y15, o+448)

// DW8 stores the weight scales of the 8 rows at A+i·BX at off(DI).
#define DW8(A, off) \
	VMOVD        BX, X1;                  \
	VPBROADCASTD X1, Y1;                  \
	VPMULLD      tq2Iota<>(SB), Y1, Y1;   \
	VPCMPEQD     Y2, Y2, Y2;              \
	VPXOR        Y3, Y3, Y3;              \
	VPGATHERDD   Y2, 62(A)(Y1*1), Y3;     \
	VPSRLD       $16, Y3, Y3;             \
	VPACKUSDW    Y3, Y3, Y3;              \
	VPERMQ       $0x08, Y3, Y3;           \
	VCVTPH2PS    X3, Y3;                  \
	VMOVUPS      Y3, off(DI)

// func tq2Prep16AVX2(w *byte, rb int, nblk int, codes *byte)
//
//	for b := range nblk {
//		c := codes[4160b:]
//		for i := range 16 { row := w[i·rb+66b:]
//			for e := range 256 { c[64(e/4)+32(i/8)+4(i%8)+e%4] = code(row, e) }
//			*(*float32)(c[4096+4i:]) = f16(row[64:66])
//		}
//	}
TEXT ·tq2Prep16AVX2(SB), NOSPLIT, $0-32
	MOVQ  w+0(FP), SI
	MOVQ  rb+8(FP), BX
	MOVQ  nblk+16(FP), CX
	MOVQ  codes+24(FP), DI
	LEAQ  (BX)(BX*2), R9
	LEAQ  (SI)(BX*4), R8
	LEAQ  (R8)(BX*4), R10
	LEAQ  (R10)(BX*4), R12
	TESTQ CX, CX
	JZ    prepydone

prepyloop:
	PREP8(SI, R8, 0, 0)
	PREP8(SI, R8, 32, 2048)
	PREP8(R10, R12, 0, 32)
	PREP8(R10, R12, 32, 2080)
	DW8(SI, 4096)
	DW8(R10, 4128)
	ADDQ $66, SI
	ADDQ $66, R8
	ADDQ $66, R10
	ADDQ $66, R12
	ADDQ $4160, DI
	DECQ CX
	JNZ  prepyloop

prepydone:
	VZEROUPPER
	RET

// LY4 multiplies code vector v (at off = 64v from SI: rows 0..7 and
// 8..15) by 4 activation bytes (at a = 4v) of each of the 4 tokens,
// adding the int16 pair sums into Y0..Y7 (Y(2j) rows 0..7 of token j).
#define LY4T(a, mem, acc0, acc1) \
	VPBROADCASTD mem, Y10;         \
	VPMADDUBSW   Y10, Y8, Y11;     \
	VPADDW       Y11, acc0, acc0;  \
	VPMADDUBSW   Y10, Y9, Y12;     \
	VPADDW       Y12, acc1, acc1

#define LY4(off, a) \
	VMOVDQU off(SI), Y8;              \
	VMOVDQU off+32(SI), Y9;           \
	LY4T(a, a(DI), Y0, Y1);           \
	LY4T(a, a(DI)(R9*1), Y2, Y3);     \
	LY4T(a, a(DI)(R9*2), Y4, Y5);     \
	LY4T(a, a(R10), Y6, Y7)

// LY4X8 runs LY4 for 8 code vectors starting at v.
#define LY4X8(v) \
	LY4(64*v, 4*v);         \
	LY4(64*v+64, 4*v+4);    \
	LY4(64*v+128, 4*v+8);   \
	LY4(64*v+192, 4*v+12);  \
	LY4(64*v+256, 4*v+16);  \
	LY4(64*v+320, 4*v+20);  \
	LY4(64*v+384, 4*v+24);  \
	LY4(64*v+448, 4*v+28)

#define ZERO8Y \
	VPXOR Y0, Y0, Y0; \
	VPXOR Y1, Y1, Y1; \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y3, Y3, Y3; \
	VPXOR Y4, Y4, Y4; \
	VPXOR Y5, Y5, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPXOR Y7, Y7, Y7

// WIDEN turns the int16 pair sums in acc into int32 row sums.
#define WIDEN(acc) \
	VPMADDWD tq2Ones16<>(SB), acc, acc

// LYFIN finishes the block sums of token j for 8 rows (acc, with the first
// half's sums at half(SP)): subtract Σ q, scale by d·da (weight scales at
// dw(SI)) and add to the 8 outputs at mem.
#define LYFIN(acc, j, half, dw, mem) \
	WIDEN(acc);                     \
	VPADDD       half(SP), acc, acc; \
	VPBROADCASTD 4+8*j(R11), Y12;   \
	VPSUBD       Y12, acc, acc;     \
	VCVTDQ2PS    acc, acc;          \
	VBROADCASTSS 8*j(R11), Y12;     \
	VMULPS       dw(SI), Y12, Y12;  \
	VMULPS       Y12, acc, acc;     \
	VADDPS       mem, acc, acc;     \
	VMOVUPS      acc, mem

// func tq2Lanes16x4AVX2(codes *byte, q *int8, qstride int, rec *uint32, recstride int, nblk int, out *float32, ldo int)
//
// tq2Lanes32x8VNNI for 16 rows (codes from tq2Prep16AVX2) and 4 tokens,
// with VPMADDUBSW. The frame holds the first half-block's int32 sums.
TEXT ·tq2Lanes16x4AVX2(SB), NOSPLIT, $256-64
	MOVQ  codes+0(FP), SI
	MOVQ  q+8(FP), DI
	MOVQ  qstride+16(FP), R9
	MOVQ  rec+24(FP), R11
	MOVQ  nblk+40(FP), CX
	MOVQ  out+48(FP), DX
	MOVQ  ldo+56(FP), R13
	SHLQ  $2, R13
	LEAQ  (R9)(R9*2), R10
	ADDQ  DI, R10
	LEAQ  (R13)(R13*2), R8
	ADDQ  DX, R8
	TESTQ CX, CX
	JZ    laneydone

laneyloop:
	ZERO8Y
	LY4X8(0)
	LY4X8(8)
	LY4X8(16)
	LY4X8(24)
	WIDEN(Y0)
	WIDEN(Y1)
	WIDEN(Y2)
	WIDEN(Y3)
	WIDEN(Y4)
	WIDEN(Y5)
	WIDEN(Y6)
	WIDEN(Y7)
	VMOVDQU Y0, 0(SP)
	VMOVDQU Y1, 32(SP)
	VMOVDQU Y2, 64(SP)
	VMOVDQU Y3, 96(SP)
	VMOVDQU Y4, 128(SP)
	VMOVDQU Y5, 160(SP)
	VMOVDQU Y6, 192(SP)
	VMOVDQU Y7, 224(SP)
	ZERO8Y
	LY4X8(32)
	LY4X8(40)
	LY4X8(48)
	LY4X8(56)
	LYFIN(Y0, 0, 0, 4096, (DX))
	LYFIN(Y1, 0, 32, 4128, 32(DX))
	LYFIN(Y2, 1, 64, 4096, (DX)(R13*1))
	LYFIN(Y3, 1, 96, 4128, 32(DX)(R13*1))
	LYFIN(Y4, 2, 128, 4096, (DX)(R13*2))
	LYFIN(Y5, 2, 160, 4128, 32(DX)(R13*2))
	LYFIN(Y6, 3, 192, 4096, (R8))
	LYFIN(Y7, 3, 224, 4128, 32(R8))
	ADDQ $4160, SI
	ADDQ $256, DI
	ADDQ $256, R10
	ADDQ recstride+32(FP), R11
	DECQ CX
	JNZ  laneyloop

laneydone:
	VZEROUPPER
	RET

// func tq2QSumsAVX2(q *int8, nblk int, out *int32)
//
//	for b := range nblk { out[b] = 0; for e := range 256 { out[b] += int32(q[256b+e]) } }
TEXT ·tq2QSumsAVX2(SB), NOSPLIT, $0-24
	MOVQ         q+0(FP), DI
	MOVQ         nblk+8(FP), CX
	MOVQ         out+16(FP), DX
	VPBROADCASTD tq2Ones8<>(SB), Y8
	TESTQ        CX, CX
	JZ           qsydone

qsyloop:
	VPMADDUBSW (DI), Y8, Y0
	VPMADDUBSW 32(DI), Y8, Y1
	VPMADDUBSW 64(DI), Y8, Y2
	VPMADDUBSW 96(DI), Y8, Y3
	VPMADDUBSW 128(DI), Y8, Y4
	VPMADDUBSW 160(DI), Y8, Y5
	VPMADDUBSW 192(DI), Y8, Y6
	VPMADDUBSW 224(DI), Y8, Y7
	VPADDW     Y1, Y0, Y0
	VPADDW     Y3, Y2, Y2
	VPADDW     Y5, Y4, Y4
	VPADDW     Y7, Y6, Y6
	VPADDW     Y2, Y0, Y0
	VPADDW     Y6, Y4, Y4
	VPADDW     Y4, Y0, Y0
	VPMADDWD   tq2Ones16<>(SB), Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD     X1, X0, X0
	VPSHUFD    $0x4e, X0, X1
	VPADDD     X1, X0, X0
	VPSHUFD    $0xb1, X0, X1
	VPADDD     X1, X0, X0
	VMOVD      X0, (DX)
	ADDQ       $256, DI
	ADDQ       $4, DX
	DECQ       CX
	JNZ        qsyloop

qsydone:
	VZEROUPPER
	RET

DATA tq2Mask3x32<>+0(SB)/8, $0x0303030303030303
DATA tq2Mask3x32<>+8(SB)/8, $0x0303030303030303
DATA tq2Mask3x32<>+16(SB)/8, $0x0303030303030303
DATA tq2Mask3x32<>+24(SB)/8, $0x0303030303030303
GLOBL tq2Mask3x32<>(SB), RODATA|NOPTR, $32
