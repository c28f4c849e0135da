// Package gguftest holds helpers for tests that corrupt GGUF files on
// purpose, byte by byte, to check the errors the readers give.
package gguftest

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TypeFieldOffset returns the byte offset in the GGUF file b of the type
// field of tensor name's tensor-info record (spec §1: name as a u64 length
// and bytes, u32 n_dims, n_dims u64 dimensions, then the u32 type), found
// by locating the length-prefixed name in the header. nDims is the
// tensor's number of dimensions. The field before it (the last dimension)
// starts 8 bytes earlier, and the tensor's u64 offset follows 4 bytes later.
func TypeFieldOffset(t testing.TB, b []byte, name string, nDims int) int {
	t.Helper()
	key := append(binary.LittleEndian.AppendUint64(nil, uint64(len(name))), name...)
	i := bytes.Index(b, key)
	if i < 0 {
		t.Fatalf("gguftest: tensor %q not found in the header", name)
	}
	return i + len(key) + 4 + 8*nDims
}
