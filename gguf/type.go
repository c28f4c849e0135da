package gguf

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Type is a ggml tensor type id as stored in a GGUF tensor-info record
// (spec §2.1). Ids 36..39 carry the meaning of bitnet.cpp's ggml fork (I2_S,
// I8_S, TL1, TL2); upstream ggml reuses some of them for other types.
type Type uint32

// Tensor type ids, as in ggml.h of bitnet.cpp's ggml fork (spec §2.1).
const (
	TypeF32     Type = 0
	TypeF16     Type = 1
	TypeQ4_0    Type = 2
	TypeQ4_1    Type = 3
	TypeQ5_0    Type = 6
	TypeQ5_1    Type = 7
	TypeQ8_0    Type = 8
	TypeQ8_1    Type = 9
	TypeQ2_K    Type = 10
	TypeQ3_K    Type = 11
	TypeQ4_K    Type = 12
	TypeQ5_K    Type = 13
	TypeQ6_K    Type = 14
	TypeQ8_K    Type = 15
	TypeIQ2_XXS Type = 16
	TypeIQ2_XS  Type = 17
	TypeIQ3_XXS Type = 18
	TypeIQ1_S   Type = 19
	TypeIQ4_NL  Type = 20
	TypeIQ3_S   Type = 21
	TypeIQ2_S   Type = 22
	TypeIQ4_XS  Type = 23
	TypeI8      Type = 24
	TypeI16     Type = 25
	TypeI32     Type = 26
	TypeI64     Type = 27
	TypeF64     Type = 28
	TypeIQ1_M   Type = 29
	TypeBF16    Type = 30
	TypeTQ1_0   Type = 34 // upstream ternary, 256 elements in 54 bytes (spec §2.5)
	TypeTQ2_0   Type = 35 // upstream ternary, 256 elements in 66 bytes (spec §2.5)
	TypeI2_S    Type = 36 // bitnet.cpp 2-bit ternary with one f32 scale per tensor (spec §2.4)
	TypeI8_S    Type = 37 // bitnet.cpp internal activation type; never valid in a file (spec §2.7)
	TypeTL1     Type = 38 // bitnet.cpp lookup-table type (spec §2.6)
	TypeTL2     Type = 39 // bitnet.cpp lookup-table type (spec §2.6); upstream's MXFP4 has the same id
)

// typeTraits holds the ggml name, elements per block and bytes per block of
// a known type.
type typeTraits struct {
	name      string
	blockSize int
	typeSize  int
}

// traits is indexed by Type; entries with an empty name are unknown ids.
// Block and type sizes are ggml's type_traits (ggml-common.h block structs).
var traits = [...]typeTraits{
	TypeF32:     {"F32", 1, 4},
	TypeF16:     {"F16", 1, 2},
	TypeQ4_0:    {"Q4_0", 32, 18},
	TypeQ4_1:    {"Q4_1", 32, 20},
	TypeQ5_0:    {"Q5_0", 32, 22},
	TypeQ5_1:    {"Q5_1", 32, 24},
	TypeQ8_0:    {"Q8_0", 32, 34},
	TypeQ8_1:    {"Q8_1", 32, 36},
	TypeQ2_K:    {"Q2_K", 256, 84},
	TypeQ3_K:    {"Q3_K", 256, 110},
	TypeQ4_K:    {"Q4_K", 256, 144},
	TypeQ5_K:    {"Q5_K", 256, 176},
	TypeQ6_K:    {"Q6_K", 256, 210},
	TypeQ8_K:    {"Q8_K", 256, 292},
	TypeIQ2_XXS: {"IQ2_XXS", 256, 66},
	TypeIQ2_XS:  {"IQ2_XS", 256, 74},
	TypeIQ3_XXS: {"IQ3_XXS", 256, 98},
	TypeIQ1_S:   {"IQ1_S", 256, 50},
	TypeIQ4_NL:  {"IQ4_NL", 32, 18},
	TypeIQ3_S:   {"IQ3_S", 256, 110},
	TypeIQ2_S:   {"IQ2_S", 256, 82},
	TypeIQ4_XS:  {"IQ4_XS", 256, 136},
	TypeI8:      {"I8", 1, 1},
	TypeI16:     {"I16", 1, 2},
	TypeI32:     {"I32", 1, 4},
	TypeI64:     {"I64", 1, 8},
	TypeF64:     {"F64", 1, 8},
	TypeIQ1_M:   {"IQ1_M", 256, 56},
	TypeBF16:    {"BF16", 1, 2},
	TypeTQ1_0:   {"TQ1_0", 256, 54},
	TypeTQ2_0:   {"TQ2_0", 256, 66},
	// The fork declares I2_S, I8_S, TL1 and TL2 with block size 1 and type
	// size 1; ggml_nbytes overrides the size of I2_S, TL1 and TL2 (spec §1.5).
	TypeI2_S: {"I2_S", 1, 1},
	TypeI8_S: {"I8_S", 1, 1},
	TypeTL1:  {"TL1", 1, 1},
	TypeTL2:  {"TL2", 1, 1},
}

func (t Type) traits() typeTraits {
	if uint64(t) < uint64(len(traits)) {
		return traits[t]
	}
	return typeTraits{}
}

