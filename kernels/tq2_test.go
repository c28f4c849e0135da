package kernels

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// tq2Edge are f16 block scales at the edges of the format: zeros,
// subnormals, the largest finite values, infinities and NaNs (quiet and
// signalling).
var tq2Edge = []uint16{0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0xbc00, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x7c01}

// tq2Case builds rows TQ2_0 rows of K elements (random bytes: every code,
// 3 included) and T Q8_K activation rows (q and their scales da), w and q
// placed at byte offset off. dmode "edge" draws the weight and activation
// scales from extreme values instead of ordinary ones.
func tq2Case(rng *rand.Rand, rows, K, T, off int, qmode, dmode string) ([]byte, []int8, []float32) {
	nb := K / 256
	w := make([]byte, off+rows*nb*66)[off:]
	for r := range rows * nb {
		blk := w[r*66 : r*66+66]
		for i := range 64 {
			blk[i] = byte(rng.IntN(256))
		}
		d := F32ToF16(float32(rng.Float64()*0.1 + 0.001))
		if dmode == "edge" {
			d = tq2Edge[rng.IntN(len(tq2Edge))]
		}
		blk[64], blk[65] = byte(d), byte(d>>8)
	}
	x := make([]float32, T*K)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	q := make([]int8, off+T*K)[off:]
	da := make([]float32, T*nb)
	QuantizeQ8K(x, q, da)
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
		}
	}
	if dmode == "edge" {
		for i := range da {
			da[i] = []float32{0, 1e-45, 1e-38, 1, -1, 3e38, float32(math.Inf(1))}[rng.IntN(7)]
		}
	}
	return w, q, da
}

const guardF32 = 0x7fa5a5a5 // a signalling NaN no kernel produces

// guardedF32 returns a slice of n float32 surrounded by guard values, and a
// check function.
func guardedF32(t *testing.T, n int) ([]float32, func()) {
	buf := make([]float32, n+16)
	for i := range buf {
		buf[i] = math.Float32frombits(guardF32)
	}
	return buf[8 : 8+n : 8+n], func() {
		t.Helper()
		for i := range 8 {
			if math.Float32bits(buf[i]) != guardF32 || math.Float32bits(buf[8+n+i]) != guardF32 {
				t.Fatalf("guard value overwritten")
			}
		}
	}
}

