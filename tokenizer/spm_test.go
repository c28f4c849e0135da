package tokenizer

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
)

var llamaSPM struct {
	once sync.Once
	tok  *Tokenizer
}

// spmTokenizer returns the tokenizer of llama.cpp's ggml-vocab-llama-spm.gguf
// (Llama 2's SentencePiece vocabulary, 32000 tokens; a vocabulary-only file).
func spmTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	dir := shareddata.Path(t)
	llamaSPM.once.Do(func() {
		f, err := gguf.Open(filepath.Join(dir, "data", "tokenizer-tests", "ggml-vocab-llama-spm.gguf"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if llamaSPM.tok, err = FromGGUF(f, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	if llamaSPM.tok == nil {
		t.Fatal("llama-spm tokenizer failed to load earlier")
	}
	return llamaSPM.tok
}

// TestLlamaSPMVectors runs llama.cpp's llama-spm vectors (expected ids from
// the SentencePiece reference, no BOS).
func TestLlamaSPMVectors(t *testing.T) {
	tok := spmTokenizer(t)
	if tok.Model() != "llama" || tok.VocabSize() != 32000 || tok.BOS() != 1 || tok.EOS() != 2 || tok.UNK() != 0 || !tok.AddBOS() || !tok.AddSpacePrefix() {
		t.Fatalf("Model %q, VocabSize %d, BOS %d, EOS %d, UNK %d, AddBOS %v, AddSpacePrefix %v",
			tok.Model(), tok.VocabSize(), tok.BOS(), tok.EOS(), tok.UNK(), tok.AddBOS(), tok.AddSpacePrefix())
	}
	inputs, want := readVocabTests(t, filepath.Join(shareddata.Path(t), "data", "tokenizer-tests", "ggml-vocab-llama-spm.gguf"))
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
	t.Logf("llama-spm vectors: %d/%d pass", pass, len(inputs))
}

func TestSPM(t *testing.T) {
	tok := spmTokenizer(t)
	tests := []struct {
		text         string
		bos, special bool
		want         []int32
	}{
		{"", true, false, []int32{1}},
		{"", false, false, []int32{}},
		{"Hello", true, false, []int32{1, 15043}},
		{" Hello", false, false, []int32{29871, 15043}},
		// After a special token the fragment gets a space prefix again.
		{"<s>Hello</s>", false, true, []int32{1, 15043, 2}},
		{"<s>Hello", false, false, []int32{529, 29879, 29958, 10994}},
		// Byte fallback: U+10FFFF has no token.
		{"\U0010FFFF", false, false, []int32{29871, 0xF4 + 3, 0x8F + 3, 0xBF + 3, 0xBF + 3}},
		{"\xff", false, false, []int32{29871, 0xFF + 3}},
	}
	for _, tt := range tests {
		got := tok.Encode(tt.text, tt.bos, tt.special)
		if got == nil {
			got = []int32{}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Encode(%q, %v, %v) = %v, want %v", tt.text, tt.bos, tt.special, got, tt.want)
		}
	}
	for _, tt := range []struct {
		ids  []int32
		want string
	}{
		{[]int32{1, 15043}, "Hello"},
		{[]int32{15043}, "Hello"},
		{[]int32{29871, 15043}, " Hello"},
		{[]int32{1, 1, 15043}, " Hello"}, // only a first BOS is skipped
		{[]int32{15043, 15043}, "Hello Hello"},
		{[]int32{29871, 0xE2 + 3, 0x82 + 3, 0xAC + 3}, "€"},
		{[]int32{0, 2}, ""}, // unknown and control render as nothing
	} {
		if got := tok.Decode(tt.ids); got != tt.want {
			t.Errorf("Decode(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
	if got := string(tok.Piece(15043)); got != " Hello" {
		t.Errorf("Piece(15043) = %q", got)
	}
	if got := tok.Piece(0xE2 + 3); !slices.Equal(got, []byte{0xE2}) {
		t.Errorf("Piece(<0xE2>) = %q", got)
	}
}

// TestSPMScores checks the merge order on a toy vocabulary: the
// highest-scoring pair merges first, leftmost on ties, and a symbol that is
// no token falls back to bytes (or UNK without a byte token).
func TestSPMScores(t *testing.T) {
	v := Vocab{Model: "llama", BOS: 1, EOS: 2, UNK: 0, EOT: -1, PAD: -1, AddBOS: true}
	add := func(text string, typ int32, score float32) int32 {
		v.Tokens = append(v.Tokens, text)
		v.Types = append(v.Types, typ)
		v.Scores = append(v.Scores, score)
		return int32(len(v.Tokens) - 1)
	}
	add("<unk>", TypeUnknown, 0)
	add("<s>", TypeControl, 0)
	add("</s>", TypeControl, 0)
	sp := add("▁", TypeNormal, -1)
	add("a", TypeNormal, -2)
	b := add("b", TypeNormal, -2)
	c := add("c", TypeNormal, -2)
	ab := add("ab", TypeNormal, -5)
	bc := add("bc", TypeNormal, -3) // beats "ab"
	spa := add("▁a", TypeNormal, -4)
	aa := add("aa", TypeNormal, -6)
	x41 := add("<0x41>", TypeByte, 0)
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []int32
	}{
		{"abc", []int32{spa, bc}},
		{"bab", []int32{sp, b, ab}},
		{"aaa", []int32{spa, aa}},
		{"A", []int32{sp, x41}},
		{"z", []int32{sp, 0}}, // no <0x7A>: UNK
		{"c", []int32{sp, c}},
	}
	for _, tt := range tests {
		if got := tok.Encode(tt.text, false, false); !slices.Equal(got, tt.want) {
			t.Errorf("Encode(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	v.NoSpacePrefix = true
	tok, err = New(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("ab c", false, false); !slices.Equal(got, []int32{ab, sp, c}) {
		t.Errorf("NoSpacePrefix: Encode(\"ab c\") = %v", got)
	}
	if got := tok.Decode([]int32{sp, c}); got != " c" {
		t.Errorf("NoSpacePrefix: Decode = %q, want \" c\"", got)
	}
}

// TestSPMRoundTrip checks the property that holds for SentencePiece:
// Decode(Encode(s)) == s for every valid UTF-8 s that holds no U+2581 '▁'
// (Encode writes spaces as '▁', so Decode turns a '▁' of s into a space);
// s may start with spaces. Without parseSpecial, special-token texts are
// plain text and round-trip too. A streaming text decoder gives the same
// text. Invalid UTF-8 need not round-trip: llama.cpp cuts symbols by their
// lead byte, so a stray lead byte can swallow the first bytes of an escaped
// space, which then come back as byte tokens spelling '▁'.
func TestSPMRoundTrip(t *testing.T) {
	tok := spmTokenizer(t)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		s := randomText(r, r.IntN(30))
		if i%3 == 0 {
			s = randomUnicode(r, r.IntN(20))
		}
		s = strings.ToValidUTF8(strings.ReplaceAll(s, "▁", ""), "")
		ids := tok.Encode(s, i%2 == 0, false)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q (ids %v)", s, got, ids)
		}
		d := tok.NewTextDecoder()
		var sb strings.Builder
		for _, id := range ids {
			out := d.Add(id)
			if !utf8.ValidString(out) {
				t.Fatalf("Decoder.Add(%d) = %q", id, out)
			}
			sb.WriteString(out)
		}
		sb.WriteString(d.Flush())
		if want := string([]rune(s)); sb.String() != want {
			t.Fatalf("streamed %q, want %q", sb.String(), want)
		}
	}
	if got := tok.Decode(tok.Encode("\xe9K Z", false, false)); got != "\xe9K▁Z" {
		t.Errorf("Decode(Encode(\"\\xe9K Z\")) = %q, want \"\\xe9K▁Z\"", got)
	}
	if got := tok.Decode(tok.Encode("a▁b", false, false)); got != "a b" {
		t.Errorf("Decode(Encode(\"a▁b\")) = %q, want \"a b\"", got)
	}
}

// TestDecoderContinuation: a NewDecoder keeps SentencePiece's leading
// space, so generated text after a prompt stays separated.
func TestDecoderContinuation(t *testing.T) {
	tok := spmTokenizer(t)
	ids := tok.Encode("Hello world", false, false)
	d := tok.NewDecoder()
	var sb strings.Builder
	for _, id := range ids {
		sb.WriteString(d.Add(id))
	}
	if sb.String() != " Hello world" {
		t.Errorf("NewDecoder: %q, want \" Hello world\"", sb.String())
	}
	d = tok.NewTextDecoder()
	sb.Reset()
	for _, id := range append([]int32{tok.BOS()}, ids...) {
		sb.WriteString(d.Add(id))
	}
	if sb.String() != "Hello world" {
		t.Errorf("NewTextDecoder: %q, want \"Hello world\"", sb.String())
	}
	d.Reset()
	if got := d.Add(ids[0]); got != "Hello" {
		t.Errorf("after Reset: Add = %q, want \"Hello\"", got)
	}
}

// randomUnicode returns n random code points from all planes (surrogates
// excluded), sometimes with a stray byte.
func randomUnicode(r *rand.Rand, n int) string {
	var b []byte
	for range n {
		switch r.IntN(10) {
		case 0:
			b = append(b, byte(r.IntN(256)))
		case 1, 2:
			b = append(b, byte(' '+r.IntN(95)))
		default:
			c := rune(r.IntN(0x110000))
			if !utf8.ValidRune(c) {
				c = ' '
			}
			b = utf8.AppendRune(b, c)
		}
	}
	return string(b)
}

func FuzzSPM(f *testing.F) {
	for _, s := range []string{"", " ", "Hello world", "  \n\n 123456 ", "🙂日本", "\xff\xe2\x82", "<s>x</s>"} {
		f.Add(s)
	}
	tok := spmTokenizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<12 {
			return
		}
		ids := tok.Encode(s, true, false)
		if want := strings.ReplaceAll(s, "▁", " "); utf8.ValidString(s) && tok.Decode(ids) != want {
			t.Fatalf("Decode(Encode(%q)) = %q", s, tok.Decode(ids))
		}
		tok.Encode(s, true, true)
	})
}

func TestParsePre(t *testing.T) {
	for name, want := range map[string]string{
		"": PreLlama3, "llama-bpe": PreLlama3, "llama3": PreLlama3, "llama-v3": PreLlama3,
		"default": PreDefault, "gpt-2": PreGPT2, "falcon": PreFalcon, "falcon3": PreFalcon3, "falcon_e": PreFalcon3,
	} {
		v := byteVocab(name, nil, nil)
		tok, err := New(v)
		if err != nil {
			t.Fatalf("New(Pre %q): %v", name, err)
		}
		if got := tok.PreTokenizer(); got != want {
			t.Errorf("Pre %q: PreTokenizer() = %q, want %q", name, got, want)
		}
	}
}
