package main

import "fmt"

// kvq8File is kvq8_amd64.s: the AVX-512 and AVX2 kernels of ScoresI8 and
// WeightedSumI8 (kvq8_amd64.go).
func kvq8File() []byte {
	a := new(asm)
	a.text(header + `
// The AVX-512 and AVX2 kernels of ScoresI8 and WeightedSumI8
// (kvq8_amd64.go). The definitions are Go code in kvq8_generic.go:
// dotI8Lanes16 for the scores (one 16-lane accumulator per output, element
// i in lane i mod 16, products rounded before they are added, then the
// reduction LANES16 spells out) and weightedSumI8Generic for the value
// sums. No product is fused with its sum (VMULPS, VADDPS).

#include "textflag.h"
`)
	a.text(kvq8Macros)
	i8Tile4x4(a)
	i8Tile4x1(a)
	i8Dot1x1(a, "Z")
	a.text(kvq8MacrosAVX2)
	i8Tile2x2AVX2(a)
	i8Tile4x1AVX2(a)
	i8Dot1x1(a, "Y")
	for _, w := range wsumI8Kernels() {
		w.gen(a)
	}
	return a.bytes()
}

const kvq8Macros = `
// LANES16 reduces the 16 lanes of accumulator z (with y and x its ymm
// and xmm views) as dotI8Lanes16 does and stores the float32 at dst.
// Clobbers z and Z24.
#define LANES16(z, y, x, dst) \
	VEXTRACTF64X4 $1, z, Y24 \
	VADDPS        Y24, y, y \
	VEXTRACTF32X4 $1, y, X24 \
	VADDPS        X24, x, x \
	VPERMILPS     $0x4e, x, X24 \
	VADDPS        X24, x, x \
	VPERMILPS     $0xb1, x, X24 \
	VADDSS        X24, x, x \
	VMOVSS        x, dst

// REDUCE4 reduces the accumulators a, b, c, d (16 lanes each) in the tree
// of LANES16 (lane l + l+8, then + l+4) and leaves the four 4-lane partial
// sums in the 128-bit blocks of a: block 0 from a, 1 from b, 2 from c, 3
// from d. Clobbers b, c, d, Z16 and Z17.
#define REDUCE4(a, b, c, d) \
	VSHUFF64X2 $0x44, b, a, Z16 \
	VSHUFF64X2 $0xEE, b, a, Z17 \
	VADDPS     Z17, Z16, a \
	VSHUFF64X2 $0x44, d, c, Z16 \
	VSHUFF64X2 $0xEE, d, c, Z17 \
	VADDPS     Z17, Z16, c \
	VSHUFF32X4 $0x88, c, a, Z16 \
	VSHUFF32X4 $0xDD, c, a, Z17 \
	VADDPS     Z17, Z16, a
`

const kvq8MacrosAVX2 = `
// The AVX2 kernels keep each output's 16 lanes in two ymm accumulators
// (lo: lanes 0..7, hi: lanes 8..15) and reduce them with the same
// additions as LANES16 (lo + hi is the zmm's low half + high half), so
// they give exactly the AVX-512 kernels' bits.

// LANES16Y reduces lo/hi (xlo: lo's xmm view) into xlo and stores it at
// dst. Clobbers lo and X15.
#define LANES16Y(lo, hi, xlo, dst) \
	VADDPS       hi, lo, lo \
	VEXTRACTF128 $1, lo, X15 \
	VADDPS       X15, xlo, xlo \
	VPERMILPS    $0x4e, xlo, X15 \
	VADDPS       X15, xlo, xlo \
	VPERMILPS    $0xb1, xlo, X15 \
	VADDSS       X15, xlo, xlo \
	VMOVSS       xlo, dst
`

// The pointers of the four key rows r (k + r·ldk) and of the four tokens t
// (x + t·ldx) of a tile.
var (
	kRows = []string{"SI", "R9", "R10", "R11"}
	xRows = []string{"DI", "R12", "R13", "R14"}
)

