package generate

import (
	"context"
	"fmt"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// Session is a multi-turn chat on one State. The KV cache is kept between
// turns: a turn feeds only the tokens the cache lacks (the new user turn,
// the generation prompt and any markup that closes the previous reply), and
// re-feeds from the first difference only when the conversation's tokens no
// longer extend what is cached. A Session is not safe for concurrent use.
type Session struct {
	Model *model.Model
	State *model.State
	Tok   *tokenizer.Tokenizer
	Conv  *chat.Conversation

	cached []int32 // the tokens in the KV cache, State.Pos of them
}

// NewSession starts a chat on st (which it resets) with template t and an
// optional system prompt.
func NewSession(m *model.Model, st *model.State, tok *tokenizer.Tokenizer, t *chat.Template, system string) *Session {
	st.Reset()
	return &Session{Model: m, State: st, Tok: tok, Conv: chat.NewConversation(t, tok, system)}
}

// Reset forgets the conversation but the system prompt. The cache is kept:
// the next turn reuses whatever prefix (BOS, system prompt) it shares.
func (s *Session) Reset() { s.Conv.Reset() }

// Send adds a user turn and generates the reply, streaming its text to
// emit as Generate does. The reply is recorded in the conversation even
// when generation stops early (a cancelled ctx, an emit error), so the next
// turn continues from what was said. The Result's PromptTokens is the
// number of tokens this turn fed before generating.
func (s *Session) Send(ctx context.Context, user string, opt Options, emit func(string) error) (*Result, error) {
	if err := s.Conv.User(user); err != nil {
		return nil, err
	}
	all := s.Conv.Tokens
	keep := commonPrefix(s.cached[:min(len(s.cached), s.State.Pos)], all)
	if keep == len(all) {
		keep-- // feed at least one token to get logits
	}
	if keep < s.State.Pos {
		s.State.Truncate(keep)
	}
	s.cached = append(s.cached[:keep], all[keep:]...)
	var text []byte
	res, err := Generate(ctx, s.Model, s.State, s.Tok, all[keep:], opt, func(piece string) error {
		text = append(text, piece...)
		return emit(piece)
	})
	if res == nil {
		// Nothing was fed: forget the user turn's tokens in the cache
		// bookkeeping; the messages keep it so that a retry can follow.
		s.cached = s.cached[:min(keep, s.State.Pos)]
		s.Conv.Assistant("", []int32{})
		return nil, err
	}
	s.Conv.Assistant(string(text), res.Tokens)
	// Generate feeds every generated token but the last.
	s.cached = append(s.cached, res.Tokens...)
	if s.State.Pos > len(s.cached) {
		return res, fmt.Errorf("generate: internal: %d positions cached but %d tokens known", s.State.Pos, len(s.cached))
	}
	s.cached = s.cached[:s.State.Pos]
	return res, err
}

// Cached returns the number of tokens in the KV cache.
func (s *Session) Cached() int { return s.State.Pos }

func commonPrefix(a, b []int32) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
