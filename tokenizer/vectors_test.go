package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bitnet-go/bitnet/internal/shareddata"
)

// readVocabTests reads llama.cpp's tokenizer test vectors: name.inp holds the
// test strings, each followed by a line "__ggml_vocab_test__"; name.out one
// line of expected ids (no BOS) per string (llama.cpp
// tests/test-tokenizer-0.cpp read_tests).
func readVocabTests(t *testing.T, base string) (inputs []string, want [][]int32) {
	t.Helper()
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatal(err)
	}
	const sep = "\n__ggml_vocab_test__\n"
	inputs = strings.Split(string(inp), sep)
	if last := inputs[len(inputs)-1]; last != "" {
		t.Fatalf("%s.inp: text after the last separator: %q", base, last)
	}
	inputs = inputs[:len(inputs)-1]
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%s: %d inputs but %d output lines", base, len(inputs), len(lines))
	}
	for i, line := range lines {
		ids := []int32{}
		for _, f := range strings.Fields(line) {
			id, err := strconv.ParseInt(f, 10, 32)
			if err != nil {
				t.Fatalf("%s.out line %d: %v", base, i+1, err)
			}
			ids = append(ids, int32(id))
		}
		want = append(want, ids)
	}
	return inputs, want
}

// TestLlamaBPEVectors runs llama.cpp's llama-bpe vectors (expected ids from
// Hugging Face's Meta-Llama-3 tokenizer) against the vocabulary built from
// the rank file: this checks the Llama-3 splitter, the merge derivation and
// BPE together.
func TestLlamaBPEVectors(t *testing.T) {
	tok := llama3Tokenizer(t)
	inputs, want := readVocabTests(t, filepath.Join(shareddata.Path(t), "data", "tokenizer-tests", "ggml-vocab-llama-bpe.gguf"))
	checkVectors(t, tok, "llama-bpe", inputs, want)
}

// TestLlama3Split compares the hand-written splitter with the regex itself,
// run by Python's regex module (testdata/gen_llama3_split.py).
func TestLlama3Split(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "llama3_split.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text  string
		Words []string
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := words(splitLlama3(c.Text, 0, nil), c.Text); !slices.Equal(got, c.Words) {
			t.Errorf("splitLlama3(%q) = %q, want %q", c.Text, got, c.Words)
		}
	}
}

func words(spans []span, s string) []string {
	out := []string{}
	for _, sp := range spans {
		out = append(out, s[sp.lo:sp.hi])
	}
	return out
}

