package defaultmodel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestEmbeddedMatchesShared(t *testing.T) {
	sum := sha256.Sum256(Bytes())
	if got := hex.EncodeToString(sum[:]); got != SHA256 {
		t.Fatalf("embedded model sha256 = %s, want %s", got, SHA256)
	}
	shared := filepath.Join("..", "..", "..", "shared", "models", "kjv-tiny", "kjv-tiny-i2_s.gguf")
	b, err := os.ReadFile(shared)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if !bytes.Equal(b, Bytes()) {
		t.Errorf("embedded model differs from %s", shared)
	}
}

func TestOpen(t *testing.T) {
	f, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	arch, err := f.String("general.architecture")
	if err != nil || arch != "bitnet-b1.58" {
		t.Errorf("general.architecture = %q, %v; want bitnet-b1.58", arch, err)
	}
}
