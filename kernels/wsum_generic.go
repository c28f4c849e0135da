package kernels

// weightedSumF16Generic is the definition of WeightedSumF16.
func weightedSumF16Generic(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	for j := range nq {
		oj := o[j*ldo : j*ldo+n]
		for k := range nk {
			a := p[j*ldp+k]
			vk := v[k*ldv : k*ldv+n]
			for i, x := range vk {
				oj[i] += float32(a * f16Table[x]) // rounded product: never fused
			}
		}
	}
}
