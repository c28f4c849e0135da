package main

// wsumF16File is wsum_amd64.s: the AVX-512 and AVX2 kernels of
// WeightedSumF16 (wsum_amd64.go).
func wsumF16File() []byte {
	a := new(asm)
	a.text(header + `
// The AVX-512 and AVX2 kernels of WeightedSumF16 (wsum_amd64.go); the
// definition is weightedSumF16Generic (wsum_generic.go).

#include "textflag.h"
`)
	params := func(rows int) []string {
		if rows == 1 {
			return []string{"o *float32", "p *float32", "v *uint16", "ldv int", "nk int"}
		}
		return []string{"o *float32", "ldo int", "p *float32", "ldp int", "v *uint16", "ldv int", "nk int"}
	}
	for _, w := range []wsum{{
		fn: fn{name: "wsumF16x4x64", params: params(4)},
		doc: `//
//	for j < 4, i < 64: o[j·ldo+i] += Σ_{k<nk} p[j·ldp+k]·v[k·ldv+i]   (in order of k; nk > 0)
//
// Z(4j+c) accumulates row j, columns 16c..16c+15. Each product is rounded
// before it is added (VMULPS, VADDPS), as weightedSumF16Generic.
`,
		kind: "Z", rows: 4, vecs: 4, conv: 16, wt: 20, temps: span(24, 31), loop: "ws4loop",
	}, {
		fn:   fn{name: "wsumF16x1x64", params: params(1)},
		kind: "Z", rows: 1, vecs: 4, conv: 16, wt: 20, temps: span(24, 31), loop: "ws1loop",
	}, {
		fn: fn{name: "wsumF16x4x16AVX2", params: params(4)},
		doc: `//
//	for j < 4, i < 16: o[j·ldo+i] += Σ_{k<nk} p[j·ldp+k]·v[k·ldv+i]   (in order of k; nk > 0)
//
// wsumF16x4x64 for AVX2 (16 ymm): Y(2j+c) accumulates row j, columns
// 8c..8c+7; Y8, Y9 hold the converted v row, Y10–Y13 the broadcast
// weights. Each product is rounded before it is added (VMULPS, VADDPS).
`,
		kind: "Y", rows: 4, vecs: 2, conv: 8, wt: 10, temps: []int{14, 15}, indexed: true, loop: "ws4y",
	}, {
		fn: fn{name: "wsumF16x1x32AVX2", params: params(1)},
		doc: `//
// wsumF16x4x16AVX2 for one row and 32 columns: Y0–Y3 accumulate columns
// 8c..8c+7.
`,
		kind: "Y", rows: 1, vecs: 4, conv: 4, wt: 8, indexed: true, loop: "ws1y",
	}} {
		w.gen(a)
	}
	return a.bytes()
}
