//go:build !noasm

// Hand-written, like i2s_amd64.s; the reference is tq1ToTQ2Generic in
// tq1.go.
//
// Trit n of a TQ1_0 byte x (spec §2.5) is u = ((x·3ⁿ mod 256)·3) >> 8. With
// x in the high byte of a 16-bit lane, VPMULLW by 3ⁿ leaves (x·3ⁿ mod 256)
// in the high byte exactly, and VPMULHUW by 3 then gives u: two
// instructions per trit for 32 bytes at once.

#include "textflag.h"

// Word constants: 3, 3ⁿ, and the per-lane multipliers of the second half
// of a TQ2_0 block (see tq1ToTQ2Generic): B = trit 0 / 1, C = trit 2 / 3,
// D = trit 4 of qs[32..47] / the trits of qh.
DATA tq1W3<>+0(SB)/2, $3
GLOBL tq1W3<>(SB), RODATA|NOPTR, $2
DATA tq1W9<>+0(SB)/2, $9
GLOBL tq1W9<>(SB), RODATA|NOPTR, $2
DATA tq1W27<>+0(SB)/2, $27
GLOBL tq1W27<>(SB), RODATA|NOPTR, $2
DATA tq1W81<>+0(SB)/2, $81
GLOBL tq1W81<>(SB), RODATA|NOPTR, $2

DATA tq1MulB<>+0(SB)/8, $0x0001000100010001
DATA tq1MulB<>+8(SB)/8, $0x0001000100010001
DATA tq1MulB<>+16(SB)/8, $0x0001000100010001
DATA tq1MulB<>+24(SB)/8, $0x0001000100010001
DATA tq1MulB<>+32(SB)/8, $0x0003000300030003
DATA tq1MulB<>+40(SB)/8, $0x0003000300030003
DATA tq1MulB<>+48(SB)/8, $0x0003000300030003
DATA tq1MulB<>+56(SB)/8, $0x0003000300030003
GLOBL tq1MulB<>(SB), RODATA|NOPTR, $64

DATA tq1MulC<>+0(SB)/8, $0x0009000900090009
DATA tq1MulC<>+8(SB)/8, $0x0009000900090009
DATA tq1MulC<>+16(SB)/8, $0x0009000900090009
DATA tq1MulC<>+24(SB)/8, $0x0009000900090009
DATA tq1MulC<>+32(SB)/8, $0x001b001b001b001b
DATA tq1MulC<>+40(SB)/8, $0x001b001b001b001b
DATA tq1MulC<>+48(SB)/8, $0x001b001b001b001b
DATA tq1MulC<>+56(SB)/8, $0x001b001b001b001b
GLOBL tq1MulC<>(SB), RODATA|NOPTR, $64

DATA tq1MulD<>+0(SB)/8, $0x0051005100510051
DATA tq1MulD<>+8(SB)/8, $0x0051005100510051
DATA tq1MulD<>+16(SB)/8, $0x0051005100510051
DATA tq1MulD<>+24(SB)/8, $0x0051005100510051
DATA tq1MulD<>+32(SB)/8, $0x0001000100010001
DATA tq1MulD<>+40(SB)/8, $0x0003000300030003
DATA tq1MulD<>+48(SB)/8, $0x0009000900090009
DATA tq1MulD<>+56(SB)/8, $0x001b001b001b001b
GLOBL tq1MulD<>(SB), RODATA|NOPTR, $64

// CODE sets u = trit of the bytes in the high bytes of X (lane-wise
// multiplier m, m a register): VPMULLW then VPMULHUW by 3 (Z31).
#define CODE(X, m, u) \
	VPMULLW  m, X, u; \
	VPMULHUW Z31, u, u

// func tq1ToTQ2AVX512(dst *byte, src *byte, nblk int)
//
//	tq1ToTQ2Generic(dst[:66·nblk], src[:54·nblk], nblk)
TEXT ·tq1ToTQ2AVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         nblk+16(FP), CX
	VPBROADCASTW tq1W3<>(SB), Z31
	VPBROADCASTW tq1W9<>(SB), Z30
	VPBROADCASTW tq1W27<>(SB), Z29
	VPBROADCASTW tq1W81<>(SB), Z28
	VMOVDQU64    tq1MulB<>(SB), Z27
	VMOVDQU64    tq1MulC<>(SB), Z26
	VMOVDQU64    tq1MulD<>(SB), Z25
	MOVL         $0xf0, AX
	KMOVW        AX, K1
	TESTQ        CX, CX
	JZ           done

