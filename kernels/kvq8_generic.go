package kernels

// scoresI8Generic is the definition of ScoresI8.
func scoresI8Generic(out []float32, ldo int, k []int8, ldk, rows, K int, x []float32, ldx, T int) {
	for r := range rows {
		row := k[r*ldk : r*ldk+K]
		for t := range T {
			out[t*ldo+r] = dotI8Lanes16(row, x[t*ldx:t*ldx+K])
		}
	}
}

// dotI8Lanes16 is the sum of ScoresI8 (and its test oracle): 16 lane sums
// of rounded products, the reduction tree of dotF16Lanes16 (lane l + l+8,
// then + l+4, then (0+2) + (1+3)), then the tail in order.
func dotI8Lanes16(k []int8, x []float32) float32 {
	x = x[:len(k)]
	var l [16]float32
	n := len(k) &^ 15
	for i := 0; i < n; i += 16 {
		kc, xc := k[i:i+16], x[i:i+16]
		for j := range 16 {
			l[j] += float32(xc[j] * float32(kc[j])) // rounded product: never fused
		}
	}
	var h [8]float32 // zmm → ymm: low half + high half
	for j := range 8 {
		h[j] = l[j] + l[j+8]
	}
	var q [4]float32 // ymm → xmm
	for j := range 4 {
		q[j] = h[j] + h[j+4]
	}
	s := (q[0] + q[2]) + (q[1] + q[3])
	return i8Tail(s, k, x, n)
}

// i8Tail adds the products of elements n.. to s, in order.
func i8Tail(s float32, k []int8, x []float32, n int) float32 {
	x = x[:len(k)]
	for i := n; i < len(k); i++ {
		s += float32(x[i] * float32(k[i]))
	}
	return s
}

// weightedSumI8Generic is the definition of WeightedSumI8.
func weightedSumI8Generic(o []float32, ldo, n int, p []float32, ldp, nq int, v []int8, ldv int, vs []float32, ldvs int, nk int) {
	for j := range nq {
		oj := o[j*ldo : j*ldo+n]
		for k := range nk {
			a := float32(p[j*ldp+k] * vs[k*ldvs])
			vk := v[k*ldv : k*ldv+n]
			for i, x := range vk {
				oj[i] += float32(a * float32(x)) // rounded product: never fused
			}
		}
	}
}