var (
	tileParams = []string{"k *int8", "ldk int", "x *float32", "ldx int", "n int", "out *float32", "ldo int"}
	colParams  = []string{"k *int8", "ldk int", "x *float32", "n int", "out *float32"}
	dotParams  = []string{"k *int8", "x *float32", "n int"}
)

// zeroAcc clears the accumulators 0..n-1 of kind "Z" or "Y".
func zeroAcc(a *asm, kind string, n int) {
	for i := range n {
		a.in("VXORPS", vreg(kind, i), vreg(kind, i), vreg(kind, i))
	}
}

// advance steps the key pointers by 16 int8 and the x pointers by 16
// float32, counts n down by 16 and loops.
func advance(a *asm, loop string, ks, xs []string) {
	for _, r := range ks {
		a.in("ADDQ", imm(16), r)
	}
	for _, r := range xs {
		a.in("ADDQ", imm(64), r)
	}
	a.in("SUBQ", imm(16), "CX")
	a.in("JNZ", loop)
}

// i8Tile4x4 writes the 4 rows × 4 tokens AVX-512 tile.
func i8Tile4x4(a *asm) {
	f := fn{name: "i8Tile4x4", params: tileParams}
	a.begin(f, `//
//	out[t·ldo+r] = Σ_{i<n} x[t·ldx+i]·k[r·ldk+i]   (r, t < 4; n % 16 == 0, n > 0)
//
// Each 16 int8 of the four rows are converted once (VPMOVSXBD, VCVTDQ2PS)
// and multiplied into the four tokens' accumulators: Z(4r+t) accumulates
// row r × token t. The sixteen sums are reduced together: REDUCE4 on each
// row's four tokens leaves (token t, row r) partial sums in block t of
// Z(4r); the last step, (0+2) + (1+3), runs on the four rows with in-lane
// shuffles and leaves token t's four outputs in block t of Z0.
`)
	a.rowPointers(f, "k", "SI", "ldk", 1, kRows[1:]...)
	a.rowPointers(f, "x", "DI", "ldx", 4, xRows[1:]...)
	a.in("MOVQ", f.arg("n"), "CX")
	a.blank()
	zeroAcc(a, "Z", 16)
	a.blank()
	a.label("i8t44")
	for r := range 4 {
		a.in("VPMOVSXBD", mem(0, kRows[r]), vreg("Z", 16+r))
	}
	for r := range 4 {
		a.in("VCVTDQ2PS", vreg("Z", 16+r), vreg("Z", 16+r))
	}
	for t := range 4 {
		a.in("VMOVUPS", mem(0, xRows[t]), vreg("Z", 20+t))
	}
	for r := range 4 {
		for t := range 4 {
			acc, tmp := vreg("Z", 4*r+t), vreg("Z", 24+(4*r+t)%8)
			a.in("VMULPS", vreg("Z", 20+t), vreg("Z", 16+r), tmp)
			a.in("VADDPS", tmp, acc, acc)
		}
	}
	advance(a, "i8t44", kRows, xRows)
	a.blank()
	for r := range 4 {
		a.macro("REDUCE4", vreg("Z", 4*r), vreg("Z", 4*r+1), vreg("Z", 4*r+2), vreg("Z", 4*r+3))
	}
	// (0+2) + (1+3) across the rows: pair rows 0, 1 and 2, 3, then the pairs.
	for _, s := range [][3]string{{"Z4", "Z0", "Z0"}, {"Z12", "Z8", "Z8"}} {
		a.in("VSHUFPS", "$0x44", s[0], s[1], "Z16")
		a.in("VSHUFPS", "$0xEE", s[0], s[1], "Z17")
		a.in("VADDPS", "Z17", "Z16", s[2])
	}
	a.in("VSHUFPS", "$0x88", "Z8", "Z0", "Z16")
	a.in("VSHUFPS", "$0xDD", "Z8", "Z0", "Z17")
	a.in("VADDPS", "Z17", "Z16", "Z0")
	a.blank()
	a.in("MOVQ", f.arg("out"), "AX")
	a.in("MOVQ", f.arg("ldo"), "BX")
	a.in("SHLQ", imm(2), "BX")
	a.in("VMOVUPS", "X0", "(AX)")
	for t := 1; t < 4; t++ {
		a.in("ADDQ", "BX", "AX")
		a.in("VEXTRACTF32X4", imm(t), "Z0", "X1")
		a.in("VMOVUPS", "X1", "(AX)")
	}
	a.in("VZEROUPPER")
	a.in("RET")
}

