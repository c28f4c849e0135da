package tokenizer

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bitnet-go/bitnet/internal/shareddata"
)

// Tokenizers built once from the shared rank file (about 0.3 s for Llama 3).
var llama3, kjvTiny struct {
	once sync.Once
	tok  *Tokenizer
}

// loadTiktoken builds the vocabulary of the shared Llama-3 rank file cut to
// ranks below firstSpecial, with the 256 specials after it.
func loadTiktoken(t testing.TB, firstSpecial int32) (Vocab, *Tokenizer) {
	t.Helper()
	f, err := os.Open(filepath.Join(shareddata.Path(t), "data", "llama3-tokenizer.tiktoken"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := LoadTiktoken(f, Llama3Specials(), firstSpecial)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	return v, tok
}

// llama3Tokenizer returns the BitNet-b1.58-2B-4T / Llama-3 tokenizer (128256
// tokens), built once.
func llama3Tokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	shareddata.Path(t)
	llama3.once.Do(func() { _, llama3.tok = loadTiktoken(t, 128000) })
	if llama3.tok == nil {
		t.Fatal("Llama-3 tokenizer failed to load earlier")
	}
	return llama3.tok
}

// kjvTokenizer returns kjv-tiny's tokenizer (the first 8000 Llama-3 ranks
// plus the 256 specials), built from the rank file.
func kjvTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	shareddata.Path(t)
	kjvTiny.once.Do(func() { _, kjvTiny.tok = loadTiktoken(t, 8000) })
	if kjvTiny.tok == nil {
		t.Fatal("kjv-tiny tokenizer failed to load earlier")
	}
	return kjvTiny.tok
}
