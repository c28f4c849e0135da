package generate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/internal/testmodel"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/sample"
	"github.com/bitnet-go/bitnet/tokenizer"
)

func setup(t *testing.T) (*model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	return testmodel.Embedded(t, 2)
}

func gen(t *testing.T, m *model.Model, tok *tokenizer.Tokenizer, prompt string, ctxLen int, opt Options) (string, *Result, error) {
	t.Helper()
	st, err := m.NewState(ctxLen, 32)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	res, err := Generate(context.Background(), m, st, tok, tok.Encode(prompt, true, true), opt, func(s string) error {
		sb.WriteString(s)
		return nil
	})
	return sb.String(), res, err
}

func TestGreedyMatchesReference(t *testing.T) {
	m, tok := setup(t)
	// shared/crossval/kjv-tiny-i2_s case0: bitnet.cpp's greedy continuation.
	const want = " And he said, Who is the man that he hath done, and the man is the man that is in thee, and the man that is"
	got, res, err := gen(t, m, tok, "In the beginning God created the heaven and the earth.", 256, Options{MaxTokens: 32})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("greedy continuation\n got %q\nwant %q", got, want)
	}
	if res.GenTokens != 32 || res.Finish != decode.FinishLength || res.PromptTokens != 14 {
		t.Errorf("result %+v, want 32 tokens, finish length, 14 prompt tokens", res)
	}
}

func TestSeedReproducible(t *testing.T) {
	m, tok := setup(t)
	p := sample.Params{Temperature: 1, TopK: 40, TopP: 0.95, Seed: 42}
	a, _, err := gen(t, m, tok, "And it came to pass", 256, Options{MaxTokens: 40, Sampling: p})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := gen(t, m, tok, "And it came to pass", 256, Options{MaxTokens: 40, Sampling: p})
	if a != b {
		t.Errorf("same seed, different text:\n%q\n%q", a, b)
	}
	p.Seed = 43
	c, _, _ := gen(t, m, tok, "And it came to pass", 256, Options{MaxTokens: 40, Sampling: p})
	if c == a {
		t.Errorf("seeds 42 and 43 gave the same 40 tokens %q", a)
	}
}

func TestStopString(t *testing.T) {
	m, tok := setup(t)
	full, _, err := gen(t, m, tok, "In the beginning God created the heaven and the earth.", 256, Options{MaxTokens: 32})
	if err != nil {
		t.Fatal(err)
	}
	// Stop at "the man": the output must end right before its first occurrence.
	got, res, err := gen(t, m, tok, "In the beginning God created the heaven and the earth.", 256, Options{MaxTokens: 32, Stop: []string{"zzz", "the man"}})
	if err != nil {
		t.Fatal(err)
	}
	want := full[:strings.Index(full, "the man")]
	if got != want || res.Finish != decode.FinishStop || res.StopString != "the man" {
		t.Errorf("with stop %q: got %q (finish %s, stop %q), want %q", "the man", got, res.Finish, res.StopString, want)
	}
}

func TestContextErrors(t *testing.T) {
	m, tok := setup(t)
	prompt := strings.Repeat("And the LORD spake unto Moses. ", 10)
	n := len(tok.Encode(prompt, true, true))
	var cle *decode.ContextLengthError
	_, _, err := gen(t, m, tok, prompt, n, Options{MaxTokens: 1})
	if !errors.As(err, &cle) || cle.Field != decode.FieldPrompt {
		t.Errorf("prompt filling the context: %v, want a ContextLengthError blaming the prompt", err)
	}
	_, _, err = gen(t, m, tok, prompt, n+10, Options{MaxTokens: 20})
	if !errors.As(err, &cle) || cle.Field != decode.FieldMaxTokens || !strings.Contains(err.Error(), "max_tokens (20)") {
		t.Errorf("prompt + generation beyond the context: %v, want a ContextLengthError blaming max_tokens, naming the numbers", err)
	}
	_, res, err := gen(t, m, tok, prompt, n+5, Options{MaxTokens: -1, IgnoreEOG: true})
	if err != nil || res.GenTokens != 5 || res.Finish != decode.FinishContext {
		t.Errorf("MaxTokens -1: %v %+v, want 5 tokens then finish context", err, res)
	}
}

func TestStopsAtEOG(t *testing.T) {
	m, tok := setup(t)
	// A chat-formatted prompt: the model learned to end turns with <|eot_id|>.
	_, res, err := gen(t, m, tok, "<|begin_of_text|>User: Who was Moses?<|eot_id|>Assistant: ", 512, Options{MaxTokens: 200})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Tokens[len(res.Tokens)-1]
	if res.Finish == decode.FinishEOG && !tok.IsEOG(last) {
		t.Errorf("finish %s but last token %d is not end-of-generation", res.Finish, last)
	}
	t.Logf("finish %s after %d tokens", res.Finish, res.GenTokens)
}

func TestCancel(t *testing.T) {
	m, tok := setup(t)
	st, _ := m.NewState(256, 32)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := Generate(ctx, m, st, tok, tok.Encode("And", true, false), Options{MaxTokens: 100, IgnoreEOG: true}, func(string) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Generate after cancel = %v, want context.Canceled", err)
	}
}
