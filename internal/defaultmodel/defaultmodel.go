// Package defaultmodel embeds the engine's default model, kjv-tiny: a small
// BitNet b1.58 model with the BitNet-b1.58-2B-4T architecture (hidden 256,
// 6 layers, relu², sub-norms, tied f16 embedding, I2_S projections) trained
// on the King James Bible. It is used whenever no -m flag is given, so the
// binary runs with nothing else installed.
//
// The file is shared/models/kjv-tiny/kjv-tiny-i2_s.gguf, made from the
// Hugging Face checkpoint by bitnet.cpp's toolchain, copied unchanged.
package defaultmodel

import (
	_ "embed"

	"github.com/bitnet-go/bitnet/gguf"
)

// Name is the label used for the embedded model in messages.
const Name = "kjv-tiny-i2_s.gguf (embedded)"

//go:embed kjv-tiny-i2_s.gguf
var data []byte

// SHA256 is the digest of the embedded file, checked by the tests.
const SHA256 = "372edb14f71f45c4eb261518d1dfc53c61aa8b179af89312fc14629320b20618"

// Bytes returns the embedded GGUF image. It must not be modified.
func Bytes() []byte { return data }

// Open parses the embedded model without copying it.
func Open() (*gguf.File, error) { return gguf.FromBytes(data, Name) }
