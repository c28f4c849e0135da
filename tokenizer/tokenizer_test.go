package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// byteVocab returns a gpt2 Vocab of the 256 single bytes (id = byte value)
// followed by extra tokens, with the given merges.
func byteVocab(pre string, extra, merges []string) Vocab {
	v := Vocab{Model: "gpt2", Pre: pre, BOS: -1, EOS: -1, EOT: -1, UNK: -1, PAD: -1}
	for b := range 256 {
		v.Tokens = append(v.Tokens, string(byteToRune[b]))
	}
	v.Tokens = append(v.Tokens, extra...)
	v.Merges = merges
	return v
}

func TestBPE(t *testing.T) {
	const (
		ab = 256 + iota
		abc
		aa
		xyz
		hello
	)
	v := byteVocab(PreDefault, []string{"ab", "abc", "aa", "xyz", "hello"}, []string{
		"a b",   // 0
		"ab c",  // 1
		"a a",   // 2
		"x y",   // 3: "xy" is no token
		"xy z",  // 4
		"q r",   // 5: "qr" is no token, and nothing merges it further
		"b c",   // 6: ranks below "a b" never fire on "abc"
		"h e",   // 7: "he" … "hell" are no tokens
		"he l",  // 8
		"hel l", // 9
		"hell o",
	})
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []int32
	}{
		{"a", []int32{'a'}},
		{"ab", []int32{ab}},
		{"abc", []int32{abc}},
		{"aaa", []int32{aa, 'a'}}, // leftmost first on equal ranks
		{"aaaa", []int32{aa, aa}},
		{"bc", []int32{'b', 'c'}}, // "b c" ranks after "a b": unused here, and "bc" is no token
		{"xyz", []int32{xyz}},     // through an intermediate that is no token
		{"xy", []int32{'x', 'y'}}, // which falls back to bytes
		{"qr", []int32{'q', 'r'}},
		{"hello", []int32{hello}},
		{"abab", []int32{ab, ab}},
		{"zabc", []int32{'z', abc}},
		{"\xff", []int32{0xff}}, // invalid UTF-8: byte tokens
		{"é", []int32{0xc3, 0xa9}},
		{"a b", []int32{'a', ' ', 'b'}}, // " b" is one word; "Ġb" is no token
	}
	for _, tt := range tests {
		if got := tok.Encode(tt.text, false, false); !slices.Equal(got, tt.want) {
			t.Errorf("Encode(%q) = %v, want %v", tt.text, got, tt.want)
		}
		if got := tok.Decode(tt.want); got != tt.text {
			t.Errorf("Decode(%v) = %q, want %q", tt.want, got, tt.text)
		}
	}

	// ignore_merges (llama3 family): a word that is a token is taken whole,
	// even though the merges could not build it.
	v2 := byteVocab(PreLlama3, []string{"bc", "Ġbc"}, []string{"a b"})
	tok2, err := New(v2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok2.Encode("bc bc", false, false), []int32{256, 257}; !slices.Equal(got, want) {
		t.Errorf("ignore_merges: Encode(%q) = %v, want %v", "bc bc", got, want)
	}
	v2.Pre = PreDefault
	tok3, err := New(v2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok3.Encode("bc bc", false, false), []int32{'b', 'c', ' ', 'b', 'c'}; !slices.Equal(got, want) {
		t.Errorf("no ignore_merges: Encode(%q) = %v, want %v", "bc bc", got, want)
	}
}

func TestMissingByteTokens(t *testing.T) {
	v := Vocab{Model: "gpt2", Tokens: []string{"a", "b", "<unk>"}, Types: []int32{1, 1, TypeUnknown}, BOS: -1, EOS: -1, EOT: -1, UNK: 2, PAD: -1}
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Encode("abc", false, false), []int32{0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("Encode(%q) = %v, want %v", "abc", got, want)
	}
	v.UNK = -1
	tok, err = New(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Encode("abc", false, false), []int32{0, 1}; !slices.Equal(got, want) {
		t.Errorf("without UNK: Encode(%q) = %v, want %v", "abc", got, want)
	}
}

func TestSpecialPartition(t *testing.T) {
	const (
		ta = 256 + iota
		tab
		tb
		tu
	)
	v := byteVocab(PreLlama3, []string{"<a>", "<a>b<c>", "b<c>", "<u>", ""}, nil)
	v.Types = make([]int32, len(v.Tokens))
	for i := range v.Types {
		v.Types[i] = TypeNormal
	}
	v.Types[ta], v.Types[tab], v.Types[tb], v.Types[tu], v.Types[tu+1] = TypeControl, TypeControl, TypeControl, TypeUserDefined, TypeControl
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []int32
	}{
		{"", nil},
		{"<a>", []int32{ta}},
		{"x<a><a>y", []int32{'x', ta, ta, 'y'}},
		// Longest text first over the whole input, not leftmost first.
		{"<a>b<c>", []int32{tab}},
		{"a<a>b<c>", []int32{'a', tab}},
		{"<a><a>b<c>", []int32{ta, tab}},
		{"<<a>b<c>>", []int32{'<', tab, '>'}},
		{"Xb<c>", []int32{'X', tb}},
		{"<u>", []int32{tu}},
	}
	for _, tt := range tests {
		if got := tok.Encode(tt.text, false, true); !slices.Equal(got, tt.want) {
			t.Errorf("Encode(%q, parseSpecial) = %v, want %v", tt.text, got, tt.want)
		}
	}
	// User-defined tokens render; control tokens do not.
	if got := tok.Decode([]int32{'x', ta, tu, tab}); got != "x<u>" {
		t.Errorf("Decode = %q, want %q", got, "x<u>")
	}
	if got := string(tok.Piece(ta)); got != "<a>" {
		t.Errorf("Piece(%d) = %q", ta, got)
	}
}

func TestNewErrors(t *testing.T) {
	ok := func() Vocab { return byteVocab("", []string{"ab"}, []string{"a b"}) }
	tests := []struct {
		name   string
		mutate func(*Vocab)
		want   string
	}{
		{"model", func(v *Vocab) { v.Model = "bert" }, `model "bert"`},
		{"pre", func(v *Vocab) { v.Pre = "deepseek-llm" }, `pre-tokenizer "deepseek-llm"`},
		{"empty", func(v *Vocab) { v.Tokens = nil }, "empty vocabulary"},
		{"types", func(v *Vocab) { v.Types = []int32{1} }, "1 token types for 257 tokens"},
		{"type", func(v *Vocab) { v.Types = make([]int32, 257); v.Types[3] = 9 }, "token 3"},
		{"scores", func(v *Vocab) { v.Scores = []float32{1} }, "1 token scores"},
		{"bos", func(v *Vocab) { v.BOS = 257 }, "bos id 257"},
		{"eot", func(v *Vocab) { v.EOT = -2 }, "eot id -2"},
		{"merge no space", func(v *Vocab) { v.Merges = []string{"a b", "ab"} }, `merge 1 "ab"`},
		{"merge empty right", func(v *Vocab) { v.Merges = []string{"a "} }, `merge 0 "a "`},
		{"merge two spaces", func(v *Vocab) { v.Merges = []string{"a b c"} }, `merge 0`},
		{"merge empty", func(v *Vocab) { v.Merges = []string{""} }, `merge 0 ""`},
		{"merge leading space", func(v *Vocab) { v.Merges = []string{" a"} }, `merge 0 " a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ok()
			tt.mutate(&v)
			_, err := New(v)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tokenizer: ") {
				t.Errorf("New: error %v, want one containing %q", err, tt.want)
			}
		})
	}
	v := ok()
	v.Merges = append(v.Merges, "Ā Ā", "a b", "x ☃") // duplicate and unreachable merges are ignored
	if _, err := New(v); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestEOTFallback(t *testing.T) {
	v := byteVocab("", []string{"<|im_end|>", "<|endoftext|>", "<|eom_id|>"}, nil)
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	if tok.EOT() != 256 {
		t.Errorf("EOT() = %d, want 256", tok.EOT())
	}
	for id, want := range map[int32]bool{256: true, 257: true, 258: true, 'a': false} {
		if got := tok.IsEOG(id); got != want {
			t.Errorf("IsEOG(%d) = %v, want %v", id, got, want)
		}
	}
}

// randomText returns a string of n characters drawn from a pool that mixes
// the cases the pre-tokenizers treat specially.
func randomText(r *rand.Rand, n int) string {
	pool := []string{
		"a", "b", "Z", "s", "t", "e", "l", "d", "the", " the", "ing", "0", "1", "9", "42",
		" ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "\u00a0", "\u3000", "\u2028", "\u0085",
		"'", "'s", "'LL", "\"", "`", ".", ",", "!", "?", "-", "$", "(", ")", "<", ">", "|",
		"é", "ï", "ß", "ſ", "Σ", "ж", "א", "ا", "\u0301", "\u0308", "\u20dd", "²", "½", "٣", "Ⅷ",
		"日", "本", "語", "あ", "カ", "한", "ก", "ក", "ា", "🙂", "🦙", "✅", "\u200d", "\ufe0f", "€", "—",
		"<|eot_id|>", "<|begin_of_text|>",
	}
	var sb strings.Builder
	for range n {
		sb.WriteString(pool[r.IntN(len(pool))])
	}
	return sb.String()
}

// TestRoundTrip checks Decode(Encode(s)) == s on random text, under every
// pre-tokenizer, for the full Llama-3 vocabulary and kjv-tiny's cut of it.
func TestRoundTrip(t *testing.T) {
	base := llama3Tokenizer(t)
	toks := map[string]*Tokenizer{"llama3": base, "kjv-tiny": kjvTokenizer(t)}
	for _, pre := range []preKind{preDefault, preGPT2, preFalcon, preFalcon3} {
		tok := *base
		tok.pre, tok.ignoreMerges = pre, false
		toks[tok.PreTokenizer()] = &tok
	}
	r := rand.New(rand.NewPCG(1, 2))
	for name, tok := range toks {
		for range 300 {
			s := randomText(r, 1+r.IntN(40))
			ids := tok.Encode(s, false, false)
			if got := tok.Decode(ids); got != s {
				t.Fatalf("%s: Decode(Encode(%q)) = %q (ids %v)", name, s, got, ids)
			}
			if got := tok.AppendEncode([]int32{-7}, s, true, false); got[0] != -7 || got[1] != tok.BOS() || !slices.Equal(got[2:], ids) {
				t.Fatalf("%s: AppendEncode(%q) = %v, want [-7 BOS %v]", name, s, got, ids)
			}
		}
	}
}

// TestConcurrentEncode runs Encode from several goroutines (run with -race).
func TestConcurrentEncode(t *testing.T) {
	tok := llama3Tokenizer(t)
	r := rand.New(rand.NewPCG(9, 10))
	texts := make([]string, 64)
	want := make([][]int32, len(texts))
	for i := range texts {
		texts[i] = randomText(r, 1+r.IntN(200))
		want[i] = tok.Encode(texts[i], true, true)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range texts {
				i := (i + g*16) % len(texts)
				if got := tok.Encode(texts[i], true, true); !slices.Equal(got, want[i]) {
					t.Errorf("goroutine %d: Encode(%q) = %v, want %v", g, texts[i], got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

// TestDecoder streams token ids one at a time: no output may end inside a
// character, and the pieces must add up to Decode of all the ids.
func TestDecoder(t *testing.T) {
	tok := llama3Tokenizer(t)
	r := rand.New(rand.NewPCG(3, 4))
	texts := []string{"🙂🦙 日本語 café", "ក\u17b6ន់", "x<|eot_id|>y"}
	for range 200 {
		texts = append(texts, randomText(r, 1+r.IntN(30)))
	}
	d := tok.NewDecoder()
	for _, s := range texts {
		ids := tok.Encode(s, true, true)
		var sb strings.Builder
		for _, id := range ids {
			out := d.Add(id)
			if !utf8.ValidString(out) {
				t.Fatalf("Add(%d) = %q: invalid UTF-8 (text %q)", id, out, s)
			}
			sb.WriteString(out)
		}
		sb.WriteString(d.Flush())
		if want := tok.Decode(ids); sb.String() != want {
			t.Fatalf("streamed %q, Decode = %q", sb.String(), want)
		}
	}

	// Bytes that cannot form a character come out as U+FFFD, one per byte,
	// as string([]rune(Decode(ids))) spells them.
	e6, _ := tok.Lookup(string(byteToRune[0xe6]))
	a, _ := tok.Lookup("a")
	ee, _ := tok.Lookup(string(byteToRune[0x97]))
	cases := [][]int32{
		{e6, a},        // truncated character, then ASCII
		{e6, ee},       // two bytes of three, then the end
		{ee, ee, a},    // stray continuation bytes
		{e6, ee, ee},   // a whole character: no U+FFFD
		{a, e6, ee, a}, //
	}
	for _, ids := range cases {
		d.Reset()
		var sb strings.Builder
		for _, id := range ids {
			out := d.Add(id)
			if !utf8.ValidString(out) {
				t.Fatalf("Add(%d) = %q: invalid UTF-8", id, out)
			}
			sb.WriteString(out)
		}
		sb.WriteString(d.Flush())
		if want := string([]rune(tok.Decode(ids))); sb.String() != want {
			t.Errorf("ids %v: streamed %q, want %q", ids, sb.String(), want)
		}
	}

	// Reset drops held-back bytes.
	d.Add(e6)
	d.Reset()
	if got := d.Flush(); got != "" {
		t.Errorf("Flush after Reset = %q", got)
	}
}

func TestDecoderAllocs(t *testing.T) {
	tok := llama3Tokenizer(t)
	ids := tok.Encode("日本語 🙂 and the rest", false, false)
	d := tok.NewDecoder()
	allocs := testing.AllocsPerRun(100, func() {
		for _, id := range ids {
			d.Add(id)
		}
		d.Flush()
	})
	// Only the returned strings allocate: at most one per token.
	if allocs > float64(len(ids)) {
		t.Errorf("%.1f allocations for %d tokens", allocs, len(ids))
	}
}

// TestLargeInput encodes about 1 MB and checks the round trip.
func TestLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	tok := llama3Tokenizer(t)
	r := rand.New(rand.NewPCG(5, 6))
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(randomText(r, 64))
	}
	s := sb.String()
	ids := tok.Encode(s, false, true)
	if got := tok.Decode(ids); got != strings.NewReplacer("<|eot_id|>", "", "<|begin_of_text|>", "").Replace(s) {
		t.Errorf("Decode(Encode(1 MB)) differs")
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Hello world", "don't 'S", "  \n\n 123456 ", "🙂日本", "\xff\xe2\x82", "<|eot_id|>x"} {
		f.Add(s)
	}
	tok := llama3Tokenizer(f)
	toks := []*Tokenizer{tok}
	for _, pre := range []preKind{preDefault, preGPT2, preFalcon, preFalcon3} {
		other := *tok
		other.pre, other.ignoreMerges = pre, false
		toks = append(toks, &other)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<12 {
			return
		}
		for _, tok := range toks {
			ids := tok.Encode(s, false, false)
			if got := tok.Decode(ids); got != s {
				t.Fatalf("%s: Decode(Encode(%q)) = %q", tok.PreTokenizer(), s, got)
			}
			ids = tok.Encode(s, true, true)
			d := tok.NewDecoder()
			var sb strings.Builder
			for _, id := range ids {
				out := d.Add(id)
				if !utf8.ValidString(out) {
					t.Fatalf("Decoder.Add(%d) = %q", id, out)
				}
				sb.WriteString(out)
			}
			sb.WriteString(d.Flush())
			if want := string([]rune(tok.Decode(ids))); sb.String() != want {
				t.Fatalf("streamed %q, want %q", sb.String(), want)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	tok := llama3Tokenizer(b)
	r := rand.New(rand.NewPCG(7, 8))
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(randomText(r, 64))
	}
	s := sb.String()
	n := len(tok.Encode(s, false, false))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		tok.Encode(s, false, false)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}
