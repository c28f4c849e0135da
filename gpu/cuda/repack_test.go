package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/bitnet-go/bitnet/kernels"
)

// TestRepackI2S checks the GPU layout against the CPU definition: for
// random rows with all four 2-bit codes, and activations including −128,
// 0 and 127, the kernel's decode of the repacked row gives the same
// integer as kernels.DotI2S on the I2_S row.
func TestRepackI2S(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ rows, K int }{{1, 128}, {3, 256}, {17, 640}, {5, 2560}, {2, 6912}} {
		src := make([]byte, tc.rows*tc.K/4)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		dst := make([]uint32, tc.rows*tc.K/16)
		RepackI2S(dst, src, tc.rows, tc.K)
		q := make([]int8, tc.K)
		for i := range q {
			switch i % 7 {
			case 0:
				q[i] = -128
			case 1:
				q[i] = 127
			case 2:
				q[i] = 0
			default:
				q[i] = int8(rng.Uint32())
			}
		}
		for n := range tc.rows {
			want := kernels.DotI2S(src[n*tc.K/4:(n+1)*tc.K/4], q)
			got := dotRepacked(dst[n*tc.K/16:(n+1)*tc.K/16], q)
			if got != want {
				t.Errorf("rows %d K %d: row %d: repacked dot = %d, want %d", tc.rows, tc.K, n, got, want)
			}
		}
	}
}

// TestRepackWorkedBytes checks the spec §2.4 worked example: block 0 byte
// 0 = 0x92 holds elements 0, 32, 64, 96 with codes 2, 1, 0, 2.
func TestRepackWorkedBytes(t *testing.T) {
	src := make([]byte, 32)
	for i := range src {
		src[i] = 0x55 // all zeros (code 1)
	}
	src[0] = 0x92
	dst := make([]uint32, 8)
	RepackI2S(dst, src, 1, 128)
	code := func(e int) uint32 {
		m := e % 16
		return dst[e/16] >> (8*(m%4) + 2*(m/4)) & 3
	}
	for e, want := range map[int]uint32{0: 2, 32: 1, 64: 0, 96: 2, 1: 1, 127: 1} {
		if got := code(e); got != want {
			t.Errorf("element %d: code %d, want %d", e, got, want)
		}
	}
}

func BenchmarkRepackI2S(b *testing.B) {
	const rows, K = 2560, 6912 // ffn_down of 2B-4T
	src := make([]byte, rows*K/4)
	dst := make([]uint32, rows*K/16)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		RepackI2S(dst, src, rows, K)
	}
}
