package main

// wsum describes one register-tiled weighted-sum kernel,
//
//	for j < rows, i < cols: o[j·ldo+i] += Σ_{k<nk} w_jk·v[k·ldv+i]   (nk > 0)
//
// with w_jk = p[j·ldp+k] for f16 values (WeightedSumF16) and w_jk =
// float32(p[j·ldp+k]·vs[k·ldvs]) for int8 values (WeightedSumI8). The
// rows × vecs accumulators (register j·vecs+c: row j, lanes of vector c)
// stay in registers over all k; per k the v row is converted to float32
// once, each row's weight broadcast once, and each product rounded before
// it is added (VMULPS, then VADDPS: never fused), in order of k, as the Go
// definitions weightedSumF16Generic and weightedSumI8Generic.
type wsum struct {
	fn    fn
	doc   string // the doc comment after the "// func" line
	i8    bool   // int8 values with per-key scales vs, else f16 values
	kind  string // "Z" (AVX-512, 16 lanes) or "Y" (AVX2, 8 lanes)
	rows  int    // 1, 2 or 4 output rows
	vecs  int    // vectors per row: cols = vecs·lanes
	conv  int    // first register of the converted v row (vecs of them)
	wt    int    // first register of the broadcast weights (rows of them)
	scale int    // register of the broadcast vs[k·ldvs] (i8 only)
	temps []int  // the products, in rotation; none: into the conv register
	// indexed steps p with an index register (BX) and counts it up to
	// nk, instead of advancing every row pointer and counting nk down.
	indexed bool
	loop    string // the loop label
}

var (
	wsumOutRows = []string{"DI", "R9", "R10", "R11"}  // o row j
	wsumPRows   = []string{"SI", "R12", "R13", "R14"} // p row j
)

func (w wsum) lanes() int { return map[string]int{"Z": 16, "Y": 8}[w.kind] }

func (w wsum) acc(j, c int) string { return vreg(w.kind, j*w.vecs+c) }

// gen writes the kernel: load the accumulators from o, the loop over k,
// store them back.
func (w wsum) gen(a *asm) {
	f := w.fn
	a.begin(f, w.doc)
	if w.rows > 1 {
		a.rowPointers(f, "o", "DI", "ldo", 4, wsumOutRows[1:w.rows]...)
		a.rowPointers(f, "p", "SI", "ldp", 4, wsumPRows[1:w.rows]...)
	} else {
		a.in("MOVQ", f.arg("o"), "DI")
		a.in("MOVQ", f.arg("p"), "SI")
	}
	a.in("MOVQ", f.arg("v"), "DX")
	a.in("MOVQ", f.arg("ldv"), "R8")
	if !w.i8 {
		a.in("SHLQ", imm(1), "R8") // f16: 2 bytes an element
	}
	if w.i8 {
		a.in("MOVQ", f.arg("vs"), "AX")
		a.in("MOVQ", f.arg("ldvs"), "BX")
		a.in("SHLQ", imm(2), "BX")
	}
	a.in("MOVQ", f.arg("nk"), "CX")
	if w.indexed {
		a.in("XORQ", "BX", "BX")
	}
	a.blank()
	vb := 4 * w.lanes() // bytes of a float32 vector
	for j := range w.rows {
		for c := range w.vecs {
			a.in("VMOVUPS", mem(c*vb, wsumOutRows[j]), w.acc(j, c))
		}
	}
	a.blank()
	a.label(w.loop)
	w.body(a)
	a.blank()
	for j := range w.rows {
		for c := range w.vecs {
			a.in("VMOVUPS", w.acc(j, c), mem(c*vb, wsumOutRows[j]))
		}
	}
	a.in("VZEROUPPER")
	a.in("RET")
}

// body writes one step of k: convert v's row, broadcast the weights,
// multiply and add, advance.
func (w wsum) body(a *asm) {
	r := func(n int) string { return vreg(w.kind, n) }
	for c := range w.vecs {
		if w.i8 {
			a.in("VPMOVSXBD", mem(c*w.lanes(), "DX"), r(w.conv+c))
		} else {
			a.in("VCVTPH2PS", mem(2*c*w.lanes(), "DX"), r(w.conv+c))
		}
	}
	if w.i8 {
		for c := range w.vecs {
			a.in("VCVTDQ2PS", r(w.conv+c), r(w.conv+c))
		}
		a.in("VBROADCASTSS", "(AX)", r(w.scale))
	}
	for j := range w.rows {
		p := mem(0, wsumPRows[j])
		if w.indexed {
			p = "(" + wsumPRows[j] + ")(BX*4)"
		}
		a.in("VBROADCASTSS", p, r(w.wt+j))
		if w.i8 {
			a.in("VMULPS", r(w.scale), r(w.wt+j), r(w.wt+j)) // w_jk = p·vs, rounded
		}
	}
	for j := range w.rows {
		for c := range w.vecs {
			t := w.conv + c
			if len(w.temps) > 0 {
				t = w.temps[(j*w.vecs+c)%len(w.temps)]
			}
			a.in("VMULPS", r(w.conv+c), r(w.wt+j), r(t))
			a.in("VADDPS", r(t), w.acc(j, c), w.acc(j, c))
		}
	}
	if w.indexed {
		a.in("INCQ", "BX")
		a.in("ADDQ", "R8", "DX")
		a.in("CMPQ", "BX", "CX")
		a.in("JNE", w.loop)
		return
	}
	for j := range w.rows {
		a.in("ADDQ", imm(4), wsumPRows[j])
	}
	a.in("ADDQ", "R8", "DX")
	if w.i8 {
		a.in("ADDQ", "BX", "AX")
	}
	a.in("DECQ", "CX")
	a.in("JNZ", w.loop)
}

// span returns the registers from..to, inclusive.
func span(from, to int) []int {
	var r []int
	for i := from; i <= to; i++ {
		r = append(r, i)
	}
	return r
}
