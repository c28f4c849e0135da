package quant

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// I2_S (type 36) is bitnet.cpp's 2-bit ternary format (spec §2.4). The
// tensor is flattened in ggml order and cut into blocks of 128 elements;
// block b is 32 bytes at offset 32b, and byte p of a block holds elements
// p, p+32, p+64 and p+96 of the block from the most significant bit pair
// down. The code of an element is t+1 (0 → −1, 1 → 0, 2 → +1; 3 is never
// written). One float32 scale for the whole tensor follows the codes at
// byte n/4, then 28 bytes of padding that writers need not clear.

// I2SSize returns the size in bytes of an I2_S tensor of n elements:
// n/4 bytes of codes plus the 32-byte tail holding the scale.
func I2SSize(n int) int { return n/4 + I2STail }

// i2sShift returns the bit shift of element j (0..127) inside its byte.
func i2sShift(j int) uint { return uint(6 - 2*(j/32)) }

// PackI2S packs the ternary values t (each −1, 0 or +1) and the tensor scale
// into a new I2_S tensor of I2SSize(len(t)) bytes. len(t) must be a multiple
// of 128. The padding after the scale is zero.
func PackI2S(t []int8, scale float32) ([]byte, error) {
	n := len(t)
	if n%QKI2S != 0 {
		return nil, fmt.Errorf("quant: PackI2S: %d elements is not a multiple of %d", n, QKI2S)
	}
	out := make([]byte, I2SSize(n))
	for i, v := range t {
		if v < -1 || v > 1 {
			return nil, fmt.Errorf("quant: PackI2S: element %d is %d, not ternary", i, v)
		}
		b, j := i/QKI2S, i%QKI2S
		out[b*BlockBytesI2S+j%32] |= byte(v+1) << i2sShift(j)
	}
	binary.LittleEndian.PutUint32(out[n/4:], math.Float32bits(scale))
	return out, nil
}

// checkI2S checks the length preconditions shared by the I2_S decoders.
func checkI2S(fn string, data []byte, n int) error {
	if n < 0 || n%QKI2S != 0 {
		return fmt.Errorf("quant: %s: I2_S element count %d is not a multiple of %d", fn, n, QKI2S)
	}
	// Only the scale is read from the tail, so 4 bytes of it suffice: the
	// padding is not required to be present.
	if need := n/4 + 4; len(data) < need {
		return fmt.Errorf("quant: %s: I2_S tensor of %d elements needs %d bytes, have %d: %w", fn, n, I2SSize(n), len(data), io.ErrUnexpectedEOF)
	}
	return nil
}

// UnpackI2S decodes the n ternary values of the I2_S tensor data into t[:n]
// and returns the tensor scale. data holds the whole tensor: the codes and
// at least the 4 scale bytes. A code 3 is an error naming the first element
// that carries it; t is then partly written.
func UnpackI2S(data []byte, n int, t []int8) (scale float32, err error) {
	if err := checkI2S("UnpackI2S", data, n); err != nil {
		return 0, err
	}
	if len(t) < n {
		return 0, fmt.Errorf("quant: UnpackI2S: output holds %d values, need %d", len(t), n)
	}
	if i := firstCode3I2S(data, n); i >= 0 {
		return 0, fmt.Errorf("quant: I2_S element %d has the invalid code 3", i)
	}
	for b := 0; b < n/QKI2S; b++ {
		blk := data[b*BlockBytesI2S : b*BlockBytesI2S+BlockBytesI2S]
		out := t[b*QKI2S : b*QKI2S+QKI2S]
		for p, c := range blk {
			out[p] = int8(c>>6&3) - 1
			out[p+32] = int8(c>>4&3) - 1
			out[p+64] = int8(c>>2&3) - 1
			out[p+96] = int8(c&3) - 1
		}
	}
	return I2SScale(data, n), nil
}

// I2SScale returns the float32 scale of an I2_S tensor of n elements, read at
// byte n/4 of data. It returns NaN when data is too short to hold it.
func I2SScale(data []byte, n int) float32 {
	if n < 0 || len(data) < n/4+4 {
		return float32(math.NaN())
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(data[n/4:]))
}