func TestPreTokenizers(t *testing.T) {
	tests := []struct {
		pre  preKind
		text string
		want []string
	}{
		{preLlama3, "", []string{}},
		{preLlama3, "Hello world", []string{"Hello", " world"}},
		{preLlama3, "don't I'M we'LL 'Ve", []string{"don", "'t", " I", "'M", " we", "'LL", " '", "Ve"}},
		{preLlama3, "a\u017f'\u017f", []string{"a\u017f", "'\u017f"}}, // (?i) folds ſ to s
		{preLlama3, "1234567", []string{"123", "456", "7"}},
		{preLlama3, "x   y", []string{"x", "  ", " y"}},
		{preLlama3, "x \n\n y", []string{"x", " \n\n", " y"}},
		{preLlama3, "x  ", []string{"x", "  "}},
		{preLlama3, " \t3", []string{" ", "\t", "3"}},
		{preLlama3, "!?\n\nx", []string{"!?\n\n", "x"}},
		{preLlama3, " !?x", []string{" !?", "x"}},
		{preLlama3, "\u3000\u3000x", []string{"\u3000", "\u3000x"}},
		{preLlama3, "a\xffb", []string{"a", "\xffb"}}, // an invalid byte is "other"
		{preLlama3, "\xe2\x82", []string{"\xe2\x82"}},

		{preGPT2, "don't DON'T", []string{"don", "'t", " DON", "'", "T"}},
		{preGPT2, "Hello   world  ", []string{"Hello", "  ", " world", "  "}},
		{preGPT2, "abc 1234567 !?", []string{"abc", " 1234567", " !?"}},
		{preGPT2, "a\tb", []string{"a", "\t", "b"}},
		{preGPT2, "a\n\nb", []string{"a", "\n", "\n", "b"}},

		// llama.cpp's "default" cascade: punctuation runs, then GPT-2, then
		// numbers, then groups of three ASCII digits.
		{preDefault, "Hello, world!", []string{"Hello", ",", " world", "!"}},
		{preDefault, "don't", []string{"don", "'", "t"}},
		{preDefault, "1234567 abc", []string{"123", "456", "7", " abc"}},
		{preDefault, "x 12345", []string{"x", " ", "123", "45"}},
		{preDefault, "$100+5", []string{"$", "100", "+", "5"}},
		{preDefault, "3.14159", []string{"3", ".", "141", "59"}},
		{preDefault, "a`b", []string{"a", "`", "b"}},
		{preDefault, "«hi»", []string{"«", "hi", "»"}},
		{preDefault, "€5", []string{"€", "5"}},
		{preDefault, "x٣٤٥٦", []string{"x", "٣٤٥٦"}},
		{preDefault, "ab12c", []string{"ab", "12", "c"}},
		{preDefault, "  hi \n", []string{" ", " hi", " \n"}},

		// "falcon": '`' joins the punctuation class; groups of three digits.
		{preFalcon, "a`b 12345", []string{"a", "`", "b", " ", "123", "45"}},
		{preFalcon, "3.14159", []string{"3", ".", "141", "59"}},
		{preFalcon, "x٣٤٥٦", []string{"x", "٣٤٥٦"}},
		// "falcon3" / "falcon_e" (spec §5.5): ASCII digits one by one.
		{preFalcon3, "x 2024!", []string{"x", " ", "2", "0", "2", "4", "!"}},
		{preFalcon3, "a``b", []string{"a", "``", "b"}},
		{preFalcon3, "don't", []string{"don", "'", "t"}},
		{preFalcon3, "x٣٤٥٦ 7y", []string{"x", "٣٤٥٦", " ", "7", "y"}},
	}
	for _, tt := range tests {
		tok := &Tokenizer{pre: tt.pre}
		spans, _ := tok.pretokenize(tt.text, nil, nil)
		if got := words(spans, tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("pre %d: split(%q) = %q, want %q", tt.pre, tt.text, got, tt.want)
		}
	}
}

