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

// dotF32F16Generic is the reference of DotF32F16 (the same loop as
// dotF16Generic with the operands swapped).
func dotF32F16Generic(a []float32, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * f16Table[b[i]]
		s1 += a[i+1] * f16Table[b[i+1]]
		s2 += a[i+2] * f16Table[b[i+2]]
		s3 += a[i+3] * f16Table[b[i+3]]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * f16Table[b[i]]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyF16Generic is the reference definition of AxpyF16: the product is
// rounded to float32 before the add. The explicit conversion says so to the
// compiler, which otherwise fuses the two into one FMADD on arm64 (and on
// amd64 with GOAMD64=v3), as the Go spec allows.
func axpyF16Generic(y []float32, a float32, x []uint16) {
	x = x[:len(y)]
	for i := range y {
		y[i] += float32(a * f16Table[x[i]])
	}
}
