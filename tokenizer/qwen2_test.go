package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
)

// ggufTokenizer loads the tokenizer of the GGUF file at path.
func ggufTokenizer(t *testing.T, path string) *Tokenizer {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := FromGGUF(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestQwen2Vectors runs llama.cpp's ggml-vocab-qwen2 vectors against the
// vocabulary rebuilt from Qwen's rank file (shared/data/tokenizer-tests,
// SOURCE.txt): every vector must pass, and decode back to its input.
func TestQwen2Vectors(t *testing.T) {
	base := filepath.Join(shareddata.Path(t, "data", "tokenizer-tests"), "ggml-vocab-qwen2.gguf")
	tok := ggufTokenizer(t, base)
	if got := tok.PreTokenizer(); got != PreQwen2 {
		t.Fatalf("PreTokenizer() = %q, want %q", got, PreQwen2)
	}
	inputs, want := readVocabTests(t, base)
	checkVectors(t, tok, "qwen2", inputs, want)
}

// TestQwen2Split checks the single-digit rule and the ASCII-only
// contractions that set the Qwen2 regex apart from Llama 3's.
func TestQwen2Split(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"12345", []string{"1", "2", "3", "4", "5"}},
		{"x 2024!", []string{"x", " ", "2", "0", "2", "4", "!"}},
		{"I'M here", []string{"I", "'M", " here"}},
		{"a'ſx", []string{"a", "'ſx"}},               // no Unicode folding: Llama 3 gives "'ſ", "x"
		{"٣٤ digits", []string{"٣", "٤", " digits"}}, // \p{N} beyond ASCII
		{"hi  \n\nyo", []string{"hi", "  \n\n", "yo"}},
	}
	for _, tt := range tests {
		got := words(splitQwen2(tt.in, 0, nil), tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("splitQwen2(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEmbeddingSetTokens tokenizes every text case of the embedding
// reference sets (shared/embeddings/*/reference.json) with the set's own
// GGUF and compares with the ids the reference embedded (BOS/EOS included).
func TestEmbeddingSetTokens(t *testing.T) {
	root := shareddata.Path(t, "embeddings")
	for _, set := range []string{"qwen3-student-i2_s", "qwen3-teacher-f32", "gemma3-student-i2_s", "gemma3-teacher-f32"} {
		t.Run(set, func(t *testing.T) {
			dir := filepath.Join(root, set)
			b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref struct {
				Cases []struct {
					Name   string  `json:"name"`
					Kind   string  `json:"kind"`
					Text   string  `json:"text"`
					Tokens []int32 `json:"tokens"`
				} `json:"cases"`
			}
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			tok := ggufTokenizer(t, filepath.Join(dir, "model.gguf"))
			n := 0
			for _, c := range ref.Cases {
				if c.Kind != "text" {
					continue
				}
				n++
				if got := tok.EncodeInput(c.Text); !slices.Equal(got, c.Tokens) {
					t.Errorf("%s: EncodeInput(%q) = %v, want %v", c.Name, c.Text, got, c.Tokens)
				}
			}
			if n == 0 {
				t.Fatal("no text cases in reference.json")
			}
		})
	}
}

// TestEncodeInput checks the BOS/EOS rule of spec §10.8 on a vocabulary
// whose flags are set each way.
func TestEncodeInput(t *testing.T) {
	v := Vocab{Model: "gpt2", Pre: "qwen2", Tokens: []string{"a", "b", "<s>", "</s>"},
		Types: []int32{1, 1, 3, 3}, BOS: 2, EOS: 3, EOT: -1, UNK: -1, PAD: -1}
	for _, tt := range []struct {
		bos, eos bool
		want     []int32
	}{
		{false, false, []int32{0, 1}},
		{true, false, []int32{2, 0, 1}},
		{false, true, []int32{0, 1, 3}},
		{true, true, []int32{2, 0, 1, 3}},
	} {
		v.AddBOS, v.AddEOS = tt.bos, tt.eos
		tok, err := New(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.EncodeInput("ab"); !slices.Equal(got, tt.want) {
			t.Errorf("bos %v eos %v: EncodeInput(\"ab\") = %v, want %v", tt.bos, tt.eos, got, tt.want)
		}
	}
}
