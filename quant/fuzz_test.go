package quant

import (
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
)

// FuzzDecode feeds arbitrary bytes, types and element counts to every
// decoder: each must return an error or succeed, never panic or read out
// of bounds.
func FuzzDecode(f *testing.F) {
	tern := specExampleTernary()
	i2s, _ := PackI2S(tern, 0.0234375)
	tq2, _ := PackTQ2_0(tern, []float32{1})
	tq1, _ := PackTQ1_0(tern, []float32{1})
	f.Add(uint8(gguf.TypeI2_S), uint16(256), i2s)
	f.Add(uint8(gguf.TypeTQ2_0), uint16(256), tq2)
	f.Add(uint8(gguf.TypeTQ1_0), uint16(256), tq1)
	f.Add(uint8(gguf.TypeQ8_0), uint16(32), QuantizeQ8_0(make([]float32, 32)))
	f.Add(uint8(gguf.TypeQ6_K), uint16(256), make([]byte, 210))
	f.Add(uint8(gguf.TypeF16), uint16(3), []byte{0, 0x26, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, typ uint8, n uint16, data []byte) {
		// n is at most 65535 elements: the work is bounded.
		nn := int(n)
		out := make([]float32, nn)
		_ = Dequantize(gguf.Type(typ), data, out)
		_ = DequantizeRow(gguf.Type(typ), data, nn%1024+1, nn/1024, out[:min(nn, nn%1024+1)])
		ts := make([]int8, nn)
		ds := make([]float32, nn/QKK+1)
		_, _ = UnpackI2S(data, nn, ts)
		_ = ValidateI2S(data, nn)
		_ = I2SScale(data, nn)
		_ = DequantizeRowI2S(data, nn, 128, int(typ), make([]float32, 128))
		_ = UnpackTQ2_0(data, nn, ts, ds)
		_ = UnpackTQ1_0(data, nn, ts, ds)
		_ = UnpackTQ1_0(data, nn, ts[:nn/2], ds)
	})
}
