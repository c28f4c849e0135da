package quant

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/testutil"
)

func TestTQ2_0WorkedByte(t *testing.T) {
	// Spec §2.5: t[0]=+1, t[32]=0, t[64]=−1, t[96]=+1 gives byte 0 = 0x86.
	tern := specExampleTernary()
	data, err := PackTQ2_0(tern, []float32{0.0234375})
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != BlockBytesTQ2_0 {
		t.Fatalf("len = %d, want %d", len(data), BlockBytesTQ2_0)
	}
	if data[0] != 0x86 {
		t.Errorf("byte 0 = %#02x, want 0x86", data[0])
	}
	if got := binary.LittleEndian.Uint16(data[64:]); got != 0x2600 {
		t.Errorf("d = %#04x, want 0x2600", got)
	}
	// Same elements in the same bytes as I2_S, fields reversed.
	i2s, _ := PackI2S(tern, 0.0234375)
	for i := range 64 {
		if got, want := data[i], reverseFields(i2s[i]); got != want {
			t.Errorf("byte %d = %#02x, want I2_S byte %#02x reversed = %#02x", i, got, i2s[i], want)
		}
	}
}

// reverseFields reverses the order of the four 2-bit fields of b.
func reverseFields(b byte) byte {
	return b>>6&3 | (b>>4&3)<<2 | (b>>2&3)<<4 | (b&3)<<6
}

func TestTQ2_0RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, nb := range []int{0, 1, 3, 10} {
		n := nb * QKK
		tern := testutil.RandomTernary(rng, n)
		d := make([]float32, nb)
		for i := range d {
			d[i] = F16ToF32(F32ToF16(rng.Float32()))
		}
		data, err := PackTQ2_0(tern, d)
		if err != nil {
			t.Fatal(err)
		}
		gt, gd := make([]int8, n), make([]float32, nb)
		if err := UnpackTQ2_0(data, n, gt, gd); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gt, tern) || !slices.Equal(gd, d) {
			t.Fatalf("nb=%d: UnpackTQ2_0(PackTQ2_0) differs", nb)
		}
		out := make([]float32, n)
		if err := Dequantize(gguf.TypeTQ2_0, data, out); err != nil {
			t.Fatal(err)
		}
		for i, v := range out {
			if want := float32(tern[i]) * d[i/QKK]; v != want {
				t.Fatalf("Dequantize[%d] = %v, want %v", i, v, want)
			}
		}
	}
	data, _ := PackTQ2_0(make([]int8, 256), []float32{1})
	data[200%32+32] |= 3 << (2 * ((200 % 128) / 32))
	err := UnpackTQ2_0(data, 256, make([]int8, 256), make([]float32, 1))
	if err == nil || !strings.Contains(err.Error(), "element 200") {
		t.Errorf("UnpackTQ2_0 with code 3 at 200: err = %v", err)
	}
}

func TestTQ1_0Bytes(t *testing.T) {
	// Spec §2.5 table.
	enc5 := func(v [5]int8) byte {
		var q uint8
		for _, x := range v {
			q = q*3 + uint8(x+1)
		}
		return tq1Ceil(q)
	}
	enc4 := func(v [4]int8) byte {
		var q uint8
		for _, x := range v {
			q = q*3 + uint8(x+1)
		}
		return tq1Ceil(q * 3)
	}
	for _, tt := range []struct {
		v    [5]int8
		want byte
	}{
		{[5]int8{1, 0, -1, 1, 0}, 207},
		{[5]int8{0, 0, 0, 0, 0}, 128},
		{[5]int8{1, 1, 1, 1, 1}, 255},
		{[5]int8{-1, -1, -1, -1, -1}, 0},
	} {
		if got := enc5(tt.v); got != tt.want {
			t.Errorf("qs byte of %v = %d, want %d", tt.v, got, tt.want)
		}
	}
	if got := enc4([4]int8{1, 0, -1, 1}); got != 206 {
		t.Errorf("qh byte of (+1,0,-1,+1) = %d, want 206", got)
	}
	if got := enc4([4]int8{}); got != 127 {
		t.Errorf("qh byte of zeros = %d, want 127", got)
	}

	// Every 5-trit and 4-trit combination decodes back.
	for q := range 243 {
		b := tq1Ceil(uint8(q))
		for n := range 5 {
			want := int8(q / int(pow3[4-n]) % 3)
			if got := tq1Trit(b, n); got != want {
				t.Fatalf("q=%d byte %d trit %d = %d, want %d", q, b, n, got, want)
			}
		}
	}
	for q := range 81 {
		b := tq1Ceil(uint8(q * 3))
		for n := range 4 {
			want := int8(q / int(pow3[3-n]) % 3)
			if got := tq1Trit(b, n); got != want {
				t.Fatalf("qh q=%d byte %d trit %d = %d, want %d", q, b, n, got, want)
			}
		}
	}
}

