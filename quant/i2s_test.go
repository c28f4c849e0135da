package quant

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/testutil"
)

// specExampleTernary returns the ternary row of the worked examples in spec
// §2.4 and §2.5: K = 256, two 128-element blocks.
func specExampleTernary() []int8 {
	t := make([]int8, 256)
	t[0], t[32], t[64], t[96] = 1, 0, -1, 1
	t[1], t[33], t[65], t[97] = -1, -1, -1, -1
	t[128], t[160], t[192], t[224] = 1, 1, 1, 1
	return t
}

func TestI2SWorkedBytes(t *testing.T) {
	tern := specExampleTernary()
	data, err := PackI2S(tern, 0.0234375)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != I2SSize(256) || len(data) != 96 {
		t.Fatalf("len = %d, want %d", len(data), 96)
	}
	for _, tt := range []struct {
		off  int
		want byte
	}{{0, 0x92}, {1, 0x00}, {2, 0x55}, {31, 0x55}, {32, 0xAA}, {33, 0x55}} {
		if data[tt.off] != tt.want {
			t.Errorf("byte %d = %#02x, want %#02x", tt.off, data[tt.off], tt.want)
		}
	}
	if got, want := data[64:68], []byte{0x00, 0x00, 0xC0, 0x3C}; !bytes.Equal(got, want) {
		t.Errorf("scale bytes = % x, want % x", got, want)
	}
	if !bytes.Equal(data[68:], make([]byte, 28)) {
		t.Errorf("padding = % x, want zeros", data[68:])
	}

	got := make([]int8, 256)
	scale, err := UnpackI2S(data, 256, got)
	if err != nil {
		t.Fatal(err)
	}
	if scale != 0.0234375 || !slices.Equal(got, tern) {
		t.Errorf("UnpackI2S = %v, %v; want 0.0234375, %v", scale, got, tern)
	}
	if err := ValidateI2S(data, 256); err != nil {
		t.Errorf("ValidateI2S: %v", err)
	}
	out := make([]float32, 256)
	if err := Dequantize(gguf.TypeI2_S, data, out); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if want := float32(tern[i]) * 0.0234375; v != want {
			t.Fatalf("Dequantize[%d] = %v, want %v", i, v, want)
		}
	}
}

func TestI2SRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 128, 256, 384, 128 * 17, 2560 * 4} {
		tern := testutil.RandomTernary(rng, n)
		scale := rng.Float32() + 0.01
		data, err := PackI2S(tern, scale)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int8, n)
		s, err := UnpackI2S(data, n, got)
		if err != nil || s != scale || !slices.Equal(got, tern) {
			t.Fatalf("n=%d: UnpackI2S(PackI2S(t)) = %v, %v, equal=%v", n, s, err, slices.Equal(got, tern))
		}
		if s := I2SScale(data, n); s != scale {
			t.Errorf("I2SScale = %v, want %v", s, scale)
		}
		// The padding is not needed to read the tensor.
		if _, err := UnpackI2S(data[:n/4+4], n, got); err != nil {
			t.Errorf("UnpackI2S without padding: %v", err)
		}
		// Rows decode like the whole tensor.
		if n >= 256 {
			const k = 128
			row := make([]float32, k)
			for r := range n / k {
				if err := DequantizeRowI2S(data, n, k, r, row); err != nil {
					t.Fatal(err)
				}
				for j, v := range row {
					if want := float32(tern[r*k+j]) * scale; v != want {
						t.Fatalf("row %d [%d] = %v, want %v", r, j, v, want)
					}
				}
			}
		}
	}
}