// firstCode3I2S returns the index of the first element of the n-element
// I2_S tensor data whose code is 3, or −1 if there is none.
func firstCode3I2S(data []byte, n int) int {
	codes := data[:n/4]
	// A 2-bit field is 3 when both of its bits are set: test 8 bytes at a
	// time, and locate the element only after a hit.
	const lo = 0x5555555555555555
	i := 0
	for ; i+8 <= len(codes); i += 8 {
		if x := binary.LittleEndian.Uint64(codes[i:]); x&(x>>1)&lo != 0 {
			break
		}
	}
	for ; i < len(codes); i++ {
		if c := codes[i]; c&(c>>1)&0x55 != 0 {
			break
		}
	}
	if i == len(codes) {
		return -1
	}
	// Earlier blocks are clean; scan this block in element order, since
	// byte p holds elements p, p+32, p+64, p+96.
	b := i / BlockBytesI2S
	blk := codes[b*BlockBytesI2S : b*BlockBytesI2S+BlockBytesI2S]
	for j := range QKI2S {
		if blk[j%32]>>i2sShift(j)&3 == 3 {
			return b*QKI2S + j
		}
	}
	panic("quant: firstCode3I2S: code 3 found but not located")
}

// ValidateI2S checks an I2_S tensor of n elements: the length, that no code
// is 3, and that the scale is finite and positive. A zero scale is accepted
// only when every code is 1 (an all-zero tensor, for which quantize_i2_s
// writes max|w| = 0).
func ValidateI2S(data []byte, n int) error {
	if err := checkI2S("ValidateI2S", data, n); err != nil {
		return err
	}
	if i := firstCode3I2S(data, n); i >= 0 {
		return fmt.Errorf("quant: I2_S element %d has the invalid code 3", i)
	}
	s := I2SScale(data, n)
	switch {
	case math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) || s < 0:
		return fmt.Errorf("quant: I2_S scale %v is not a finite non-negative number", s)
	case s == 0:
		for i, c := range data[:n/4] {
			if c != 0x55 {
				return fmt.Errorf("quant: I2_S scale is 0 but byte %d (0x%02x) holds nonzero values", i, c)
			}
		}
	}
	return nil
}

// QuantizeI2S is bitnet.cpp's quantize_i2_s (src/ggml-bitnet-mad.cpp, spec
// §2.4), run single-threaded as the official files were. The scale is
// max|w| over the whole tensor, computed in float64 (NaN ignored, as fmax
// does) and stored as float32; an element with |w| < 1e-6 gets code 1 (0),
// any other code 2 (+1) if w·scale > 0, else code 0 (−1). It is a sign
// quantizer: w must already be ternarised (Ternarize), and then the scale
// is β. len(w) must be a multiple of 128. The padding is zero.
func QuantizeI2S(w []float32) ([]byte, error) {
	n := len(w)
	if n%QKI2S != 0 {
		return nil, fmt.Errorf("quant: QuantizeI2S: %d elements is not a multiple of %d", n, QKI2S)
	}
	// fmax(max, |w|) in double: a NaN never wins.
	var maxAbs float64
	for _, v := range w {
		if a := math.Abs(float64(v)); a > maxAbs {
			maxAbs = a
		}
	}
	out := make([]byte, I2SSize(n))
	for i, v := range w {
		var code byte
		switch {
		case math.Abs(float64(v)) < 1e-6:
			code = 1
		case float64(v)*maxAbs > 0:
			code = 2
		}
		b, j := i/QKI2S, i%QKI2S
		out[b*BlockBytesI2S+j%32] |= code << i2sShift(j)
	}
	binary.LittleEndian.PutUint32(out[n/4:], math.Float32bits(float32(maxAbs)))
	return out, nil
}

// dequantizeI2S writes scale·(code−1) for the n elements of data into out,
// like the reference kernels, which compute Σ code·a − Σ a: a code 3
// decodes to 2·scale (ValidateI2S rejects such tensors).
func dequantizeI2S(data []byte, out []float32) {
	decodeI2S(data[:len(out)/4], I2SScale(data, len(out)), out)
}

// decodeI2S decodes the 128-element blocks of codes into out
// (len(out) = 4·len(codes)) as scale·(code−1).
func decodeI2S(codes []byte, s float32, out []float32) {
	lut := [4]float32{-1 * s, 0 * s, 1 * s, 2 * s}
	for b := 0; b < len(codes)/BlockBytesI2S; b++ {
		blk := codes[b*BlockBytesI2S : (b+1)*BlockBytesI2S]
		y := out[b*QKI2S : (b+1)*QKI2S]
		for p, c := range blk {
			y[p] = lut[c>>6&3]
			y[p+32] = lut[c>>4&3]
			y[p+64] = lut[c>>2&3]
			y[p+96] = lut[c&3]
		}
	}
}
