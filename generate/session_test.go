package generate

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/internal/testmodel"
	"github.com/bitnet-go/bitnet/sample"
)

func kjvSession(t *testing.T) *Session {
	t.Helper()
	m, tok := testmodel.Embedded(t, 1)
	f, err := defaultmodel.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	src, _ := f.String("tokenizer.chat_template")
	tmpl, err := chat.Detect(src, tok)
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.NewState(512, 16)
	if err != nil {
		t.Fatal(err)
	}
	return NewSession(m, st, tok, tmpl, "Thou art wise.")
}

// TestChatPrefill: the second turn feeds only its new tokens; the first
// turn's prompt and reply stay in the KV cache.
func TestChatPrefill(t *testing.T) {
	s := kjvSession(t)
	opt := Options{MaxTokens: 12, Sampling: sample.Params{Temperature: 0}}
	nop := func(string) error { return nil }
	res1, err := s.Send(context.Background(), "Who made the heaven?", opt, nop)
	if err != nil {
		t.Fatal(err)
	}
	turn1 := len(s.Conv.Tokens)
	if res1.PromptTokens != turn1-len(res1.Tokens) {
		t.Errorf("turn 1 fed %d tokens, want %d", res1.PromptTokens, turn1-len(res1.Tokens))
	}
	pos1 := s.Cached()
	if pos1 != turn1-1 {
		t.Errorf("after turn 1: %d tokens cached, want %d (all but the last generated)", pos1, turn1-1)
	}

	res2, err := s.Send(context.Background(), "And the earth?", opt, nop)
	if err != nil {
		t.Fatal(err)
	}
	newTokens := len(s.Conv.Tokens) - len(res2.Tokens) - turn1
	// Fed: the last reply token (not yet cached) and the new turn.
	if res2.PromptTokens != newTokens+1 {
		t.Errorf("turn 2 fed %d tokens, want %d (new) + 1 (the last reply token)", res2.PromptTokens, newTokens)
	}
	if res2.PromptTokens >= turn1 {
		t.Errorf("turn 2 fed %d tokens, as many as the whole first turn (%d): the cache was not reused", res2.PromptTokens, turn1)
	}
	if s.Cached() != len(s.Conv.Tokens)-1 {
		t.Errorf("after turn 2: %d cached, conversation has %d tokens", s.Cached(), len(s.Conv.Tokens))
	}
	if s.Conv.Rebuilt != 0 {
		t.Errorf("conversation rebuilt %d times", s.Conv.Rebuilt)
	}

	// The cache holds exactly what a fresh state computes: compare the
	// logits of one more token.
	probe := []int32{s.Tok.EOT()}
	got, err := s.Model.Forward(s.State, probe, false)
	if err != nil {
		t.Fatal(err)
	}
	got = slices.Clone(got)
	fresh, err := s.Model.NewState(512, 16)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Model.Forward(fresh, append(slices.Clone(s.Conv.Tokens[:s.Cached()-1]), probe...), false)
	if err != nil {
		t.Fatal(err)
	}
	if sample.Greedy(got) != sample.Greedy(want) {
		t.Errorf("cached conversation and fresh prefill disagree: argmax %d vs %d", sample.Greedy(got), sample.Greedy(want))
	}

	// After Reset the BOS and system prompt stay cached.
	s.Reset()
	res3, err := s.Send(context.Background(), "Hi", opt, nop)
	if err != nil {
		t.Fatal(err)
	}
	if res3.PromptTokens >= len(s.Conv.Tokens)-len(res3.Tokens) {
		t.Errorf("after Reset fed %d of %d prompt tokens: the system prompt was not reused", res3.PromptTokens, len(s.Conv.Tokens)-len(res3.Tokens))
	}
}

// TestChatCancel: a cancelled turn keeps the session usable.
func TestChatCancel(t *testing.T) {
	s := kjvSession(t)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	opt := Options{MaxTokens: 50, Sampling: sample.Params{Temperature: 0}, IgnoreEOG: true}
	_, err := s.Send(ctx, "Speak", opt, func(string) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: %v, want context.Canceled", err)
	}
	if _, err := s.Send(context.Background(), "Again", Options{MaxTokens: 4}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s.Cached() != len(s.Conv.Tokens)-1 || len(s.Conv.Messages) != 5 {
		t.Errorf("%d cached of %d tokens, %d messages", s.Cached(), len(s.Conv.Tokens), len(s.Conv.Messages))
	}
}
