package quant

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
)

func TestDequantizeFloats(t *testing.T) {
	vals := []float32{0, 1, -2.5, 0.0234375, 65504, float32(math.Inf(-1))}
	f32 := make([]byte, 4*len(vals))
	f16 := make([]byte, 2*len(vals))
	bf16 := make([]byte, 2*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(f32[4*i:], math.Float32bits(v))
		binary.LittleEndian.PutUint16(f16[2*i:], F32ToF16(v))
		binary.LittleEndian.PutUint16(bf16[2*i:], F32ToBF16(v))
	}
	for _, tt := range []struct {
		typ  gguf.Type
		data []byte
		conv func(float32) float32
	}{
		{gguf.TypeF32, f32, func(v float32) float32 { return v }},
		{gguf.TypeF16, f16, func(v float32) float32 { return F16ToF32(F32ToF16(v)) }},
		{gguf.TypeBF16, bf16, func(v float32) float32 { return BF16ToF32(F32ToBF16(v)) }},
	} {
		out := make([]float32, len(vals))
		if err := Dequantize(tt.typ, tt.data, out); err != nil {
			t.Fatalf("%v: %v", tt.typ, err)
		}
		for i, v := range vals {
			if want := tt.conv(v); out[i] != want {
				t.Errorf("%v: out[%d] = %v, want %v", tt.typ, i, out[i], want)
			}
		}
	}
}

func TestDequantizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		typ     gguf.Type
		data    []byte
		n       int
		wantErr string
		eof     bool
	}{
		{"unsupported", gguf.TypeTL1, make([]byte, 100), 4, "unsupported tensor type TL1 (38)", false},
		{"unsupported Q4_0", gguf.TypeQ4_0, make([]byte, 100), 32, "Q4_0 (2)", false},
		{"unknown id", gguf.Type(99), make([]byte, 100), 32, "99", false},
		{"Q8_0 multiple", gguf.TypeQ8_0, make([]byte, 100), 33, "not a multiple of the block size 32", false},
		{"TQ2_0 multiple", gguf.TypeTQ2_0, make([]byte, 1000), 128, "not a multiple of the block size 256", false},
		{"I2_S multiple", gguf.TypeI2_S, make([]byte, 1000), 64, "not a multiple of the block size 128", false},
		{"F32 short", gguf.TypeF32, make([]byte, 7), 2, "need 8 bytes, have 7", true},
		{"F16 short", gguf.TypeF16, make([]byte, 3), 2, "need 4 bytes", true},
		{"Q6_K short", gguf.TypeQ6_K, make([]byte, 209), 256, "need 210 bytes", true},
		{"TQ1_0 short", gguf.TypeTQ1_0, make([]byte, 53), 256, "need 54 bytes", true},
		{"I2_S short", gguf.TypeI2_S, make([]byte, 35), 128, "need 36 bytes", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Dequantize(tt.typ, tt.data, make([]float32, tt.n))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Dequantize = %v, want error containing %q", err, tt.wantErr)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != tt.eof {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v, want %v", err, !tt.eof, tt.eof)
			}
		})
	}
}

func TestDequantizeRow(t *testing.T) {
	const k, rows = 256, 5
	x := make([]float32, k*rows)
	for i := range x {
		x[i] = float32(i%97) - 48
	}
	tern := make([]int8, len(x))
	for i := range tern {
		tern[i] = int8(i%3) - 1
	}
	ds := []float32{1, 2, 3, 4, 5}
	tq2, _ := PackTQ2_0(tern, ds)
	tq1, _ := PackTQ1_0(tern, ds)
	f16 := make([]byte, 2*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint16(f16[2*i:], F32ToF16(v))
	}
	for _, tt := range []struct {
		typ  gguf.Type
		data []byte
	}{
		{gguf.TypeF16, f16},
		{gguf.TypeQ8_0, QuantizeQ8_0(x)},
		{gguf.TypeTQ2_0, tq2},
		{gguf.TypeTQ1_0, tq1},
	} {
		all := make([]float32, len(x))
		if err := Dequantize(tt.typ, tt.data, all); err != nil {
			t.Fatal(err)
		}
		row := make([]float32, k)
		for r := range rows {
			if err := DequantizeRow(tt.typ, tt.data, k, r, row); err != nil {
				t.Fatalf("%v row %d: %v", tt.typ, r, err)
			}
			if !slices.Equal(row, all[r*k:(r+1)*k]) {
				t.Errorf("%v: row %d differs from Dequantize", tt.typ, r)
			}
		}
		if err := DequantizeRow(tt.typ, tt.data, k, rows, row); !errors.Is(err, io.ErrUnexpectedEOF) && (err == nil || !strings.Contains(err.Error(), "past")) {
			t.Errorf("%v: row past the end: err = %v", tt.typ, err)
		}
		if err := DequantizeRow(tt.typ, tt.data, k, -1, row); err == nil {
			t.Errorf("%v: row -1 succeeded", tt.typ)
		}
	}
	if err := DequantizeRow(gguf.TypeI2_S, make([]byte, 1000), 128, 0, make([]float32, 128)); err == nil || !strings.Contains(err.Error(), "DequantizeRowI2S") {
		t.Errorf("DequantizeRow(I2_S) = %v, want an error pointing to DequantizeRowI2S", err)
	}
	if err := DequantizeRow(gguf.TypeF32, make([]byte, 1000), 4, 0, make([]float32, 3)); err == nil {
		t.Error("DequantizeRow with a short output succeeded")
	}
}

func TestDataSize(t *testing.T) {
	for _, tt := range []struct {
		typ  gguf.Type
		n    int
		want int
	}{
		{gguf.TypeF32, 3, 12},
		{gguf.TypeBF16, 3, 6},
		{gguf.TypeQ8_0, 64, 68},
		{gguf.TypeQ6_K, 512, 420},
		{gguf.TypeTQ1_0, 256, 54},
		{gguf.TypeTQ2_0, 512, 132},
		{gguf.TypeI2_S, 2560 * 2560, 1638432}, // spec §1.7
	} {
		got, err := DataSize(tt.typ, tt.n)
		if err != nil || got != tt.want {
			t.Errorf("DataSize(%v, %d) = %d, %v; want %d", tt.typ, tt.n, got, err, tt.want)
		}
		// Agree with the container's size rule.
		if g, err := gguf.TensorSize(tt.typ, []uint64{uint64(tt.n)}); err != nil || g != uint64(tt.want) {
			t.Errorf("gguf.TensorSize(%v, %d) = %d, %v; want %d", tt.typ, tt.n, g, err, tt.want)
		}
	}
}