// String returns the ggml name of t ("F32", "I2_S", "TQ2_0", ...), or
// "type(N)" for an unknown id.
func (t Type) String() string {
	if n := t.traits().name; n != "" {
		return n
	}
	return "type(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// Known reports whether t is a type id this package knows the size of.
// I8_S is known but never valid in a file.
func (t Type) Known() bool { return t.traits().name != "" }

// BlockSize returns the number of elements per block of t: 1 for scalar
// types and for I2_S, I8_S, TL1 and TL2 (whose sizes TensorSize computes
// specially, spec §1.5), 32 or 256 for block-quantized types, 0 if unknown.
func (t Type) BlockSize() int { return t.traits().blockSize }

// TypeSize returns the number of bytes per block of t, or 0 if unknown.
// For I2_S, TL1 and TL2 it is ggml's nominal 1; use TensorSize for their
// real byte size.
func (t Type) TypeSize() int { return t.traits().typeSize }

// MaxDims is the largest number of dimensions of a tensor (GGML_MAX_DIMS).
const MaxDims = 4

// TensorSize returns the byte size of a tensor of type t with the given dims
// (ne0 first), as bitnet.cpp's ggml_nbytes computes it (spec §1.5):
//   - block types: (n_elements/blockSize)·typeSize, where ne0 must be a
//     multiple of the block size;
//   - I2_S and TL1: n_elements/4 + 32 (the packed codes, then a 32-byte tail
//     holding the f32 scale);
//   - TL2: (ne0−256)·ne1/3·5/8 + 256·ne1/2·4/8, rounded up to a multiple of
//     32, plus 32 (ne0 must be at least 256).
//
// It returns an error, never panics, for an unknown type, I8_S, no dims or
// more than MaxDims, a zero dim, or a size that does not fit in an int64.
func TensorSize(t Type, dims []uint64) (uint64, error) {
	n, err := tensorSize(t, dims)
	if err != nil {
		return 0, fmt.Errorf("gguf: %w", err)
	}
	return n, nil
}

// errSizeOverflow reports a tensor whose element count or byte size does not
// fit in an int64 (ggml's size type).
var errSizeOverflow = errors.New("size overflows int64")

// numElements returns the product of dims, checking each dim and the product.
func numElements(dims []uint64) (uint64, error) {
	if len(dims) == 0 || len(dims) > MaxDims {
		return 0, fmt.Errorf("%d dims, want 1..%d", len(dims), MaxDims)
	}
	n := uint64(1)
	for i, d := range dims {
		if d == 0 {
			return 0, fmt.Errorf("dim %d is zero", i)
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("dims %v: element count %w", dims, errSizeOverflow)
		}
		n = lo
	}
	return n, nil
}

// tensorSize is TensorSize without the package prefix on errors, so that the
// reader can wrap it with the file and tensor name.
func tensorSize(t Type, dims []uint64) (uint64, error) {
	tr := t.traits()
	if tr.name == "" {
		return 0, fmt.Errorf("unknown tensor type %d", uint32(t))
	}
	n, err := numElements(dims)
	if err != nil {
		return 0, err
	}
	switch t {
	case TypeI8_S:
		return 0, errors.New("type I8_S (37) is an internal activation type, not valid in a file")
	case TypeI2_S, TypeTL1:
		return n/4 + 32, nil
	case TypeTL2:
		return tl2Size(dims)
	}
	bs := uint64(tr.blockSize)
	if dims[0]%bs != 0 {
		return 0, fmt.Errorf("type %s: ne0 %d is not a multiple of the block size %d", t, dims[0], bs)
	}
	hi, lo := bits.Mul64(n/bs, uint64(tr.typeSize))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, fmt.Errorf("type %s dims %v: byte size %w", t, dims, errSizeOverflow)
	}
	return lo, nil
}

// tl2Size is ggml_nbytes for TL2 in bitnet.cpp's fork, evaluated left to
// right in integer arithmetic as the C code does (spec §1.5). Like the fork
// it uses only ne0 and ne1.
func tl2Size(dims []uint64) (uint64, error) {
	ne0, ne1 := dims[0], uint64(1)
	if len(dims) > 1 {
		ne1 = dims[1]
	}
	if ne0 < 256 {
		return 0, fmt.Errorf("type TL2: ne0 %d is less than 256", ne0)
	}
	a, ok := mul(ne0-256, ne1)
	b, ok2 := mul(256, ne1)
	if !ok || !ok2 {
		return 0, fmt.Errorf("type TL2 dims %v: byte size %w", dims, errSizeOverflow)
	}
	a, ok = mul(a/3, 5)
	b, ok2 = mul(b/2, 4)
	if !ok || !ok2 {
		return 0, fmt.Errorf("type TL2 dims %v: byte size %w", dims, errSizeOverflow)
	}
	n := a/8 + b/8 // both < 2^61: no overflow
	n = (n+31)/32*32 + 32
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("type TL2 dims %v: byte size %w", dims, errSizeOverflow)
	}
	return n, nil
}

// mul returns a·b and whether it fits in an int64.
func mul(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0 && lo <= math.MaxInt64
}
