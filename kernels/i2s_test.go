package kernels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// i2sCase builds rows I2_S rows of K elements (codes 0..2, or 0..3 with
// code3) and T activation rows, placed at byte offset off.
func i2sCase(rng *rand.Rand, rows, K, T, off int, qmode string) ([]byte, []int8) {
	wbuf := make([]byte, off+rows*K/4)
	w := wbuf[off:]
	for i := range w {
		w[i] = byte(rng.IntN(3)<<6 | rng.IntN(3)<<4 | rng.IntN(3)<<2 | rng.IntN(3))
	}
	qbuf := make([]int8, off+T*K)
	q := qbuf[off:]
	for i := range q {
		switch qmode {
		case "min":
			q[i] = -128
		case "max":
			q[i] = 127
		case "zero":
			q[i] = 0
		case "extreme":
			q[i] = []int8{-128, 127}[rng.IntN(2)]
		default:
			q[i] = int8(rng.IntN(256) - 128)
		}
	}
	return w, q
}

func TestI2SEquivalence(t *testing.T) {
	type shape struct{ rows, K, T int }
	shapes := []shape{{1, 128, 1}, {3, 128, 2}, {4, 256, 4}, {5, 384, 5}, {7, 640, 3}, {8, 1280, 9}, {17, 256, 7}, {13, 2560, 1}, {9, 6912, 6}, {16, 2560, 17}}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes {
			for _, qmode := range []string{"rand", "min", "max", "zero", "extreme"} {
				for off := range 4 {
					name := fmt.Sprintf("rows=%d,K=%d,T=%d,q=%s,off=%d", s.rows, s.K, s.T, qmode, off)
					w, q := i2sCase(rng, s.rows, s.K, s.T, off, qmode)
					if qmode == "extreme" && off == 0 {
						// All-ones codes give the extreme sums ±128·K.
						for i := range w {
							w[i] = []byte{0x00, 0xaa}[rng.IntN(2)]
						}
					}
					w0, q0 := slices.Clone(w), slices.Clone(q)
					qsum := make([]int32, s.T)
					for tk := range s.T {
						qsum[tk] = SumI8(q[tk*s.K : (tk+1)*s.K])
					}
					ldo := s.rows + off
					out, check := guardedI32(t, (s.T-1)*ldo+s.rows)
					MatMulI2S(out, ldo, w, s.rows, s.K, q, qsum)
					check()
					for r := range s.rows {
						row := w[r*s.K/4 : (r+1)*s.K/4]
						for tk := range s.T {
							want := i2sDotGeneric(row, q[tk*s.K:(tk+1)*s.K])
							if got := out[tk*ldo+r]; got != want {
								t.Fatalf("%s: MatMulI2S row %d token %d = %d, want %d", name, r, tk, got, want)
							}
							if got := DotI2S(row, q[tk*s.K:(tk+1)*s.K]); got != want {
								t.Fatalf("%s: DotI2S row %d token %d = %d, want %d", name, r, tk, got, want)
							}
						}
					}
					mv, check2 := guardedI32(t, s.rows)
					MatVecI2S(mv, w, q[:s.K])
					check2()
					for r := range s.rows {
						if want := i2sDotGeneric(w[r*s.K/4:(r+1)*s.K/4], q[:s.K]); mv[r] != want {
							t.Fatalf("%s: MatVecI2S row %d = %d, want %d", name, r, mv[r], want)
						}
					}
					if !bytes.Equal(w, w0) || !slices.Equal(q, q0) {
						t.Fatalf("%s: inputs modified", name)
					}
				}
			}
		}
	})
}

// TestI2STileEdges sweeps rows and tokens from 1 to 9 so that every
// remainder of the 4-row and 4-token tiles (and the 1-row and 1-token
// tails) meets random codes and the extreme activations.
func TestI2STileEdges(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, K := range []int{128, 384} {
			for rows := 1; rows <= 9; rows++ {
				for T := 1; T <= 9; T++ {
					qmode := []string{"rand", "extreme", "min", "max"}[(rows+T)%4]
					w, q := i2sCase(rng, rows, K, T, 0, qmode)
					qsum := make([]int32, T)
					for tk := range T {
						qsum[tk] = SumI8(q[tk*K : (tk+1)*K])
					}
					want := make([]int32, T*rows)
					i2sMatMulGeneric(want, rows, w, rows, K, q, qsum)
					got, check := guardedI32(t, T*rows)
					MatMulI2S(got, rows, w, rows, K, q, qsum)
					check()
					if !slices.Equal(got, want) {
						t.Fatalf("K=%d rows=%d T=%d q=%s: MatMulI2S = %v, want %v", K, rows, T, qmode, got, want)
					}
				}
			}
		}
	})
}

