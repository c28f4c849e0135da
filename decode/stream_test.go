package decode

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/internal/testmodel"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// script drives a greedy Stream through the given token ids with one-hot
// logits and returns what each step produced.
func script(t *testing.T, tok *tokenizer.Tokenizer, vocab int, opt Options, ids []int32) []Token {
	t.Helper()
	s := NewStream(tok, vocab, []int32{tok.BOS()}, opt)
	logits := make([]float32, vocab)
	var out []Token
	for _, id := range ids {
		clear(logits)
		logits[id] = 10
		tk, err := s.Next(logits)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if tk.ID != id {
			t.Fatalf("greedy Next picked %d, want %d", tk.ID, id)
		}
		out = append(out, tk)
		if tk.Finish != FinishNone {
			break
		}
	}
	if got, want := len(s.History()), 1+len(out); got != want || s.Generated() != len(out) {
		t.Errorf("history %d tokens, generated %d, want %d and %d", got, s.Generated(), want, len(out))
	}
	return out
}

func TestStream(t *testing.T) {
	m, tok := testmodel.Embedded(t, 1)
	V := m.Config.VocabSize
	enc := func(s string) []int32 { return tok.Encode(s, false, false) }
	euro := enc("€") // two tokens, "\xe2" then "\x82\xac": the character split across them
	if len(euro) != 2 {
		t.Fatalf("the test vocabulary encodes € as %d tokens, want 2", len(euro))
	}
	eog := tok.EOS()
	if !tok.IsEOG(eog) {
		eog = tok.EOT()
	}
	and := enc("And the man")
	for _, tc := range []struct {
		name   string
		opt    Options
		ids    []int32
		texts  []string
		finish Finish
		stop   string
	}{
		{"utf-8 held back until whole", Options{MaxTokens: 5}, append(append([]int32{}, euro...), and[0]),
			[]string{"", "€", "And"}, FinishNone, ""},
		{"incomplete utf-8 at the limit becomes U+FFFD", Options{MaxTokens: 1}, euro[:1], []string{"\uFFFD"}, FinishLength, ""},
		{"stop string split across tokens", Options{MaxTokens: 10, Stop: []string{"e m"}}, and,
			[]string{"And", " th", ""}, FinishStop, "e m"},
		{"stop prefix released when it does not match", Options{MaxTokens: 3, Stop: []string{"e x"}}, and,
			[]string{"And", " th", "e man"}, FinishLength, ""},
		{"end of generation flushes held text", Options{MaxTokens: 10, Stop: []string{"an!"}}, append(enc("And the man"), eog),
			[]string{"And", " the", " m", "an"}, FinishEOG, ""},
		{"end of generation ignored", Options{MaxTokens: 2, IgnoreEOG: true}, []int32{eog, and[0]}, nil, FinishLength, ""},
		{"limit is the context", Options{MaxTokens: 2, AtLimit: FinishContext}, and, []string{"And", " the"}, FinishContext, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := script(t, tok, V, tc.opt, tc.ids)
			last := out[len(out)-1]
			if last.Finish != tc.finish || last.StopString != tc.stop {
				t.Errorf("finish %v stop %q, want %v %q", last.Finish, last.StopString, tc.finish, tc.stop)
			}
			if tc.texts == nil {
				return
			}
			var got []string
			for _, tk := range out {
				got = append(got, tk.Text)
			}
			if strings.Join(got, "|") != strings.Join(tc.texts, "|") {
				t.Errorf("texts %q, want %q", got, tc.texts)
			}
		})
	}
}

func TestStreamLogprobs(t *testing.T) {
	m, tok := testmodel.Embedded(t, 1)
	V := m.Config.VocabSize
	s := NewStream(tok, V, []int32{tok.BOS()}, Options{MaxTokens: 4, Logprobs: true, TopLogprobs: 3})
	logits := make([]float32, V)
	logits[7], logits[9], logits[11] = 3, 2, 1
	tk, err := s.Next(logits)
	if err != nil {
		t.Fatal(err)
	}
	lp := tk.Logprob
	if lp == nil || lp.Token != 7 || len(lp.Top) != 3 || lp.Top[0].Token != 7 || lp.Top[1].Token != 9 || lp.Top[2].Token != 11 {
		t.Fatalf("logprob %+v, want token 7 with alternatives 7, 9, 11", lp)
	}
	if d := lp.Top[0].Logprob - lp.Top[1].Logprob; math.Abs(float64(d-1)) > 1e-4 || lp.Logprob > 0 {
		t.Errorf("logprobs %+v: want differences equal to the logits' and values <= 0", lp)
	}
	// Without Logprobs, none.
	s = NewStream(tok, V, []int32{tok.BOS()}, Options{MaxTokens: 4})
	if tk, _ := s.Next(logits); tk.Logprob != nil {
		t.Errorf("logprob %+v without Options.Logprobs", tk.Logprob)
	}
}

func TestStreamNonFinite(t *testing.T) {
	m, tok := testmodel.Embedded(t, 1)
	V := m.Config.VocabSize
	s := NewStream(tok, V, []int32{tok.BOS()}, Options{MaxTokens: 4})
	logits := make([]float32, V)
	for i := range logits {
		logits[i] = float32(math.NaN())
	}
	if _, err := s.Next(logits); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Next(NaN logits) error %v, want ErrNonFinite", err)
	}
}

func TestFinish(t *testing.T) {
	for _, tc := range []struct {
		f            Finish
		name, reason string
	}{
		{FinishNone, "none", ""},
		{FinishEOG, "eog", "stop"},
		{FinishStop, "stop", "stop"},
		{FinishLength, "length", "length"},
		{FinishContext, "context", "length"},
	} {
		if tc.f.String() != tc.name || tc.f.Reason() != tc.reason {
			t.Errorf("%d: String %q Reason %q, want %q %q", tc.f, tc.f.String(), tc.f.Reason(), tc.name, tc.reason)
		}
		b, err := json.Marshal(tc.f)
		var back Finish
		if err != nil || string(b) != `"`+tc.name+`"` || json.Unmarshal(b, &back) != nil || back != tc.f {
			t.Errorf("JSON round trip of %v: %s %v -> %v", tc.f, b, err, back)
		}
	}
	if err := json.Unmarshal([]byte(`"done"`), new(Finish)); err == nil {
		t.Error(`Unmarshal("done") succeeded, want an error`)
	}
	if _, err := json.Marshal(Finish(99)); err == nil {
		t.Error("Marshal(Finish(99)) succeeded, want an error")
	}
}
