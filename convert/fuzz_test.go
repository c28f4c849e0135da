package convert

import "testing"

// FuzzSPM feeds arbitrary bytes to the SentencePiece protobuf decoder: an
// error or a model, never a panic.
func FuzzSPM(f *testing.F) {
	f.Add(spmProto(5))
	f.Add(spmProto(300))
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		m, err := parseSPM(b)
		if err == nil && len(m.pieces) == 0 {
			t.Fatal("parseSPM accepted a model without pieces")
		}
	})
}