// TestI2SAccumulatorBound drives every int16 lane of the AVX2 tile to its
// largest magnitude: codes 2 or 3 everywhere and activations of −128 over
// K = 6912 (54 blocks, so six full 8-block flushes and a partial one), for
// token counts that reach the tile and its token tail.
func TestI2SAccumulatorBound(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, code := range []byte{0xaa, 0xff} {
			for _, T := range []int{4, 5, 8} {
				const rows, K = 3, 6912
				w := bytes.Repeat([]byte{code}, rows*K/4)
				q := make([]int8, T*K)
				for i := range q {
					q[i] = -128
				}
				qsum := make([]int32, T)
				for tk := range T {
					qsum[tk] = SumI8(q[tk*K : (tk+1)*K])
				}
				want := make([]int32, T*rows)
				i2sMatMulGeneric(want, rows, w, rows, K, q, qsum)
				got := make([]int32, T*rows)
				MatMulI2S(got, rows, w, rows, K, q, qsum)
				if !slices.Equal(got, want) {
					t.Fatalf("codes %#x T=%d: MatMulI2S = %v, want %v", code, T, got, want)
				}
			}
		}
	})
}

// TestI2SAllCodes checks every code (including 3, which models reject but
// the kernels must treat identically) at every bit position.
func TestI2SAllCodes(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for c := range 4 {
			for pos := range 4 {
				w := make([]byte, 64)
				for i := range w {
					w[i] = 0x55 // code 1 (t = 0) everywhere
				}
				q := make([]int8, 256)
				for i := range q {
					q[i] = int8(i - 128)
				}
				for i := range w {
					w[i] = w[i]&^(3<<(2*pos)) | byte(c)<<(2*pos)
				}
				want := i2sDotGeneric(w, q)
				if got := DotI2S(w, q); got != want {
					t.Fatalf("code %d at pair %d: got %d want %d", c, pos, got, want)
				}
			}
		}
	})
}

func FuzzI2S(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint8(3), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, rows8, nblk8, T8 uint8) {
		rows, K, T := int(rows8%9)+1, (int(nblk8%6)+1)*128, int(T8%6)+1
		rng := rand.New(rand.NewPCG(uint64(len(data)), 7))
		w, q := i2sCase(rng, rows, K, T, 0, "rand")
		for i, b := range data {
			if i < len(w) {
				w[i] = b
			} else if i-len(w) < len(q) {
				q[i-len(w)] = int8(b)
			}
		}
		qsum := make([]int32, T)
		for tk := range T {
			qsum[tk] = SumI8(q[tk*K : (tk+1)*K])
		}
		want := make([]int32, T*rows)
		i2sMatMulGeneric(want, rows, w, rows, K, q, qsum)
		forEachImpl(t, func(t *testing.T) {
			got := make([]int32, T*rows)
			MatMulI2S(got, rows, w, rows, K, q, qsum)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v want %v", got, want)
			}
		})
	})
}

func BenchmarkMatVecI2S(b *testing.B) {
	const rows, K = 2560, 6912 // ffn_down of 2B-4T: 4.4 MB, beyond L2
	rng := rand.New(rand.NewPCG(1, 1))
	w, q := i2sCase(rng, rows, K, 1, 0, "rand")
	out := make([]int32, rows)
	benchImpls(b, func(b *testing.B) {
		b.SetBytes(int64(len(w)))
		for b.Loop() {
			MatVecI2S(out, w, q)
		}
	})
}

func BenchmarkMatMulI2S(b *testing.B) {
	const rows, K, T = 512, 2560, 128 // one prefill chunk, weights in cache
	rng := rand.New(rand.NewPCG(1, 1))
	w, q := i2sCase(rng, rows, K, T, 0, "rand")
	qsum := make([]int32, T)
	out := make([]int32, rows*T)
	benchImpls(b, func(b *testing.B) {
		for b.Loop() {
			MatMulI2S(out, rows, w, rows, K, q, qsum)
		}
		b.ReportMetric(float64(rows*K*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
}

// benchImpls runs f as a sub-benchmark per available implementation.
func benchImpls(b *testing.B, f func(b *testing.B)) {
	names, avail := Implementations()
	defer Select("auto")
	for i, name := range names {
		if !avail[i] {
			continue
		}
		b.Run(name, func(b *testing.B) {
			if err := Select(name); err != nil {
				b.Fatal(err)
			}
			f(b)
		})
	}
}
