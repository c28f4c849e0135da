package tokenizer

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
)

func openKJV(t *testing.T) *gguf.File {
	t.Helper()
	f, err := gguf.Open(filepath.Join(shareddata.Path(t), "models", "kjv-tiny", "kjv-tiny-i2_s.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestKJVTinyFromGGUF(t *testing.T) {
	f := openKJV(t)
	tok, err := FromGGUF(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.PreTokenizer() != PreLlama3 || tok.VocabSize() != 8256 {
		t.Errorf("PreTokenizer() = %q, VocabSize() = %d", tok.PreTokenizer(), tok.VocabSize())
	}
	testKJV(t, tok)

	// The GGUF holds the same vocabulary as the rank file cut to 8000.
	fromRanks := kjvTokenizer(t)
	for id := range int32(tok.VocabSize()) {
		if tok.TokenText(id) != fromRanks.TokenText(id) || tok.TokenType(id) != fromRanks.TokenType(id) {
			t.Fatalf("token %d: GGUF %q type %d, rank file %q type %d", id,
				tok.TokenText(id), tok.TokenType(id), fromRanks.TokenText(id), fromRanks.TokenType(id))
		}
	}
	merges, err := f.Strings(keyMerges)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := loadTiktoken(t, 8000)
	if !slices.Equal(merges, v.Merges) {
		t.Errorf("GGUF has %d merges, LoadTiktoken derives %d (or they differ)", len(merges), len(v.Merges))
	}

	def, err := FromGGUF(f, Options{Pre: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if def.PreTokenizer() != PreDefault {
		t.Errorf("Options{Pre: default}: PreTokenizer() = %q", def.PreTokenizer())
	}
	if _, err := FromGGUF(f, Options{Pre: "bogus"}); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("Options{Pre: bogus}: error %v", err)
	}
}

// writeGGUF builds an in-memory GGUF with the given tokenizer keys.
func writeGGUF(t *testing.T, add func(w *gguf.Writer)) *gguf.File {
	t.Helper()
	w := gguf.NewWriter()
	add(w)
	var sb strings.Builder
	if _, err := w.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.FromBytes([]byte(sb.String()), "test.gguf")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFromGGUFKeys(t *testing.T) {
	tokens := []string{"a", "b", "ab", "<|eot_id|>"}
	minimal := func(w *gguf.Writer) {
		w.AddString(keyModel, "gpt2")
		w.AddStrings(keyTokens, tokens)
		w.AddStrings(keyMerges, []string{"a b"})
	}

	// No pre, no add_bos, no ids: Llama-3 splitting, BOS added, ids -1
	// except EOT, found by its text.
	tok, err := FromGGUF(writeGGUF(t, minimal), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.PreTokenizer() != PreLlama3 || !tok.AddBOS() || tok.AddEOS() || tok.BOS() != -1 || tok.EOS() != -1 || tok.EOT() != 3 {
		t.Errorf("defaults: pre %q, AddBOS %v, AddEOS %v, BOS %d, EOS %d, EOT %d",
			tok.PreTokenizer(), tok.AddBOS(), tok.AddEOS(), tok.BOS(), tok.EOS(), tok.EOT())
	}
	if got := tok.Encode("ab", false, false); !slices.Equal(got, []int32{2}) {
		t.Errorf("Encode(%q) = %v", "ab", got)
	}

	tok, err = FromGGUF(writeGGUF(t, func(w *gguf.Writer) {
		minimal(w)
		w.AddString(keyPre, "default")
		w.AddUint32("tokenizer.ggml.bos_token_id", 0)
		w.AddUint32("tokenizer.ggml.eos_token_id", 1)
		w.AddBool(keyAddEOS, true)
		w.AddInt32s(keyTypes, []int32{1, 1, 1, 3})
	}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.PreTokenizer() != PreDefault || tok.AddBOS() || !tok.AddEOS() || tok.BOS() != 0 || tok.EOS() != 1 || !tok.IsControl(3) {
		t.Errorf("keys: pre %q, AddBOS %v, AddEOS %v, BOS %d, EOS %d", tok.PreTokenizer(), tok.AddBOS(), tok.AddEOS(), tok.BOS(), tok.EOS())
	}

	// SentencePiece: llama.cpp's defaults (BOS 1, EOS 2, UNK 0, add_bos,
	// add_space_prefix), and tokenizer.ggml.pre is ignored.
	tok, err = FromGGUF(writeGGUF(t, func(w *gguf.Writer) {
		w.AddString(keyModel, "llama")
		w.AddStrings(keyTokens, []string{"<unk>", "<s>", "</s>", "▁a"})
		w.AddString(keyPre, "deepseek-llm")
	}), Options{Pre: "bogus"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Model() != "llama" || !tok.AddBOS() || !tok.AddSpacePrefix() || tok.BOS() != 1 || tok.EOS() != 2 || tok.UNK() != 0 {
		t.Errorf("spm defaults: model %q, AddBOS %v, AddSpacePrefix %v, BOS %d, EOS %d, UNK %d",
			tok.Model(), tok.AddBOS(), tok.AddSpacePrefix(), tok.BOS(), tok.EOS(), tok.UNK())
	}
	if got := tok.Encode("a", true, false); !slices.Equal(got, []int32{1, 3}) {
		t.Errorf("spm: Encode(\"a\") = %v, want [1 3]", got)
	}
	tok, err = FromGGUF(writeGGUF(t, func(w *gguf.Writer) {
		w.AddString(keyModel, "llama")
		w.AddStrings(keyTokens, []string{"<unk>", "<s>", "</s>", "▁a", "a"})
		w.AddBool(keySpace, false)
		w.AddBool(keyAddBOS, false)
	}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AddBOS() || tok.AddSpacePrefix() {
		t.Errorf("spm keys: AddBOS %v, AddSpacePrefix %v", tok.AddBOS(), tok.AddSpacePrefix())
	}
	if got := tok.Encode("a", false, false); !slices.Equal(got, []int32{4}) {
		t.Errorf("spm without space prefix: Encode(\"a\") = %v, want [4]", got)
	}

	errTests := []struct {
		name string
		add  func(w *gguf.Writer)
		want string
	}{
		{"no model", func(w *gguf.Writer) { w.AddStrings(keyTokens, tokens) }, keyModel},
		{"spm space type", func(w *gguf.Writer) {
			w.AddString(keyModel, "llama")
			w.AddStrings(keyTokens, tokens)
			w.AddUint32(keySpace, 1)
		}, keySpace},
		{"spm bos default", func(w *gguf.Writer) { w.AddString(keyModel, "llama"); w.AddStrings(keyTokens, tokens[:1]) }, "bos id 1"},
		{"no tokens", func(w *gguf.Writer) { w.AddString(keyModel, "gpt2") }, keyTokens},
		{"pre", func(w *gguf.Writer) { minimal(w); w.AddString(keyPre, "deepseek-llm") }, `"deepseek-llm"`},
		{"pre type", func(w *gguf.Writer) { minimal(w); w.AddUint32(keyPre, 1) }, keyPre},
		{"bos range", func(w *gguf.Writer) { minimal(w); w.AddUint32("tokenizer.ggml.bos_token_id", 9) }, "bos id 9"},
		{"bos huge", func(w *gguf.Writer) { minimal(w); w.AddUint64("tokenizer.ggml.bos_token_id", 1<<40) }, "out of range"},
		{"add_bos type", func(w *gguf.Writer) { minimal(w); w.AddString(keyAddBOS, "yes") }, keyAddBOS},
		{"bad merge", func(w *gguf.Writer) { minimal(w); w.AddStrings(keyMerges, []string{"ab"}) }, "merge 0"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromGGUF(writeGGUF(t, tt.add), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tokenizer: ") {
				t.Errorf("FromGGUF: error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
