package quant

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
)

func TestQ8_0RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := make([]float32, 4*QK8_0)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	copy(x[2*QK8_0:3*QK8_0], make([]float32, QK8_0)) // an all-zero block
	data := QuantizeQ8_0(x)
	if len(data) != 4*BlockBytesQ8_0 {
		t.Fatalf("len = %d", len(data))
	}
	out := make([]float32, len(x))
	if err := Dequantize(gguf.TypeQ8_0, data, out); err != nil {
		t.Fatal(err)
	}
	for b := range 4 {
		var amax float64
		for _, v := range x[b*QK8_0 : (b+1)*QK8_0] {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		d := F16ToF32(binary.LittleEndian.Uint16(data[b*BlockBytesQ8_0:]))
		if want := F16ToF32(F32ToF16(float32(amax / 127))); d != want {
			t.Errorf("block %d: d = %v, want %v", b, d, want)
		}
		for i := b * QK8_0; i < (b+1)*QK8_0; i++ {
			// q = roundf(x/d'), d' the unrounded scale; the f16 rounding of
			// d adds at most 2⁻¹¹ relative error.
			if diff := math.Abs(float64(out[i] - x[i])); diff > amax/127*0.5001+amax*0x1p-11 {
				t.Errorf("x[%d] = %v decoded as %v", i, x[i], out[i])
			}
		}
	}
	// The largest magnitude maps to ±127 exactly.
	y := make([]float32, QK8_0)
	y[3], y[4], y[5] = -2.54, 1.27, 0.01
	q := QuantizeQ8_0(y)
	if got := []int8{int8(q[2+3]), int8(q[2+4]), int8(q[2+5])}; !slices.Equal(got, []int8{-127, 64, 1}) {
		// 1.27/0.02 = 63.5 rounds away from zero to 64 (roundf).
		t.Errorf("q = %v, want [-127 64 1]", got)
	}
}

// TestQ6_K builds a block by hand from the layout in spec §2.3: element e
// of a super-block uses scale e/16.
func TestQ6_K(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var q [QKK]uint8
	for i := range q {
		q[i] = uint8(rng.IntN(64))
	}
	q[7], q[200] = 0, 63 // extremes: −32 and +31
	var sc [16]int8
	for i := range sc {
		sc[i] = int8(rng.IntN(256) - 128)
	}
	const d = 0.0234375
	blk := make([]byte, BlockBytesQ6_K)
	for h := range 2 {
		for l := range 32 {
			q1, q2, q3, q4 := q[128*h+l], q[128*h+l+32], q[128*h+l+64], q[128*h+l+96]
			blk[64*h+l] = q1&0xF | (q3&0xF)<<4
			blk[64*h+l+32] = q2&0xF | (q4&0xF)<<4
			blk[128+32*h+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
	for i, s := range sc {
		blk[192+i] = byte(s)
	}
	binary.LittleEndian.PutUint16(blk[208:], F32ToF16(d))
	out := make([]float32, QKK)
	if err := Dequantize(gguf.TypeQ6_K, blk, out); err != nil {
		t.Fatal(err)
	}
	for e, v := range out {
		if want := float32(d*float32(sc[e/16])) * float32(int(q[e])-32); v != want {
			t.Fatalf("element %d = %v, want %v", e, v, want)
		}
	}
}
