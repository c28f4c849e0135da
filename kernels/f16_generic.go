package kernels

// dotF16Generic is the reference definition of DotF16.
func dotF16Generic(w []uint16, x []float32) float32 {
	x = x[:len(w)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(w); i += 4 {
		s0 += f16Table[w[i]] * x[i]
		s1 += f16Table[w[i+1]] * x[i+1]
		s2 += f16Table[w[i+2]] * x[i+2]
		s3 += f16Table[w[i+3]] * x[i+3]
	}
	for ; i < len(w); i++ {
		s0 += f16Table[w[i]] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
