package sample

import (
	"math"
	"slices"
	"testing"
)

func TestLogSoftmax(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float32
	}{
		{"uniform", []float32{1, 1, 1, 1}},
		{"spread", []float32{-3, 0, 2.5, 7}},
		{"large", []float32{1000, 999, -1000}},
		{"one", []float32{42}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := make([]float32, len(tc.x))
			LogSoftmax(tc.x, out)
			var sum float64
			for i, lp := range out {
				if lp > 0 || math.IsNaN(float64(lp)) {
					t.Fatalf("LogSoftmax(%v)[%d] = %v, want a finite value <= 0", tc.x, i, lp)
				}
				sum += math.Exp(float64(lp))
				// Differences of log-probabilities are differences of logits.
				if d, want := out[i]-out[0], tc.x[i]-tc.x[0]; math.Abs(float64(d-want)) > 1e-3 {
					t.Errorf("LogSoftmax(%v): out[%d]-out[0] = %v, want %v", tc.x, i, d, want)
				}
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Errorf("LogSoftmax(%v): probabilities sum to %v, want 1", tc.x, sum)
			}
		})
	}
	// Uniform: every entry is -log n.
	out := make([]float32, 4)
	LogSoftmax([]float32{1, 1, 1, 1}, out)
	if want := float32(-math.Log(4)); math.Abs(float64(out[2]-want)) > 1e-6 {
		t.Errorf("LogSoftmax(uniform 4)[2] = %v, want %v", out[2], want)
	}
}

func TestTopIndices(t *testing.T) {
	v := []float32{0.1, 5, -2, 5, 3, 9, 0}
	for _, tc := range []struct {
		k    int
		want []int32
	}{
		{0, []int32{}},
		{1, []int32{5}},
		{3, []int32{5, 1, 3}},
		{4, []int32{5, 1, 3, 4}},
		{7, []int32{5, 1, 3, 4, 0, 6, 2}},
		{9, []int32{5, 1, 3, 4, 0, 6, 2}},
	} {
		if got := TopIndices(v, tc.k, nil); !slices.Equal(got, tc.want) {
			t.Errorf("TopIndices(%v, %d) = %v, want %v", v, tc.k, got, tc.want)
		}
	}
}