func TestI2SCode3(t *testing.T) {
	const n = 512
	for _, e := range []int{0, 1, 31, 32, 95, 127, 128, 300, 511} {
		data, _ := PackI2S(make([]int8, n), 1)
		data[(e/128)*32+e%32] |= 3 << i2sShift(e%128)
		// A second code 3 at a larger element index but in an earlier byte
		// (byte p holds p, p+32, p+64, p+96) must not hide the first.
		if g := (e % 128) / 32; g < 3 && e%32 > 0 {
			j := e/128*128 + (g+1)*32
			data[(j/128)*32+j%32] |= 3 << i2sShift(j%128)
		}
		want := fmt.Sprintf("element %d has the invalid code 3", e)
		if _, err := UnpackI2S(data, n, make([]int8, n)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("UnpackI2S with code 3 at %d: err = %v, want %q", e, err, want)
		}
		if err := ValidateI2S(data, n); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateI2S with code 3 at %d: err = %v, want %q", e, err, want)
		}
		// Dequantize follows the kernels: code 3 is +2·scale.
		out := make([]float32, n)
		if err := Dequantize(gguf.TypeI2_S, data, out); err != nil || out[e] != 2 {
			t.Errorf("Dequantize code 3 at %d = %v, %v; want 2", e, out[e], err)
		}
	}
}

func TestValidateI2S(t *testing.T) {
	zeros, _ := PackI2S(make([]int8, 256), 0)
	ones := make([]int8, 256)
	ones[5] = 1
	withScale := func(tern []int8, s float32) []byte {
		d, err := PackI2S(tern, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name    string
		data    []byte
		n       int
		wantErr string
	}{
		{"all zero, scale 0", zeros, 256, ""},
		{"ok", withScale(ones, 0.5), 256, ""},
		{"scale 0 with nonzero", withScale(ones, 0), 256, "scale is 0"},
		{"negative scale", withScale(ones, -1), 256, "scale -1"},
		{"NaN scale", withScale(ones, float32(math.NaN())), 256, "scale NaN"},
		{"Inf scale", withScale(ones, float32(math.Inf(1))), 256, "scale +Inf"},
		{"short", zeros[:60], 256, "unexpected EOF"},
		{"bad n", zeros, 200, "not a multiple of 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateI2S(tt.data, tt.n)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ValidateI2S = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ValidateI2S = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := UnpackI2S(zeros[:60], 256, make([]int8, 256)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("UnpackI2S short: err = %v, want io.ErrUnexpectedEOF", err)
	}
	if s := I2SScale(zeros[:10], 256); s == s {
		t.Errorf("I2SScale short = %v, want NaN", s)
	}
}

func TestPackI2SErrors(t *testing.T) {
	if _, err := PackI2S(make([]int8, 100), 1); err == nil {
		t.Error("PackI2S(100 elements) succeeded")
	}
	bad := make([]int8, 128)
	bad[77] = 2
	if _, err := PackI2S(bad, 1); err == nil || !strings.Contains(err.Error(), "element 77") {
		t.Errorf("PackI2S(non-ternary) = %v, want error naming element 77", err)
	}
	if _, err := QuantizeI2S(make([]float32, 100)); err == nil {
		t.Error("QuantizeI2S(100 elements) succeeded")
	}
}

// TestQuantizeI2STernarised checks spec §2.4/§4.1: on ternarised input
// W̃ = β·t, quantize_i2_s recovers scale β and the codes t+1.
func TestQuantizeI2STernarised(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 256 * 6
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * 0.02)
	}
	tern := make([]int8, n)
	beta := Ternarize(w, tern)
	wt := make([]float32, n)
	for i, v := range tern {
		wt[i] = beta * float32(v)
	}
	got, err := QuantizeI2S(wt)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := PackI2S(tern, beta)
	if !bytes.Equal(got, want) {
		t.Fatalf("QuantizeI2S(β·t) differs from PackI2S(t, β)")
	}
	if s := I2SScale(got, n); s != beta {
		t.Errorf("scale = %v, want β = %v", s, beta)
	}
}

func TestQuantizeI2SRules(t *testing.T) {
	w := make([]float32, 128)
	w[0] = 9e-7  // below 1e-6: code 1
	w[1] = -3    // max|w|
	w[2] = 2e-6  // not below 1e-6: sign
	w[3] = -2e-6 // sign
	w[4] = float32(math.NaN())
	data, err := QuantizeI2S(w)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int8, 128)
	s, err := UnpackI2S(data, 128, got)
	if err != nil {
		t.Fatal(err)
	}
	if s != 3 {
		t.Errorf("scale = %v, want 3 (NaN ignored)", s)
	}
	want := []int8{0, -1, 1, -1, -1, 0}
	if !slices.Equal(got[:6], want) {
		t.Errorf("codes = %v, want %v", got[:6], want)
	}
}
