package quant

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestF16Example(t *testing.T) {
	// Spec §2.2: 0.0234375 is 0x2600.
	if got := F32ToF16(0.0234375); got != 0x2600 {
		t.Errorf("F32ToF16(0.0234375) = %#04x, want 0x2600", got)
	}
	if got := F16ToF32(0x2600); got != 0.0234375 {
		t.Errorf("F16ToF32(0x2600) = %v, want 0.0234375", got)
	}
}

// f16Value is an independent float64 definition of binary16 decoding.
func f16Value(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return sign * m * math.Pow(2, -24)
	case 31:
		if m != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

func TestF16Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := F16ToF32(h)
		want := f16Value(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(f)) {
				t.Fatalf("F16ToF32(%#04x) = %v, want NaN", h, f)
			}
			// NaN keeps sign and payload; the quiet bit is set.
			if got := F32ToF16(f); got != h|0x0200 {
				t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x, want %#04x", h, got, h|0x0200)
			}
			continue
		}
		if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, f, want)
		}
		if got := F32ToF16(f); got != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, got)
		}
	}
}

// refF32ToF16 rounds f to binary16 by searching the sorted table of all
// non-negative finite halves: nearest value, ties to the even pattern,
// overflow at 65520 (the midpoint past the largest half, 65504).
func refF32ToF16(f float32, table []float64) uint16 {
	a := math.Abs(float64(f))
	var sign uint16
	if math.Signbit(float64(f)) {
		sign = 0x8000
	}
	if a >= 65520 {
		return sign | 0x7c00
	}
	i := sort.SearchFloat64s(table, a) // table[i] >= a
	if table[i] == a {
		return sign | uint16(i)
	}
	lo, hi := i-1, i
	dlo, dhi := a-table[lo], table[hi]-a
	switch {
	case dlo < dhi:
		return sign | uint16(lo)
	case dhi < dlo:
		return sign | uint16(hi)
	case lo%2 == 0:
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

func TestF32ToF16Rounding(t *testing.T) {
	table := make([]float64, 0x7c00+1) // patterns 0..0x7bff, then Inf
	for i := range 0x7c00 {
		table[i] = f16Value(uint16(i))
	}
	table[0x7c00] = math.Inf(1)
	check := func(f float32) {
		t.Helper()
		if want, got := refF32ToF16(f, table), F32ToF16(f); got != want {
			t.Fatalf("F32ToF16(%g [%#08x]) = %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
	// Every midpoint between adjacent halves, and its float32 neighbours.
	for i := range 0x7c00 {
		mid := float32((table[i] + table[i+1]) / 2)
		if i+1 == 0x7c00 {
			mid = 65520
		}
		for _, f := range []float32{mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, float32(math.Inf(1)))} {
			check(f)
			check(-f)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		f := math.Float32frombits(rng.Uint32())
		if f != f {
			continue
		}
		check(f)
	}
	for _, f := range []float32{0, float32(math.Copysign(0, -1)), 1e-10, 65504, 65519.99, 65520, 1e10, float32(math.Inf(-1))} {
		check(f)
	}
}

func TestF32ToF16NaN(t *testing.T) {
	for _, bits := range []uint32{0x7fc00000, 0x7f800001, 0xffc00000, 0x7fffffff} {
		h := F32ToF16(math.Float32frombits(bits))
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 || h&0x200 == 0 {
			t.Errorf("F32ToF16(%#08x) = %#04x, want a quiet NaN", bits, h)
		}
		if (h&0x8000 != 0) != (bits>>31 != 0) {
			t.Errorf("F32ToF16(%#08x) = %#04x lost the sign", bits, h)
		}
	}
}

func TestBF16(t *testing.T) {
	tests := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1.0
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0xbf818000, 0xbf82}, // negative tie
		{0x7f7fffff, 0x7f80}, // largest float rounds to Inf
		{0x7f800000, 0x7f80}, // Inf
		{0xff800000, 0xff80}, // -Inf
		{0x7fc00001, 0x7fc0}, // quiet NaN
		{0x7f800001, 0x7fc0}, // signalling NaN forced quiet
		{0xff812345, 0xffc1}, // negative NaN keeps sign and payload
		{0x00008000, 0x0000}, // subnormal tie, even
		{0x00018000, 0x0002}, // subnormal tie, odd: rounded, not flushed
		{0x80000000, 0x8000}, // -0
	}
	for _, tt := range tests {
		if got := F32ToBF16(math.Float32frombits(tt.in)); got != tt.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
	for i := range 1 << 16 {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x) = %#08x", h, math.Float32bits(f))
		}
		if f == f && F32ToBF16(f) != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, F32ToBF16(f))
		}
	}
}
