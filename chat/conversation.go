package chat

import (
	"slices"
	"strings"

	"github.com/bitnet-go/bitnet/tokenizer"
)

// A Conversation is a multi-turn chat: its messages and the token sequence
// the model has seen and produced, kept so that each turn appends to the
// previous one and a KV cache of the earlier turns stays valid.
//
// Each User call appends the tokens that follow the previous reply: the
// rest of the assistant turn's markup (less the end-of-generation token the
// model already produced), the new user turn and the generation prompt.
// They are found by rendering the conversation with a marker in place of
// the last reply and taking what follows the marker; when the text before
// the marker is not the previous prompt (a template that rewrites earlier
// turns), the whole conversation is encoded again instead, and a caller
// that compares Tokens with its cache re-feeds from the first difference.
//
// A Conversation is not safe for concurrent use.
type Conversation struct {
	tmpl *Template
	tok  *tokenizer.Tokenizer

	// Messages are the turns so far; a system prompt is the first.
	Messages []Message
	// Tokens is every token of the conversation: the prompts and the
	// generated ids, in order.
	Tokens []int32
	// Rebuilt counts the turns whose tokens had to be encoded again from
	// the start.
	Rebuilt int

	lastEOG int32 // the end-of-generation id that ended the last reply, or -1
}

// replyMarker stands in for the last reply when the next turn is rendered.
const replyMarker = "\x00bitnet-reply\x00"

// NewConversation starts a conversation with an optional system prompt.
func NewConversation(t *Template, tok *tokenizer.Tokenizer, system string) *Conversation {
	c := &Conversation{tmpl: t, tok: tok, lastEOG: -1}
	if system != "" {
		c.Messages = []Message{{Role: "system", Content: system}}
	}
	return c
}

// Template returns the conversation's template.
func (c *Conversation) Template() *Template { return c.tmpl }

// Reset forgets every turn but the system prompt.
func (c *Conversation) Reset() {
	if len(c.Messages) > 0 && c.Messages[0].Role == "system" {
		c.Messages = c.Messages[:1]
	} else {
		c.Messages = nil
	}
	c.Tokens, c.lastEOG = nil, -1
}

// User adds a user turn and extends Tokens with it and the generation
// prompt; the model is to generate from the end of Tokens.
func (c *Conversation) User(content string) error {
	prev := c.Messages
	msgs := append(slices.Clone(prev), Message{Role: "user", Content: content})
	n := len(prev)
	if len(c.Tokens) > 0 && n > 0 && prev[n-1].Role == "assistant" {
		if added, ok, err := c.delta(msgs); err != nil {
			return err
		} else if ok {
			c.Messages, c.Tokens = msgs, append(c.Tokens, added...)
			c.lastEOG = -1
			return nil
		}
	}
	segs, err := c.tmpl.Segments(msgs, true)
	if err != nil {
		return err
	}
	if len(c.Tokens) > 0 {
		c.Rebuilt++
	}
	c.Messages, c.Tokens, c.lastEOG = msgs, Encode(c.tok, segs), -1
	return nil
}

// delta returns the tokens that follow the last reply when msgs (ending
// with the last reply and the new user turn) is rendered, or ok = false if
// the rendering does not extend the previous prompt.
func (c *Conversation) delta(msgs []Message) (added []int32, ok bool, err error) {
	n := len(msgs)
	marked := slices.Clone(msgs)
	marked[n-2].Content = replyMarker
	segs, err := c.tmpl.Segments(marked, true)
	if err != nil {
		return nil, false, err
	}
	prevSegs, err := c.tmpl.Segments(msgs[:n-2], true)
	if err != nil {
		return nil, false, err
	}
	var before strings.Builder
	for i, s := range segs {
		k := strings.Index(s.Text, replyMarker)
		if k < 0 {
			before.WriteString(s.Text)
			continue
		}
		before.WriteString(s.Text[:k])
		if before.String() != joinSegments(prevSegs) {
			return nil, false, nil
		}
		rest := append([]Segment{{s.Text[k+len(replyMarker):], s.Special}}, segs[i+1:]...)
		if strings.Contains(joinSegments(rest), replyMarker) {
			return nil, false, nil
		}
		// The model's own end-of-generation token already closes the
		// turn when it is the template's terminator.
		if c.lastEOG >= 0 {
			eog := c.tok.TokenText(c.lastEOG)
			for len(rest) > 0 && rest[0].Text == "" {
				rest = rest[1:]
			}
			if len(rest) > 0 && rest[0].Special && eog != "" && strings.HasPrefix(rest[0].Text, eog) {
				rest[0].Text = rest[0].Text[len(eog):]
			}
		}
		return encode(c.tok, rest, false), true, nil
	}
	return nil, false, nil
}

// Assistant records the reply to the last user turn: its text and the ids
// generated for it (including a final end-of-generation token, if any).
// With ids nil, as for a reply taken from a transcript, the text is
// encoded.
func (c *Conversation) Assistant(content string, ids []int32) {
	c.lastEOG = -1
	if ids == nil {
		ids = c.tok.Encode(content, false, false)
	} else if k := len(ids); k > 0 && c.tok.IsEOG(ids[k-1]) {
		c.lastEOG = ids[k-1]
	}
	c.Messages = append(c.Messages, Message{Role: "assistant", Content: content})
	c.Tokens = append(c.Tokens, ids...)
}
