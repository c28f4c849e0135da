//go:build !noasm

package kernels

// dotU8I8x4SDOT: out[i] = Σ_{k < 64·n64} a[k]·w[i·stride+k] for i < 4
// (see matVecU8I8Generic), as Σ (a[k]−128)·w + 128·Σ w with SDOT.
//
//go:noescape
func dotU8I8x4SDOT(w *int8, stride int, a *byte, n64 int, out *[4]int32)

// dotU8I8x4NEON is dotU8I8x4SDOT with SMULL/SMULL2/SADALP.
//
//go:noescape
func dotU8I8x4NEON(w *int8, stride int, a *byte, n64 int, out *[4]int32)

func matVecU8I8(out []int32, w []int8, a []byte) {
	K := len(a)
	if !useNEON || K < 64 {
		matVecU8I8Generic(out, w, a)
		return
	}
	n64 := K / 64
	k0 := 64 * n64
	rows := len(out)
	_ = w[rows*K-1]
	sdot := useSDOT
	r := 0
	for ; r+4 <= rows; r += 4 {
		var acc [4]int32
		if sdot {
			dotU8I8x4SDOT(&w[r*K], K, &a[0], n64, &acc)
		} else {
			dotU8I8x4NEON(&w[r*K], K, &a[0], n64, &acc)
		}
		if k0 < K {
			tail := a[k0:K]
			for i := range 4 {
				row := w[(r+i)*K+k0 : (r+i+1)*K]
				for k, v := range row {
					acc[i] += int32(tail[k]) * int32(v)
				}
			}
		}
		copy(out[r:r+4], acc[:])
	}
	if r < rows {
		matVecU8I8Generic(out[r:], w[r*K:], a)
	}
}