func TestTQ1_0Layout(t *testing.T) {
	// Put +1 at one element at a time and check which byte changes.
	for e := range QKK {
		tern := make([]int8, QKK)
		tern[e] = 1
		data, err := PackTQ1_0(tern, []float32{1})
		if err != nil {
			t.Fatal(err)
		}
		var wantByte int
		switch {
		case e < 160:
			wantByte = e % 32
		case e < 240:
			wantByte = 32 + (e-160)%16
		default:
			wantByte = 48 + (e-240)%4
		}
		zeros, _ := PackTQ1_0(make([]int8, QKK), []float32{1})
		for i := range 52 {
			if (data[i] != zeros[i]) != (i == wantByte) {
				t.Fatalf("element %d changed byte %d (%d -> %d), want only byte %d", e, i, zeros[i], data[i], wantByte)
			}
		}
	}
}

func TestTQ1_0RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, nb := range []int{0, 1, 4} {
		n := nb * QKK
		tern := testutil.RandomTernary(rng, n)
		d := make([]float32, nb)
		for i := range d {
			d[i] = F16ToF32(F32ToF16(rng.Float32()))
		}
		data, err := PackTQ1_0(tern, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != nb*BlockBytesTQ1_0 {
			t.Fatalf("len = %d", len(data))
		}
		gt, gd := make([]int8, n), make([]float32, nb)
		if err := UnpackTQ1_0(data, n, gt, gd); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gt, tern) || !slices.Equal(gd, d) {
			t.Fatalf("nb=%d: UnpackTQ1_0(PackTQ1_0) differs", nb)
		}
		out := make([]float32, n)
		if err := Dequantize(gguf.TypeTQ1_0, data, out); err != nil {
			t.Fatal(err)
		}
		for i, v := range out {
			if want := float32(tern[i]) * d[i/QKK]; v != want {
				t.Fatalf("Dequantize[%d] = %v, want %v", i, v, want)
			}
		}
	}
}

// TestQuantizeTQ checks the ggml reference quantizers: on ternarised input
// β·t they reproduce t with d = β, and on general input code =
// lroundf(x/max|x|)+1.
func TestQuantizeTQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 3 * QKK
	tern := testutil.RandomTernary(rng, n)
	tern[0] = 1 // every block has a nonzero
	tern[QKK] = -1
	tern[2*QKK] = 1
	beta := float32(0.0234375)
	w := make([]float32, n)
	for i, v := range tern {
		w[i] = beta * float32(v)
	}
	ds := []float32{beta, beta, beta}
	want2, _ := PackTQ2_0(tern, ds)
	if got := QuantizeTQ2_0(w); !slices.Equal(got, want2) {
		t.Error("QuantizeTQ2_0(β·t) != PackTQ2_0(t, β)")
	}
	want1, _ := PackTQ1_0(tern, ds)
	if got := QuantizeTQ1_0(w); !slices.Equal(got, want1) {
		t.Error("QuantizeTQ1_0(β·t) != PackTQ1_0(t, β)")
	}

	// General input: halves round away from zero.
	x := make([]float32, QKK)
	x[0] = 4      // d = 4
	x[1] = 2      // 0.5 -> 1
	x[2] = -2     // -0.5 -> -1
	x[3] = 1.9999 // 0.49997 -> 0
	x[4] = -4
	wantT := []int8{1, 1, -1, 0, -1}
	for name, data := range map[string][]byte{"TQ2_0": QuantizeTQ2_0(x), "TQ1_0": QuantizeTQ1_0(x)} {
		gt, gd := make([]int8, QKK), make([]float32, 1)
		var err error
		if name == "TQ2_0" {
			err = UnpackTQ2_0(data, QKK, gt, gd)
		} else {
			err = UnpackTQ1_0(data, QKK, gt, gd)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gt[:5], wantT) || gd[0] != 4 {
			t.Errorf("%s: t = %v, d = %v; want %v, 4", name, gt[:5], gd[0], wantT)
		}
	}

	// An all-zero block has d = 0 and codes 1.
	z := QuantizeTQ2_0(make([]float32, QKK))
	for i := range 64 {
		if z[i] != 0x55 {
			t.Fatalf("zero block byte %d = %#02x, want 0x55", i, z[i])
		}
	}
	if binary.LittleEndian.Uint16(z[64:]) != 0 {
		t.Error("zero block d != 0")
	}
}

func TestPackTQErrors(t *testing.T) {
	bad := make([]int8, QKK)
	bad[9] = -2
	for _, pack := range []struct {
		name string
		f    func([]int8, []float32) ([]byte, error)
	}{{"PackTQ2_0", PackTQ2_0}, {"PackTQ1_0", PackTQ1_0}} {
		for _, tt := range []struct {
			t       []int8
			d       []float32
			wantErr string
		}{
			{make([]int8, 100), nil, "not a multiple of 256"},
			{make([]int8, 512), []float32{1}, "1 scales for 2 blocks"},
			{bad, []float32{1}, "element 9 is -2"},
		} {
			if _, err := pack.f(tt.t, tt.d); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", pack.name, err, tt.wantErr)
			}
		}
	}
}