loop:
	// X = qs[0..31] in the high bytes of 32 words.
	VPMOVZXBW (SI), Z0
	VPSLLW    $8, Z0, Z0

	// First half: codes of trits 0..3 of qs[0..31].
	VPMULHUW Z31, Z0, Z1
	CODE(Z0, Z31, Z2)
	CODE(Z0, Z30, Z3)
	CODE(Z0, Z29, Z4)
	VPSLLW     $2, Z2, Z2
	VPSLLW     $4, Z3, Z3
	VPSLLW     $6, Z4, Z4
	VPTERNLOGD $0xfe, Z3, Z2, Z1
	VPORD      Z4, Z1, Z1
	VPMOVWB    Z1, Y1
	VMOVDQU    Y1, (DI)

	// Second half. Y = qs[32..47] twice; Z = qs[32..47] then the qh
	// pattern qh[m%4] (m < 16).
	VBROADCASTI32X4 32(SI), Z5
	VMOVDQA64       Z5, Z6
	VPBROADCASTD    48(SI), K1, Y6
	VPMOVZXBW       Y5, Z5
	VPSLLW          $8, Z5, Z5
	VPMOVZXBW       Y6, Z6
	VPSLLW          $8, Z6, Z6

	CODE(Z0, Z28, Z1)  // trit 4 of qs[m]
	CODE(Z5, Z27, Z2)  // trit 0 (m < 16) or 1 of qs[32+m%16]
	CODE(Z5, Z26, Z3)  // trit 2 or 3
	CODE(Z6, Z25, Z4)  // trit 4 of qs[32+m], or trit m/4-4 of qh[m%4]
	VPSLLW     $2, Z2, Z2
	VPSLLW     $4, Z3, Z3
	VPSLLW     $6, Z4, Z4
	VPTERNLOGD $0xfe, Z3, Z2, Z1
	VPORD      Z4, Z1, Z1
	VPMOVWB    Z1, Y1
	VMOVDQU    Y1, 32(DI)

	MOVWLZX 52(SI), AX
	MOVW    AX, 64(DI)

	ADDQ $54, SI
	ADDQ $66, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// AVX2: the same with 16 words per register; VPACKUSWB and VPERMQ put the
// bytes of two registers back in order.

DATA tq1MulQ<>+0(SB)/8, $0x0001000100010001
DATA tq1MulQ<>+8(SB)/8, $0x0003000300030003
DATA tq1MulQ<>+16(SB)/8, $0x0009000900090009
DATA tq1MulQ<>+24(SB)/8, $0x001b001b001b001b
GLOBL tq1MulQ<>(SB), RODATA|NOPTR, $32

// CODEY: u = trit of the bytes in the high bytes of X (multiplier m).
#define CODEY(X, m, u) \
	VPMULLW  m, X, u; \
	VPMULHUW Y15, u, u

// PACK4Y sets a to a | b<<2 | c<<4 | d<<6 (16-bit lanes; clobbers b, c, d).
#define PACK4Y(a, b, c, d) \
	VPSLLW $2, b, b; \
	VPSLLW $4, c, c; \
	VPSLLW $6, d, d; \
	VPOR   b, a, a;  \
	VPOR   d, c, c;  \
	VPOR   c, a, a

// STORE32Y stores the low bytes of the words of lo (bytes 0..15) and hi
// (16..31) at mem.
#define STORE32Y(lo, hi, mem) \
	VPACKUSWB hi, lo, lo;    \
	VPERMQ    $0xd8, lo, lo; \
	VMOVDQU   lo, mem

// func tq1ToTQ2AVX2(dst *byte, src *byte, nblk int)
//
//	tq1ToTQ2Generic(dst[:66·nblk], src[:54·nblk], nblk)
TEXT ·tq1ToTQ2AVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         nblk+16(FP), CX
	VPBROADCASTW tq1W3<>(SB), Y15
	VPBROADCASTW tq1W9<>(SB), Y14
	VPBROADCASTW tq1W27<>(SB), Y13
	VPBROADCASTW tq1W81<>(SB), Y12
	VMOVDQU      tq1MulQ<>(SB), Y11
	TESTQ        CX, CX
	JZ           ydone

yloop:
	// qs[0..15], qs[16..31] and qs[32..47] in the high bytes of words;
	// Y10 the qh pattern qh[m%4], m < 16.
	VPMOVZXBW    (SI), Y0
	VPSLLW       $8, Y0, Y0
	VPMOVZXBW    16(SI), Y1
	VPSLLW       $8, Y1, Y1
	VPMOVZXBW    32(SI), Y2
	VPSLLW       $8, Y2, Y2
	VPBROADCASTD 48(SI), X10
	VPMOVZXBW    X10, Y10
	VPSLLW       $8, Y10, Y10

	// First half: trits 0..3 of qs[0..31].
	VPMULHUW Y15, Y0, Y3
	CODEY(Y0, Y15, Y4)
	CODEY(Y0, Y14, Y5)
	CODEY(Y0, Y13, Y6)
	PACK4Y(Y3, Y4, Y5, Y6)
	VPMULHUW Y15, Y1, Y7
	CODEY(Y1, Y15, Y4)
	CODEY(Y1, Y14, Y5)
	CODEY(Y1, Y13, Y6)
	PACK4Y(Y7, Y4, Y5, Y6)
	STORE32Y(Y3, Y7, (DI))

	// Second half, bytes 0..15: trit 4 of qs[m], trits 0, 2, 4 of qs[32+m].
	CODEY(Y0, Y12, Y3)
	VPMULHUW Y15, Y2, Y4
	CODEY(Y2, Y14, Y5)
	CODEY(Y2, Y12, Y6)
	PACK4Y(Y3, Y4, Y5, Y6)
	// Bytes 16..31: trit 4 of qs[16+m], trits 1, 3 of qs[32+m], trit m/4
	// of qh[m%4].
	CODEY(Y1, Y12, Y7)
	CODEY(Y2, Y15, Y4)
	CODEY(Y2, Y13, Y5)
	CODEY(Y10, Y11, Y6)
	PACK4Y(Y7, Y4, Y5, Y6)
	STORE32Y(Y3, Y7, 32(DI))

	MOVWLZX 52(SI), AX
	MOVW    AX, 64(DI)

	ADDQ $54, SI
	ADDQ $66, DI
	DECQ CX
	JNZ  yloop

ydone:
	VZEROUPPER
	RET