// sameBits reports whether a and b have the same bits, any two NaNs
// counting as equal: which NaN an operation on two NaNs returns depends on
// the operand order the compiler picks (Go leaves it unspecified, and a
// fuzzing build of the reference itself differs from a normal one).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestTQ2Equivalence: the integer block sums are exact and the float
// scaling runs the same float32 operations in the same order, so every
// implementation must match the generic reference bit for bit (no
// tolerance), NaNs and infinities included.
func TestTQ2Equivalence(t *testing.T) {
	type shape struct{ rows, K, T int }
	shapes := []shape{{1, 256, 1}, {3, 256, 2}, {4, 256, 4}, {5, 512, 5}, {7, 768, 3}, {8, 1280, 9},
		{17, 256, 7}, {13, 2560, 1}, {9, 6912, 6}, {16, 2560, 17}, {33, 512, 8}, {20, 1024, 4}, {2, 256 * 70, 5}, {61, 256 * 70, 9},
		{48, 6912, 24}, {35, 1280, 40}, {32, 32768, 40}, {300, 512, 16}, {3, 256 * 129, 2}}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range shapes {
			nb := s.K / 256
			for _, qmode := range []string{"rand", "min", "max", "zero", "extreme"} {
				for _, dmode := range []string{"rand", "edge"} {
					for off := range 4 {
						name := fmt.Sprintf("rows=%d,K=%d,T=%d,q=%s,d=%s,off=%d", s.rows, s.K, s.T, qmode, dmode, off)
						w, q, da := tq2Case(rng, s.rows, s.K, s.T, off, qmode, dmode)
						w0, q0, da0 := slices.Clone(w), slices.Clone(q), slices.Clone(da)
						ldo := s.rows + off
						out, check := guardedF32(t, (s.T-1)*ldo+s.rows)
						MatMulTQ2(out, ldo, w, s.rows, s.K, s.T, q, da)
						check()
						mv, check2 := guardedF32(t, s.rows)
						MatVecTQ2(mv, w, q[:s.K], da[:nb])
						check2()
						for r := range s.rows {
							row := w[r*nb*66 : (r+1)*nb*66]
							for tk := range s.T {
								qt, dt := q[tk*s.K:(tk+1)*s.K], da[tk*nb:(tk+1)*nb]
								want := dotTQ2Generic(row, qt, dt)
								if got := out[tk*ldo+r]; !sameBits(got, want) {
									t.Fatalf("%s: MatMulTQ2 row %d token %d = %v (%#x), want %v (%#x)", name, r, tk, got, math.Float32bits(got), want, math.Float32bits(want))
								}
								if tk == 0 {
									if got := mv[r]; !sameBits(got, want) {
										t.Fatalf("%s: MatVecTQ2 row %d = %v, want %v", name, r, got, want)
									}
									if got := DotTQ2Q8K(row, qt, dt); !sameBits(got, want) {
										t.Fatalf("%s: DotTQ2Q8K row %d = %v, want %v", name, r, got, want)
									}
								}
							}
						}
						if !bytes.Equal(w, w0) || !slices.Equal(q, q0) || !slices.Equal(da, da0) {
							t.Fatalf("%s: inputs modified", name)
						}
					}
				}
			}
		}
	})
}