type kjvReference struct {
	BOS, EOS, EOT  int32
	TokenizerCases []struct {
		Text   string
		Tokens []int32
	} `json:"tokenizer_cases"`
	Cases []struct {
		Prompt       string
		Tokens       []int32
		GreedyTokens []int32 `json:"greedy_tokens"`
		GreedyText   string  `json:"greedy_text"`
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// testKJV checks tok against kjv-tiny's PyTorch reference (tokenizer cases
// without BOS, prompts with BOS) and bitnet.cpp's crossval prompts, which
// hold special-token texts.
func testKJV(t *testing.T, tok *Tokenizer) {
	shared := shareddata.Path(t)
	var ref kjvReference
	readJSON(t, filepath.Join(shared, "models", "kjv-tiny", "reference", "reference.json"), &ref)
	if tok.BOS() != ref.BOS || tok.EOS() != ref.EOS || tok.EOT() != ref.EOT {
		t.Errorf("BOS, EOS, EOT = %d, %d, %d, want %d, %d, %d", tok.BOS(), tok.EOS(), tok.EOT(), ref.BOS, ref.EOS, ref.EOT)
	}
	if !tok.AddBOS() {
		t.Error("AddBOS() = false")
	}
	if len(ref.TokenizerCases) == 0 || len(ref.Cases) == 0 {
		t.Fatal("reference.json has no cases")
	}
	for _, c := range ref.TokenizerCases {
		// No text holds a special-token text; parseSpecial is false, as the
		// reference encoded them.
		if got := tok.Encode(c.Text, false, false); !slices.Equal(got, c.Tokens) {
			t.Errorf("Encode(%q) = %v, want %v", c.Text, got, c.Tokens)
		}
		if got := tok.Decode(c.Tokens); got != c.Text {
			t.Errorf("Decode(%v) = %q, want %q", c.Tokens, got, c.Text)
		}
	}
	for _, c := range ref.Cases {
		if got := tok.Encode(c.Prompt, tok.AddBOS(), true); !slices.Equal(got, c.Tokens) {
			t.Errorf("Encode(%q) = %v, want %v", c.Prompt, got, c.Tokens)
		}
	}

	var cv kjvReference
	readJSON(t, filepath.Join(shared, "crossval", "kjv-tiny-i2_s", "reference.json"), &cv)
	for _, c := range cv.Cases {
		// bitnet.cpp tokenized with parse_special; a prompt that starts
		// with <|begin_of_text|> gets no second BOS.
		addBOS := !strings.HasPrefix(c.Prompt, "<|begin_of_text|>")
		if got := tok.Encode(c.Prompt, addBOS, true); !slices.Equal(got, c.Tokens) {
			t.Errorf("Encode(%q) = %v, want %v", c.Prompt, got, c.Tokens)
		}
		// greedy_text renders control tokens by name (Piece).
		var raw []byte
		for _, id := range c.GreedyTokens {
			raw = append(raw, tok.Piece(id)...)
		}
		if utf8.Valid(raw) && string(raw) != c.GreedyText {
			t.Errorf("pieces of %v = %q, want %q", c.GreedyTokens, raw, c.GreedyText)
		}
	}
}

func TestKJVTinyFromTiktoken(t *testing.T) {
	testKJV(t, kjvTokenizer(t))
}

// TestMergeDerivation checks LoadTiktoken's merge list against the one
// Hugging Face wrote into kjv-tiny's tokenizer.json from the same ranks.
func TestMergeDerivation(t *testing.T) {
	shared := shareddata.Path(t)
	f, err := os.Open(filepath.Join(shared, "data", "llama3-tokenizer.tiktoken"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := LoadTiktoken(f, Llama3Specials(), 8000)
	if err != nil {
		t.Fatal(err)
	}
	var hf struct {
		Model struct {
			Vocab  map[string]int32
			Merges []string
		}
	}
	readJSON(t, filepath.Join(shared, "models", "kjv-tiny", "hf", "tokenizer.json"), &hf)
	if len(v.Merges) != len(hf.Model.Merges) {
		t.Errorf("%d merges, tokenizer.json has %d", len(v.Merges), len(hf.Model.Merges))
	}
	for i := range min(len(v.Merges), len(hf.Model.Merges)) {
		if v.Merges[i] != hf.Model.Merges[i] {
			t.Fatalf("merge %d = %q, tokenizer.json has %q", i, v.Merges[i], hf.Model.Merges[i])
		}
	}
	if len(hf.Model.Vocab) != 8000 {
		t.Errorf("tokenizer.json vocab has %d tokens, want 8000", len(hf.Model.Vocab))
	}
	for text, id := range hf.Model.Vocab {
		if v.Tokens[id] != text {
			t.Errorf("token %d = %q, tokenizer.json has %q", id, v.Tokens[id], text)
		}
	}
	if len(v.Tokens) != 8256 || v.Tokens[8009] != "<|eot_id|>" || v.Types[8009] != TypeControl {
		t.Errorf("specials: %d tokens, token 8009 = %q type %d", len(v.Tokens), v.Tokens[8009], v.Types[8009])
	}
}

func TestLlama3Specials(t *testing.T) {
	tok := llama3Tokenizer(t)
	tests := []struct {
		id   int32
		text string
	}{
		{128000, "<|begin_of_text|>"},
		{128001, "<|end_of_text|>"},
		{128002, "<|reserved_special_token_0|>"},
		{128005, "<|reserved_special_token_3|>"},
		{128006, "<|start_header_id|>"},
		{128007, "<|end_header_id|>"},
		{128008, "<|reserved_special_token_4|>"},
		{128009, "<|eot_id|>"},
		{128010, "<|reserved_special_token_5|>"},
		{128255, "<|reserved_special_token_250|>"},
	}
	for _, tt := range tests {
		if got := tok.TokenText(tt.id); got != tt.text {
			t.Errorf("TokenText(%d) = %q, want %q", tt.id, got, tt.text)
		}
		if id, ok := tok.Lookup(tt.text); !ok || id != tt.id {
			t.Errorf("Lookup(%q) = %d, %v, want %d", tt.text, id, ok, tt.id)
		}
		if !tok.IsControl(tt.id) {
			t.Errorf("IsControl(%d) = false", tt.id)
		}
	}
	if tok.VocabSize() != 128256 {
		t.Errorf("VocabSize() = %d, want 128256", tok.VocabSize())
	}
	if tok.BOS() != 128000 || tok.EOS() != 128001 || tok.EOT() != 128009 {
		t.Errorf("BOS, EOS, EOT = %d, %d, %d", tok.BOS(), tok.EOS(), tok.EOT())
	}
	for id, want := range map[int32]bool{128001: true, 128009: true, 128000: false, 128008: false, 279: false, -1: false, 1 << 20: false} {
		if got := tok.IsEOG(id); got != want {
			t.Errorf("IsEOG(%d) = %v, want %v", id, got, want)
		}
	}
	if got := string(tok.Piece(128009)); got != "<|eot_id|>" {
		t.Errorf("Piece(128009) = %q", got)
	}
	if got := string(tok.Piece(220)); got != " " {
		t.Errorf("Piece(220) = %q, want \" \"", got)
	}
	if id, ok := tok.Lookup("Ġthe"); !ok || id != 279 {
		t.Errorf("Lookup(\"Ġthe\") = %d, %v, want 279", id, ok)
	}
	if _, ok := tok.Lookup(" the"); ok {
		t.Error("Lookup(\" the\") found a token; stored texts are byte-level")
	}

	text := "<|begin_of_text|>System: hi<|eot_id|><|start_header_id|>x<|reserved_special_token_250|>"
	got := tok.Encode(text, false, true)
	want := []int32{128000, 2374, 25, 15960, 128009, 128006, 87, 128255}
	if !slices.Equal(got, want) {
		t.Errorf("Encode(%q, parseSpecial) = %v, want %v", text, got, want)
	}
	if dec := tok.Decode(got); dec != "System: hix" {
		t.Errorf("Decode(%v) = %q, want %q", got, dec, "System: hix")
	}
	if got := tok.Encode("<|eot_id|>", true, false); len(got) < 3 || got[0] != 128000 || slices.Contains(got, 128009) {
		t.Errorf("Encode(\"<|eot_id|>\", BOS, no specials) = %v", got)
	}
}

// checkVectors encodes every input of a llama.cpp vocabulary test, compares
// the ids with the expected ones and the decoded text with the input, and
// logs how many of name's vectors pass.
func checkVectors(t *testing.T, tok *Tokenizer, name string, inputs []string, want [][]int32) {
	t.Helper()
	pass := 0
	for i, in := range inputs {
		got := tok.Encode(in, false, false)
		if !slices.Equal(got, want[i]) {
			t.Errorf("Encode(%q) = %v, want %v", in, got, want[i])
			continue
		}
		if dec := tok.Decode(got); dec != in {
			t.Errorf("Decode(Encode(%q)) = %q", in, dec)
			continue
		}
		pass++
	}
	t.Logf("%s vectors: %d/%d pass", name, pass, len(inputs))
}