// i8Tile4x1 writes the 4 rows × 1 token AVX-512 tile (decode).
func i8Tile4x1(a *asm) {
	f := fn{name: "i8Tile4x1", params: colParams}
	a.begin(f, `//
//	out[r] = Σ_{i<n} x[i]·k[r·ldk+i]   (r < 4; n % 16 == 0, n > 0)
//
// The decode shape: four accumulators (one per row) share each load of x.
// REDUCE4 leaves row r's partial sums in block r of Z0; the last step,
// (0+2) + (1+3), pairs the blocks with in-lane shuffles.
`)
	a.rowPointers(f, "k", "SI", "ldk", 1, kRows[1:]...)
	a.in("MOVQ", f.arg("x"), "DI")
	a.in("MOVQ", f.arg("n"), "CX")
	a.blank()
	zeroAcc(a, "Z", 4)
	a.blank()
	a.label("i8t41")
	a.in("VMOVUPS", "(DI)", "Z20")
	for r := range 4 {
		a.in("VPMOVSXBD", mem(0, kRows[r]), vreg("Z", 16+r))
	}
	for r := range 4 {
		a.in("VCVTDQ2PS", vreg("Z", 16+r), vreg("Z", 16+r))
	}
	for r := range 4 {
		v := vreg("Z", 16+r)
		a.in("VMULPS", "Z20", v, v)
		a.in("VADDPS", v, vreg("Z", r), vreg("Z", r))
	}
	advance(a, "i8t41", kRows, xRows[:1])
	a.blank()
	a.macro("REDUCE4", "Z0", "Z1", "Z2", "Z3")
	a.in("VEXTRACTF64X4", "$1", "Z0", "Y1").comment = "Y0 = [q0 q1], Y1 = [q2 q3]"
	a.in("VSHUFPS", "$0x44", "Y1", "Y0", "Y16")
	a.in("VSHUFPS", "$0xEE", "Y1", "Y0", "Y17")
	a.in("VADDPS", "Y17", "Y16", "Y0").comment = "[p0 p1 of rows 0, 2 | rows 1, 3]"
	a.in("VEXTRACTF128", "$1", "Y0", "X1")
	a.in("VSHUFPS", "$0x88", "X1", "X0", "X16")
	a.in("VSHUFPS", "$0xDD", "X1", "X0", "X17")
	a.in("VADDPS", "X17", "X16", "X0").comment = "[s0 s2 s1 s3]"
	a.in("VPERMILPS", "$0xD8", "X0", "X0")
	a.in("MOVQ", f.arg("out"), "AX")
	a.in("VMOVUPS", "X0", "(AX)")
	a.in("VZEROUPPER")
	a.in("RET")
}

