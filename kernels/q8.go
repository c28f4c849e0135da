package kernels

import "fmt"

// The q8 head (bitnet --head q8): the f16 output matrix quantized at load
// to int8 with one float32 scale per row, multiplied by the int8-quantized
// final activations. VPDPBUSD multiplies unsigned by signed bytes, so the
// activations are offset by 128 (a = q + 128, stored as bytes) and the
// offset is removed with the row sums of the weights:
//
//	Σ q_k·w_k = Σ a_k·w_k − 128·Σ w_k

// MatVecU8I8 sets out[r] = Σ_k a[k]·w[r·K+k] for r < len(out), K = len(a):
// unsigned activations times signed weights, accumulated in int32.
func MatVecU8I8(out []int32, w []int8, a []byte) {
	K := len(a)
	if len(w) < len(out)*K {
		panic(fmt.Sprintf("kernels: MatVecU8I8: len(w) = %d < rows·K = %d·%d", len(w), len(out), K))
	}
	if len(out) == 0 {
		return
	}
	matVecU8I8(out, w, a)
}

// OffsetU8 stores q[k]+128 into a[k] (the unsigned form MatVecU8I8 takes).
func OffsetU8(a []byte, q []int8) {
	a = a[:len(q)]
	for i, v := range q {
		a[i] = byte(v) ^ 0x80
	}
}

func matVecU8I8Generic(out []int32, w []int8, a []byte) {
	K := len(a)
	for r := range out {
		row := w[r*K : (r+1)*K : (r+1)*K]
		var s0, s1, s2, s3 int32
		k := 0
		for ; k+4 <= K; k += 4 {
			s0 += int32(a[k]) * int32(row[k])
			s1 += int32(a[k+1]) * int32(row[k+1])
			s2 += int32(a[k+2]) * int32(row[k+2])
			s3 += int32(a[k+3]) * int32(row[k+3])
		}
		for ; k < K; k++ {
			s0 += int32(a[k]) * int32(row[k])
		}
		out[r] = s0 + s1 + s2 + s3
	}
}
