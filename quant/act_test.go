package quant

import (
	"math"
	"slices"
	"testing"
)

// TestQuantizeActI8Worked is the example of spec §4.3.
func TestQuantizeActI8Worked(t *testing.T) {
	x := []float32{0.5, -1.27, 0.003, 1.0}
	q := make([]int8, 4)
	s, sum := QuantizeActI8(x, q)
	if want := float32(127 / float64(float32(1.27))); s != want || s != 100 {
		t.Errorf("scale = %v, want %v (= 100)", s, want)
	}
	if want := []int8{50, -127, 0, 100}; !slices.Equal(q, want) {
		t.Errorf("q = %v, want %v", q, want)
	}
	if sum != 23 {
		t.Errorf("sum = %d, want 23", sum)
	}
	// Σ t·q for t = [+1, −1, 0, +1] is 277; y = 277/s·β.
	tern := []int8{1, -1, 0, 1}
	var acc int32
	for i := range q {
		acc += int32(tern[i]) * int32(q[i])
	}
	if acc != 277 {
		t.Errorf("Σ t·q = %d, want 277", acc)
	}
	if y := float32(acc) / s * 0.0234375; math.Abs(float64(y)-0.064921875) > 1e-8 {
		t.Errorf("y = %v, want 0.064921875", y)
	}
}

func TestQuantizeActI8(t *testing.T) {
	tests := []struct {
		name  string
		x     []float32
		scale float32
		q     []int8
	}{
		// s = 1: x·s lands on halves; ties go to even.
		{"ties", []float32{127, 0.5, 1.5, 2.5, -0.5, -2.5, -127}, 1, []int8{127, 0, 2, 2, 0, -2, -127}},
		{"zeros", []float32{0, 0}, float32(127 / 1e-5), []int8{0, 0}},
		{"tiny", []float32{1e-6, -1e-6}, float32(127 / 1e-5), []int8{13, -13}},
		{"empty", nil, float32(127 / 1e-5), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := make([]int8, len(tt.x))
			s, sum := QuantizeActI8(tt.x, q)
			var want int32
			for _, v := range tt.q {
				want += int32(v)
			}
			if s != tt.scale || !slices.Equal(q, tt.q) || sum != want {
				t.Errorf("QuantizeActI8(%v) = %v, %v, %d; want %v, %v, %d", tt.x, s, q, sum, tt.scale, tt.q, want)
			}
		})
	}
}

func TestNearestInt(t *testing.T) {
	for _, tt := range []struct {
		in   float32
		want int32
	}{{0.5, 0}, {1.5, 2}, {-0.5, 0}, {-1.5, -2}, {2.5000002, 3}, {126.99999, 127}, {-128.4, -128}, {4194303, 4194303}} {
		if got := nearestInt(tt.in); got != tt.want {
			t.Errorf("nearestInt(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestQuantizeActQ8K(t *testing.T) {
	x := make([]float32, 3*QKK)
	// Block 0: the largest magnitude is negative.
	x[0], x[1], x[2] = 1, -2, 0.0078125
	// Block 1: ±2 tie; the first one (positive) is max, so iscale < 0.
	x[QKK], x[QKK+1] = 2, -2
	// Block 2 stays zero.
	q := make([]int8, len(x))
	d := make([]float32, 3)
	QuantizeActQ8K(x, q, d)
	// iscale = −127/−2 = 63.5: 1 → 63.5 → 64 (even), −2 → −127, 0.0078125 → 0.496 → 0.
	if got := q[:3]; !slices.Equal(got, []int8{64, -127, 0}) {
		t.Errorf("block 0 q = %v, want [64 -127 0]", got)
	}
	if d[0] != 1/float32(63.5) {
		t.Errorf("d[0] = %v, want %v", d[0], 1/float32(63.5))
	}
	// iscale = −63.5: 2 → −127, −2 → 127.
	if got := q[QKK : QKK+2]; !slices.Equal(got, []int8{-127, 127}) {
		t.Errorf("block 1 q = %v, want [-127 127]", got)
	}
	if d[1] != 1/float32(-63.5) {
		t.Errorf("d[1] = %v, want %v", d[1], 1/float32(-63.5))
	}
	if d[2] != 0 {
		t.Errorf("d[2] = %v, want 0", d[2])
	}
	for _, v := range q[2*QKK:] {
		if v != 0 {
			t.Fatal("zero block has nonzero q")
		}
	}
	bs := make([]int16, len(q)/16)
	Q8KBlockSums(q, bs)
	if bs[0] != 64-127 || bs[QKK/16] != 0 || bs[1] != 0 {
		t.Errorf("bsums = %v", bs[:2])
	}
}

func TestTernarize(t *testing.T) {
	tests := []struct {
		name string
		w    []float32
		beta float32
		t    []int8
	}{
		{"basic", []float32{1, -1, 0.5, 0}, 0.625, []int8{1, -1, 1, 0}},
		{"half to even", []float32{0.5, 1.5, -0.5, -1.5}, 1, []int8{0, 1, 0, -1}},
		{"clamp", []float32{10, 0, 0, 0, -10}, 4, []int8{1, 0, 0, 0, -1}},
		{"zeros", []float32{0, 0}, 1e-5, []int8{0, 0}},
		{"empty", nil, 1e-5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]int8, len(tt.w))
			beta := Ternarize(tt.w, got)
			if beta != tt.beta || !slices.Equal(got, tt.t) {
				t.Errorf("Ternarize(%v) = %v, %v; want %v, %v", tt.w, beta, got, tt.beta, tt.t)
			}
		})
	}
}