// i8Dot1x1 writes the single dot product, for AVX-512 (kind "Z": one zmm
// accumulator) or AVX2 ("Y": lanes 0..7 in Y0, 8..15 in Y1).
func i8Dot1x1(a *asm, kind string) {
	f := fn{name: "i8Dot1x1", params: dotParams, ret: "float32"}
	doc, loop := `//
//	Σ_{i<n} x[i]·k[i]   (n % 16 == 0, n > 0)
`, "i8t11"
	halves := 1
	if kind == "Y" {
		f.name, doc, loop, halves = "i8Dot1x1AVX2", "", "i8t11y", 2
	}
	a.begin(f, doc)
	a.in("MOVQ", f.arg("k"), "SI")
	a.in("MOVQ", f.arg("x"), "DI")
	a.in("MOVQ", f.arg("n"), "CX")
	zeroAcc(a, kind, halves)
	a.blank()
	a.label(loop)
	conv := map[string]int{"Z": 16, "Y": 8}[kind]
	for h := range halves {
		a.in("VPMOVSXBD", mem(8*h, "SI"), vreg(kind, conv+h))
	}
	for h := range halves {
		a.in("VCVTDQ2PS", vreg(kind, conv+h), vreg(kind, conv+h))
	}
	for h := range halves {
		v := vreg(kind, conv+h)
		a.in("VMULPS", mem(32*h, "DI"), v, v)
		a.in("VADDPS", v, vreg(kind, h), vreg(kind, h))
	}
	advance(a, loop, kRows[:1], xRows[:1])
	a.blank()
	if kind == "Z" {
		a.macro("LANES16", "Z0", "Y0", "X0", f.result())
	} else {
		a.macro("LANES16Y", "Y0", "Y1", "X0", f.result())
	}
	a.in("VZEROUPPER")
	a.in("RET")
}

// i8Tile2x2AVX2 writes the 2 rows × 2 tokens AVX2 tile.
func i8Tile2x2AVX2(a *asm) {
	f := fn{name: "i8Tile2x2AVX2", params: tileParams}
	a.begin(f, `//
//	out[t·ldo+r] = Σ_{i<n} x[t·ldx+i]·k[r·ldk+i]   (r, t < 2; n % 16 == 0, n > 0)
//
// Y(4r+2t) and Y(4r+2t+1) hold row r × token t, lanes 0..7 and 8..15.
`)
	a.rowPointers(f, "k", "SI", "ldk", 1, kRows[1])
	a.rowPointers(f, "x", "DI", "ldx", 4, xRows[1])
	a.in("MOVQ", f.arg("n"), "CX")
	a.blank()
	zeroAcc(a, "Y", 8)
	a.blank()
	a.label("i8t22")
	i8LoadRowsY(a, kRows[:2])
	for r := range 2 {
		for t := range 2 {
			for h := range 2 {
				acc, tmp := vreg("Y", 4*r+2*t+h), vreg("Y", 12+2*t+h)
				a.in("VMULPS", mem(32*h, xRows[t]), vreg("Y", 8+2*r+h), tmp)
				a.in("VADDPS", tmp, acc, acc)
			}
		}
	}
	advance(a, "i8t22", kRows[:2], xRows[:2])
	a.blank()
	a.in("MOVQ", f.arg("out"), "AX")
	a.in("MOVQ", f.arg("ldo"), "BX")
	a.in("LEAQ", "(AX)(BX*4)", "BX")
	for r := range 2 {
		for t, o := range []string{"AX", "BX"} {
			a.macro("LANES16Y", vreg("Y", 4*r+2*t), vreg("Y", 4*r+2*t+1), vreg("X", 4*r+2*t), mem(4*r, o))
		}
	}
	a.in("VZEROUPPER")
	a.in("RET")
}

// i8LoadRowsY converts 16 int8 of the two rows at rs into float32: row i,
// lanes 8h..8h+7, in Y(8+2i+h).
func i8LoadRowsY(a *asm, rs []string) {
	for i, r := range rs {
		for h := range 2 {
			a.in("VPMOVSXBD", mem(8*h, r), vreg("Y", 8+2*i+h))
		}
	}
	for i := 8; i < 12; i++ {
		a.in("VCVTDQ2PS", vreg("Y", i), vreg("Y", i))
	}
}

