// Package quant defines the tensor element types of BitNet GGUF files and
// their pure-Go reference encoders and decoders: F32, F16, BF16, Q8_0, Q6_K,
// bitnet.cpp's I2_S and ggml's TQ1_0 and TQ2_0 (spec §2), plus the
// quantization rules of a W1.58 A8 linear layer: absmean weight
// ternarization and per-token absmax int8 activations (spec §4).
//
// Every function here is the definition that faster kernels are tested
// against: each one names the ggml or bitnet.cpp function it mirrors and
// reproduces its rounding bit for bit, including the float32 order of
// operations. Nothing in this package is tuned for speed beyond avoiding
// obvious waste.
//
// Ternary values are int8 in {-1, 0, +1}. The 2-bit "code" of I2_S and
// TQ2_0 is t+1. Byte layouts are little-endian and flatten a tensor in ggml
// order (ne0 fastest).
//
// Decoders never panic on malformed input: a too-short buffer gives an error
// wrapping io.ErrUnexpectedEOF, and a bad element count, an invalid code or
// an unsupported type gives a descriptive error. Pack* return errors too,
// since their input may come from a converter. The Quantize* functions panic
// when a length breaks their documented precondition, a bug in the caller.
package quant
