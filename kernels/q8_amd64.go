//go:build !noasm

package kernels

// dotU8I8x4VNNI: out[i] = Σ_{k < 64·n64} a[k]·w[i·stride+k] for i < 4
// (see matVecU8I8Generic).
//
//go:noescape
func dotU8I8x4VNNI(w *int8, stride int, a *byte, n64 int, out *[4]int32)

// dotU8I8x4AVX2: out[i] = Σ_{k < 16·n16} a[k]·w[i·stride+k] for i < 4,
// through int16 (VPMADDWD).
//
//go:noescape
func dotU8I8x4AVX2(w *int8, stride int, a *byte, n16 int, out *[4]int32)

func matVecU8I8(out []int32, w []int8, a []byte) {
	K := len(a)
	step := 64
	if !useVNNI {
		step = 16
	}
	if !useAVX2 || K < step {
		matVecU8I8Generic(out, w, a)
		return
	}
	n := K / step
	done := n * step
	rows := len(out)
	_ = w[rows*K-1]
	r := 0
	for ; r+4 <= rows; r += 4 {
		var acc [4]int32
		if useVNNI {
			dotU8I8x4VNNI(&w[r*K], K, &a[0], n, &acc)
		} else {
			dotU8I8x4AVX2(&w[r*K], K, &a[0], n, &acc)
		}
		copy(out[r:r+4], acc[:])
	}
	if done < K {
		for i := range r {
			row := w[i*K+done : (i+1)*K]
			var s int32
			for k, v := range row {
				s += int32(a[done+k]) * int32(v)
			}
			out[i] += s
		}
	}
	if r < rows {
		matVecU8I8Generic(out[r:], w[r*K:], a)
	}
}
