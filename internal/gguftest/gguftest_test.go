package gguftest

import (
	"encoding/binary"
	"testing"
)

func TestTypeFieldOffset(t *testing.T) {
	// A tensor-info record as the spec lays it out, after some header bytes.
	b := []byte("header..")
	b = binary.LittleEndian.AppendUint64(b, 4)
	b = append(b, "blk0"...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint64(b, 128)
	b = binary.LittleEndian.AppendUint64(b, 3)
	want := len(b)
	b = binary.LittleEndian.AppendUint32(b, 36)
	b = binary.LittleEndian.AppendUint64(b, 0)
	if got := TypeFieldOffset(t, b, "blk0", 2); got != want {
		t.Fatalf("offset %d, want %d", got, want)
	}
	if typ := binary.LittleEndian.Uint32(b[want:]); typ != 36 {
		t.Fatalf("type field reads %d, want 36", typ)
	}
}
