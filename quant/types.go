package quant

import (
	"fmt"
	"io"

	"github.com/bitnet-go/bitnet/gguf"
)

// Block geometry of the supported types (spec §2).
const (
	// QK8_0 is the number of elements in a Q8_0 block; BlockBytesQ8_0 its size.
	QK8_0          = 32
	BlockBytesQ8_0 = 2 + QK8_0

	// QKK is the super-block size of Q6_K, TQ1_0, TQ2_0 and Q8_K.
	QKK            = 256
	BlockBytesQ6_K = QKK/2 + QKK/4 + QKK/16 + 2 // 210

	// BlockBytesTQ2_0 is the size of one 256-element TQ2_0 block: qs[64], d f16.
	BlockBytesTQ2_0 = QKK/4 + 2 // 66
	// BlockBytesTQ1_0 is the size of one 256-element TQ1_0 block: qs[48], qh[4], d f16.
	BlockBytesTQ1_0 = 48 + 4 + 2 // 54

	// QKI2S is the I2_S block size in elements (the 128/32 x86 layout,
	// spec §2.4); BlockBytesI2S the packed bytes of one block.
	QKI2S         = 128
	BlockBytesI2S = QKI2S / 4
	// I2STail is the bytes after the packed codes: the f32 scale and
	// 28 bytes of padding.
	I2STail = 32
)

// typeName returns "NAME (id)" for error messages, for example "TL1 (38)".
func typeName(t gguf.Type) string {
	return fmt.Sprintf("%v (%d)", t, uint32(t))
}

// BlockSize reports the block geometry of t for the types this package
// decodes: elems elements are stored in bytes bytes. ok is false for any
// other type. I2_S reports its 128-element, 32-byte code blocks; its
// per-tensor 32-byte tail is not included (see I2SSize).
func BlockSize(t gguf.Type) (elems, bytes int, ok bool) {
	switch t {
	case gguf.TypeF32:
		return 1, 4, true
	case gguf.TypeF16, gguf.TypeBF16:
		return 1, 2, true
	case gguf.TypeQ8_0:
		return QK8_0, BlockBytesQ8_0, true
	case gguf.TypeQ6_K:
		return QKK, BlockBytesQ6_K, true
	case gguf.TypeTQ1_0:
		return QKK, BlockBytesTQ1_0, true
	case gguf.TypeTQ2_0:
		return QKK, BlockBytesTQ2_0, true
	case gguf.TypeI2_S:
		return QKI2S, BlockBytesI2S, true
	}
	return 0, 0, false
}

// DataSize returns the number of bytes n elements of type t occupy in a
// GGUF file, the I2_S tail included (I2SSize). It fails for unsupported
// types and for n that is negative or not a multiple of the block size.
func DataSize(t gguf.Type, n int) (int, error) {
	be, bb, ok := BlockSize(t)
	if !ok {
		return 0, fmt.Errorf("quant: unsupported tensor type %s", typeName(t))
	}
	if n < 0 || n%be != 0 {
		return 0, fmt.Errorf("quant: %s: %d elements is not a multiple of the block size %d", typeName(t), n, be)
	}
	size := n / be * bb
	if t == gguf.TypeI2_S {
		size += I2STail
	}
	return size, nil
}

// shortErr describes a buffer that is too small for n elements.
func shortErr(t gguf.Type, n, need, have int) error {
	return fmt.Errorf("quant: %s: %d elements need %d bytes, have %d: %w", typeName(t), n, need, have, io.ErrUnexpectedEOF)
}