// TestTQ2AllCodes checks every code (3 included, which ggml's reference
// treats as t = 2) at every bit position of both halves of a block, in the
// 4×4 tile and in the mat-vec.
func TestTQ2AllCodes(t *testing.T) {
	const K, T, rows = 512, 4, 5
	forEachImpl(t, func(t *testing.T) {
		for c := range 4 {
			for pos := range 4 {
				for half := range 2 {
					w := make([]byte, rows*2*66)
					for i := range w {
						w[i] = 0x55 // code 1 (t = 0) everywhere
					}
					for r := range rows {
						for b := range 2 {
							blk := w[(r*2+b)*66:]
							for i := 32 * half; i < 32*half+32; i++ {
								blk[i] = blk[i]&^(3<<(2*pos)) | byte(c)<<(2*pos)
							}
							blk[64], blk[65] = 0x00, 0x3c // d = 1
						}
					}
					q := make([]int8, T*K)
					for i := range q {
						q[i] = int8(i*7 - 128)
					}
					da := []float32{1, 0.5, 2, 0.25, 1, -1, 3, 0.125}
					out := make([]float32, T*rows)
					MatMulTQ2(out, rows, w, rows, K, T, q, da)
					for r := range rows {
						for tk := range T {
							want := dotTQ2Generic(w[r*132:(r+1)*132], q[tk*K:(tk+1)*K], da[2*tk:2*tk+2])
							if got := out[tk*rows+r]; !sameBits(got, want) {
								t.Fatalf("code %d at pair %d of half %d, row %d token %d: got %v want %v", c, pos, half, r, tk, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// TestTQ2Panics: the exported products reject inconsistent sizes.
func TestTQ2Panics(t *testing.T) {
	w := make([]byte, 2*66)
	q := make([]int8, 2*256)
	da := make([]float32, 2)
	out := make([]float32, 4)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"K not a multiple of 256", func() { MatMulTQ2(out, 1, w, 1, 128, 1, q, da) }},
		{"short weights", func() { MatMulTQ2(out, 2, w, 3, 256, 1, q, da) }},
		{"short activations", func() { MatMulTQ2(out, 1, w, 1, 256, 3, q, da) }},
		{"short scales", func() { MatMulTQ2(out, 1, w, 1, 512, 1, q, da[:1]) }},
		{"ldo < rows", func() { MatMulTQ2(out, 1, w, 2, 256, 2, q, da) }},
		{"short out", func() { MatMulTQ2(out[:2], 2, w, 2, 256, 2, q, da) }},
		{"mat-vec short weights", func() { MatVecTQ2(out[:3], w, q[:256], da) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
	// Empty products do nothing (K = 0 gives zeros).
	MatMulTQ2(nil, 0, nil, 0, 256, 3, make([]int8, 3*256), make([]float32, 3))
	out[0] = 1
	MatMulTQ2(out, 1, nil, 1, 0, 1, nil, nil)
	if out[0] != 0 {
		t.Errorf("K = 0: out[0] = %v, want 0", out[0])
	}
}

func FuzzTQ2(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint8(3), uint8(1), uint8(2))
	f.Add([]byte{0xff, 0x7c, 0x01, 0x80}, uint8(16), uint8(2), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, rows8, nblk8, T8 uint8) {
		rows, K, T := int(rows8%21)+1, (int(nblk8%5)+1)*256, int(T8%9)+1
		rng := rand.New(rand.NewPCG(uint64(len(data)), 7))
		w, q, da := tq2Case(rng, rows, K, T, 0, "rand", "rand")
		for i, b := range data {
			if i < len(w) {
				w[i] = b
			} else if i-len(w) < len(q) {
				q[i-len(w)] = int8(b)
			}
		}
		want := make([]float32, T*rows)
		tq2MatMulGeneric(want, rows, w, rows, K, T, q, da)
		forEachImpl(t, func(t *testing.T) {
			got := make([]float32, T*rows)
			MatMulTQ2(got, rows, w, rows, K, T, q, da)
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("output %d: got %v (%#x) want %v (%#x)", i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		})
	})
}

func BenchmarkMatVecTQ2(b *testing.B) {
	for _, s := range []struct {
		name            string
		rows, K, copies int
	}{
		{"ffn_down", 2560, 6912, 1},       // 2B-4T: 4.6 MB, beyond L2
		{"wo", 2560, 2560, 1},             // 1.7 MB
		{"ffn_down_dram", 2560, 6912, 24}, // 110 MB, streamed from DRAM as in decoding
		{"wo_dram", 2560, 2560, 64},       // 108 MB of short rows
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		w, q, da := tq2Case(rng, s.rows, s.K, 1, 0, "rand", "rand")
		ws := slices.Repeat(w, s.copies)
		out := make([]float32, s.rows)
		b.Run(s.name, func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(len(ws)))
				for b.Loop() {
					for c := range s.copies {
						MatVecTQ2(out, ws[c*len(w):(c+1)*len(w)], q, da)
					}
				}
			})
		})
	}
}

func BenchmarkMatMulTQ2(b *testing.B) {
	for _, s := range []struct {
		name       string
		rows, K, T int
	}{
		{"512x2560", 512, 2560, 128},       // as BenchmarkMatMulI2S: weights in L2
		{"ffn_down", 2560, 6912, 128},      // 2B-4T ffn_down, one prompt of 128
		{"ffn_down_dram", 2560, 6912, 128}, // the same with cold weights (24 copies)
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		w, q, da := tq2Case(rng, s.rows, s.K, s.T, 0, "rand", "rand")
		copies := 1
		if strings.HasSuffix(s.name, "_dram") {
			copies = 24
		}
		ws := slices.Repeat(w, copies)
		out := make([]float32, s.rows*s.T)
		b.Run(s.name, func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				c := 0
				for b.Loop() {
					MatMulTQ2(out, s.rows, ws[c*len(w):(c+1)*len(w)], s.rows, s.K, s.T, q, da)
					c = (c + 1) % copies
				}
				b.ReportMetric(float64(s.rows*s.K*s.T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}
