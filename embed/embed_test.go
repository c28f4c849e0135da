package embed

import (
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestNormalizeWorkedExample uses the worked example of spec §10.9.
func TestNormalizeWorkedExample(t *testing.T) {
	cases := []struct {
		mode int
		want []float64
		tol  float64
	}{
		{-1, []float64{1, -2, 0.5}, 0},
		{0, []float64{16380, -32760, 8190}, 1e-3},
		{1, []float64{0.2857143, -0.5714286, 0.1428571}, 1e-7},
		{2, []float64{0.43643579, -0.87287158, 0.21821789}, 1e-7},
		// p = 3: S = (1 + 8 + 0.125)^(1/3) = 2.0896...
		{3, []float64{1 / math.Cbrt(9.125), -2 / math.Cbrt(9.125), 0.5 / math.Cbrt(9.125)}, 1e-6},
	}
	for _, c := range cases {
		x := []float32{1, -2, 0.5}
		if err := Normalize(x, c.mode); err != nil {
			t.Fatalf("mode %d: %v", c.mode, err)
		}
		for i := range x {
			if !near(float64(x[i]), c.want[i], c.tol) {
				t.Errorf("mode %d: x[%d] = %v, want %v", c.mode, i, x[i], c.want[i])
			}
		}
	}
	if err := Normalize([]float32{1}, -2); err == nil {
		t.Error("mode -2: no error")
	}
	z := []float32{0, 0}
	if err := Normalize(z, 2); err != nil || z[0] != 0 || z[1] != 0 {
		t.Errorf("zero vector: %v %v", z, err)
	}
}

func TestTruncate(t *testing.T) {
	x := []float32{3, 4, 12}
	got, err := Truncate(x, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !near(float64(got[0]), 0.6, 1e-7) || !near(float64(got[1]), 0.8, 1e-7) {
		t.Errorf("Truncate = %v, want [0.6 0.8]", got)
	}
	for _, m := range []int{0, -1, 4} {
		if _, err := Truncate([]float32{3, 4, 12}, m, 2); err == nil {
			t.Errorf("dimensions %d: no error", m)
		}
	}
}

// TestSimilarityWorkedExample uses the example of spec §10.11.
func TestSimilarityWorkedExample(t *testing.T) {
	a, b := []float32{1, 0, 1}, []float32{0, 1, 1}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"cosine", Cosine(a, b), 0.5},
		{"dot", Dot(a, b), 1},
		{"euclidean", Euclidean(a, b), -1.4142136},
		{"manhattan", Manhattan(a, b), -2},
		{"cosine both zero", Cosine([]float32{0, 0}, []float32{0, 0}), 1},
		{"cosine one zero", Cosine([]float32{0, 0}, []float32{1, 0}), 0},
	} {
		if !near(c.got, c.want, 1e-7) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestBase64 uses the two encodings given in spec §10.12.
func TestBase64(t *testing.T) {
	if got := EncodeBase64([]float32{1, -2, 0.5}); got != "AACAPwAAAMAAAAA/" {
		t.Errorf("EncodeBase64 = %q, want AACAPwAAAMAAAAA/", got)
	}
	x := []float32{1, -2, 0.5}
	if err := Normalize(x, 2); err != nil {
		t.Fatal(err)
	}
	if got := EncodeBase64(x); got != "g3TfPoN0X7+DdF8+" {
		t.Errorf("EncodeBase64(normalized) = %q, want g3TfPoN0X7+DdF8+", got)
	}
	back, err := DecodeBase64("AACAPwAAAMAAAAA/")
	if err != nil || len(back) != 3 || back[0] != 1 || back[1] != -2 || back[2] != 0.5 {
		t.Errorf("DecodeBase64 = %v, %v", back, err)
	}
	if _, err := DecodeBase64("AACA"); err == nil {
		t.Error("3-byte payload: no error")
	}
}

func TestPool(t *testing.T) {
	rows := [][]float32{{1, 2}, {3, 4}, {5, 9}}
	for _, c := range []struct {
		p    Pooling
		want []float32
	}{
		{PoolingMean, []float32{3, 5}},
		{PoolingCLS, []float32{1, 2}},
		{PoolingLast, []float32{5, 9}},
	} {
		got, err := Pool(rows, c.p)
		if err != nil || got[0] != c.want[0] || got[1] != c.want[1] {
			t.Errorf("pooling %d = %v, %v; want %v", c.p, got, err, c.want)
		}
	}
	for _, p := range []Pooling{PoolingNone, PoolingRank} {
		if _, err := Pool(rows, p); err == nil {
			t.Errorf("pooling %d: no error", p)
		}
	}
	if _, err := Pool([][]float32{{1}, {1, 2}}, PoolingMean); err == nil {
		t.Error("ragged rows: no error")
	}
	if _, err := Pool(nil, PoolingLast); err == nil {
		t.Error("no rows: no error")
	}
}

// TestDefaultPooling follows the three steps of the rule in spec §10.9.
func TestDefaultPooling(t *testing.T) {
	U := PoolingUnspecified
	for _, c := range []struct {
		req, decl      Pooling
		normIn, follow bool
		want           Pooling
		wantOverridden bool
	}{
		{PoolingCLS, PoolingMean, true, false, PoolingCLS, false}, // 1. request wins
		{U, PoolingMean, true, false, PoolingLast, true},          // 2. BitNet file declaring MEAN
		{U, U, true, false, PoolingLast, false},                   // 2. BitNet file without the key
		{U, PoolingMean, false, false, PoolingMean, false},        // 3. teacher: the file's value
		{U, U, false, false, PoolingLast, false},                  // 3. absent → LAST
		{U, PoolingMean, true, true, PoolingMean, false},          // the switch: follow the file
	} {
		got, ov := DefaultPooling(c.req, c.decl, c.normIn, c.follow)
		if got != c.want || ov != c.wantOverridden {
			t.Errorf("DefaultPooling(%d, %d, %v, %v) = %d, %v; want %d, %v",
				c.req, c.decl, c.normIn, c.follow, got, ov, c.want, c.wantOverridden)
		}
	}
}

// FuzzNormalize checks that a finite, non-zero input never gives NaN and
// that L2 normalization gives unit norm.
func FuzzNormalize(f *testing.F) {
	f.Add(float32(1), float32(-2), float32(0.5), 2)
	f.Add(float32(1e-30), float32(0), float32(3e38), 0)
	f.Add(float32(-7), float32(7), float32(7), 5)
	f.Add(float32(1e-45), float32(0), float32(0), 2)
	f.Fuzz(func(t *testing.T, a, b, c float32, mode int) {
		x := []float32{a, b, c}
		for _, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return
			}
		}
		if a == 0 && b == 0 && c == 0 {
			return
		}
		mode = mode%8 - 1 // −1 … 6
		if mode < -1 {
			mode += 8
		}
		if err := Normalize(x, mode); err != nil {
			t.Fatal(err)
		}
		for i, v := range x {
			if math.IsNaN(float64(v)) {
				t.Fatalf("mode %d: x[%d] is NaN", mode, i)
			}
		}
		if n := math.Sqrt(Dot(x, x)); mode == 2 && !near(n, 1, 1e-5) {
			t.Fatalf("L2 norm %v, want 1", n)
		}
	})
}

func TestParsePooling(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Pooling
	}{{"none", PoolingNone}, {"MEAN", PoolingMean}, {"cls", PoolingCLS}, {"Last", PoolingLast}, {"rank", PoolingRank}} {
		got, err := ParsePooling(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePooling(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s := tt.want.String(); !strings.EqualFold(s, tt.in) {
			t.Errorf("%d.String() = %q, want %q", tt.want, s, strings.ToLower(tt.in))
		}
	}
	if _, err := ParsePooling("max"); err == nil || !strings.Contains(err.Error(), `"max"`) {
		t.Errorf("ParsePooling(\"max\"): error %v, want one naming \"max\"", err)
	}
	if s := PoolingUnspecified.String(); s != "unspecified" {
		t.Errorf("PoolingUnspecified.String() = %q", s)
	}
}
