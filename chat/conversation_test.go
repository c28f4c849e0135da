package chat

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// kjvTiny opens the shared kjv-tiny model's tokenizer and chat template
// (the 2B-4T Hugging Face template).
func kjvTiny(t *testing.T) (*tokenizer.Tokenizer, string) {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "models", "kjv-tiny", "kjv-tiny-i2_s.gguf")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f, tokenizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := f.String("tokenizer.chat_template")
	if err != nil {
		t.Fatal(err)
	}
	return tok, src
}

func TestDetect(t *testing.T) {
	tok, src := kjvTiny(t)
	for _, tt := range []struct{ src, want string }{
		{src, "bitnet"},
		{"", "bitnet"}, // Llama-3 vocabulary without a template
		{"{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nBITNETAssistant: ' + eos_token }}{% endif %}{% endfor %}", "bitnet"},
		{readFile(t, "llama3.jinja"), "llama3"},
		{readFile(t, "chatml.jinja"), "chatml"},
		{"{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '\\n' }}{% endfor %}{{ '<|assistant|>\\n' }}", "falcon3"},
		{"{{ messages[0].content }}", "jinja"},
	} {
		tmpl, err := Detect(tt.src, tok)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.Name() != tt.want {
			t.Errorf("Detect(%.40q) = %s, want %s", tt.src, tmpl.Name(), tt.want)
		}
	}
	for _, tt := range []struct{ name, want string }{{"", "bitnet"}, {"auto", "bitnet"}, {"chatml", "chatml"}, {"jinja", "jinja"}, {"{{ 'x' }}", "jinja"}} {
		tmpl, err := Select(tt.name, src, tok)
		if err != nil || tmpl.Name() != tt.want {
			t.Errorf("Select(%q) = %v, %v, want %s", tt.name, tmpl, err, tt.want)
		}
	}
	if _, err := Select("nosuch", src, tok); err == nil {
		t.Error("Select(nosuch): no error")
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEncodeOneBOS: exactly one BOS, whether the template writes it
// (bitnet, Jinja with bos_token) or not (chatml), and content is plain text.
func TestEncodeOneBOS(t *testing.T) {
	tok, src := kjvTiny(t)
	msgs := []Message{{"user", "Hi <|eot_id|>"}}
	for _, name := range []string{"bitnet", "llama3", "chatml", "raw", "jinja"} {
		tmpl, err := Select(name, src, tok)
		if err != nil {
			t.Fatal(err)
		}
		segs, err := tmpl.Segments(msgs, true)
		if err != nil {
			t.Fatal(err)
		}
		ids := Encode(tok, segs)
		n := 0
		for _, id := range ids {
			if id == tok.BOS() {
				n++
			}
		}
		if n != 1 || ids[0] != tok.BOS() {
			t.Errorf("%s: %d BOS in %v", name, n, ids)
		}
		eot := 0
		for _, id := range ids {
			if id == tok.EOT() {
				eot++
			}
		}
		// The <|eot_id|> in the content is text (except in a Jinja
		// rendering, which is one markup string, as in llama.cpp).
		if want := map[string]int{"bitnet": 1, "llama3": 1, "jinja": 2}[name]; eot != want {
			t.Errorf("%s: %d <|eot_id|> tokens in %v, want %d", name, eot, ids, want)
		}
	}

	// bitnet encodes header and content separately (official ChatFormat).
	b, _ := Builtin("bitnet")
	segs, _ := b.Segments([]Message{{"user", "Hi"}}, true)
	want := []int32{tok.BOS()}
	want = tok.AppendEncode(want, "User: ", false, false)
	want = tok.AppendEncode(want, "Hi", false, false)
	want = append(want, tok.EOT())
	want = tok.AppendEncode(want, "Assistant: ", false, false)
	if got := Encode(tok, segs); !slices.Equal(got, want) {
		t.Errorf("bitnet: Encode = %v, want %v", got, want)
	}
}

func TestConversation(t *testing.T) {
	tok, src := kjvTiny(t)
	tmpl, err := Detect(src, tok)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConversation(tmpl, tok, "You are wise.")
	if err := c.User("Hi"); err != nil {
		t.Fatal(err)
	}
	full := func() []int32 {
		segs, err := tmpl.Segments(c.Messages, true)
		if err != nil {
			t.Fatal(err)
		}
		return Encode(tok, segs)
	}
	if !slices.Equal(c.Tokens, full()) {
		t.Fatalf("turn 1: Tokens = %v, want %v", c.Tokens, full())
	}
	eot := tok.EOT()
	c.Assistant("And God said", append(tok.Encode("And God said", false, false), eot))
	n := len(c.Tokens)
	if err := c.User("More"); err != nil {
		t.Fatal(err)
	}
	// The reply's own <|eot_id|> closes its turn: the new tokens are just
	// the user turn and the generation prompt.
	want := tok.Encode("User: ", false, false)
	want = tok.AppendEncode(want, "More", false, false)
	want = append(want, eot)
	want = tok.AppendEncode(want, "Assistant: ", false, false)
	if got := c.Tokens[n:]; !slices.Equal(got, want) {
		t.Errorf("turn 2 added %v, want %v", got, want)
	}
	if !slices.Equal(c.Tokens, full()) || c.Rebuilt != 0 {
		t.Errorf("turn 2: Tokens = %v, want %v (rebuilt %d)", c.Tokens, full(), c.Rebuilt)
	}

	// A reply cut short (no EOG) gets the template's terminator.
	c.Assistant("let there", tok.Encode("let there", false, false))
	n = len(c.Tokens)
	if err := c.User("x"); err != nil {
		t.Fatal(err)
	}
	if c.Tokens[n] != eot || !slices.Equal(c.Tokens, full()) {
		t.Errorf("turn 3 added %v", c.Tokens[n:])
	}

	c.Reset()
	if len(c.Messages) != 1 || c.Tokens != nil {
		t.Errorf("Reset: %d messages, %d tokens", len(c.Messages), len(c.Tokens))
	}

	// A template that rewrites earlier turns is encoded again from the start.
	j, _ := Parse("{{ messages[-1].content }}", "", "")
	c = NewConversation(j, tok, "")
	c.User("a")
	c.Assistant("b", nil)
	c.User("c")
	if c.Rebuilt != 1 || !slices.Equal(c.Tokens, Encode(tok, []Segment{{"c", true}})) {
		t.Errorf("rewriting template: rebuilt %d, tokens %v", c.Rebuilt, c.Tokens)
	}
}