// i8Tile4x1AVX2 writes the 4 rows × 1 token AVX2 tile: rows 0, 1 and then
// 2, 3 through Y8–Y11, x in Y12, Y13.
func i8Tile4x1AVX2(a *asm) {
	f := fn{name: "i8Tile4x1AVX2", params: colParams}
	a.begin(f, `//
//	out[r] = Σ_{i<n} x[i]·k[r·ldk+i]   (r < 4; n % 16 == 0, n > 0)
`)
	a.rowPointers(f, "k", "SI", "ldk", 1, kRows[1:]...)
	a.in("MOVQ", f.arg("x"), "DI")
	a.in("MOVQ", f.arg("n"), "CX")
	a.blank()
	zeroAcc(a, "Y", 8)
	a.blank()
	a.label("i8t41y")
	a.in("VMOVUPS", "(DI)", "Y12")
	a.in("VMOVUPS", "32(DI)", "Y13")
	for pair := range 2 {
		i8LoadRowsY(a, kRows[2*pair:2*pair+2])
		for i := range 4 { // row 2·pair + i/2, lanes 8·(i%2)..
			v, acc := vreg("Y", 8+i), vreg("Y", 4*pair+i)
			a.in("VMULPS", vreg("Y", 12+i%2), v, v)
			a.in("VADDPS", v, acc, acc)
		}
	}
	advance(a, "i8t41y", kRows, xRows[:1])
	a.blank()
	a.in("MOVQ", f.arg("out"), "AX")
	for r := range 4 {
		a.macro("LANES16Y", vreg("Y", 2*r), vreg("Y", 2*r+1), vreg("X", 2*r), mem(4*r, "AX"))
	}
	a.in("VZEROUPPER")
	a.in("RET")
}

// wsumI8Kernels are the WeightedSumI8 tiles.
func wsumI8Kernels() []wsum {
	params := func(rows int) []string {
		if rows == 1 {
			return []string{"o *float32", "p *float32", "v *int8", "ldv int", "vs *float32", "ldvs int", "nk int"}
		}
		return []string{"o *float32", "ldo int", "p *float32", "ldp int", "v *int8", "ldv int", "vs *float32", "ldvs int", "nk int"}
	}
	z := func(rows, vecs int, doc string) wsum {
		return wsum{
			fn:  fn{name: fmt.Sprintf("wsumI8x%dx%d", rows, 16*vecs), params: params(rows)},
			doc: doc, i8: true, kind: "Z", rows: rows, vecs: vecs,
			conv: 16, wt: 20, scale: 24, temps: span(25, 31),
			loop: fmt.Sprintf("wsi8x%dx%d", rows, 16*vecs),
		}
	}
	return []wsum{
		z(4, 4, `//
//	for j < 4, i < 64: o[j·ldo+i] += Σ_{k<nk} float32(p[j·ldp+k]·vs[k·ldvs])·v[k·ldv+i]
//
// in order of k (nk > 0). Z(4j+c) accumulates row j, columns 16c..16c+15;
// each weight and each product is rounded before it is added (VMULPS,
// VADDPS), as weightedSumI8Generic.
`),
		z(4, 1, `//
// wsumI8x4x64 on 16 columns: Z(j) accumulates row j.
`),
		z(1, 4, ""),
		z(1, 1, ""),
		{
			fn: fn{name: "wsumI8x2x32AVX2", params: params(2)},
			doc: `//
// wsumI8x4x64 on 2 rows × 32 columns: Y(4j+c) accumulates row j, columns
// 8c..8c+7.
`,
			i8: true, kind: "Y", rows: 2, vecs: 4, conv: 8, wt: 12, scale: 14, temps: []int{14, 15}, loop: "wsi8x2x32y",
		},
		{
			fn: fn{name: "wsumI8x1x32AVX2", params: params(1)},
			i8: true, kind: "Y", rows: 1, vecs: 4, conv: 8, wt: 12, scale: 14, loop: "wsi8x1x32y",
		},
	}
}
