package chat

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bitnet-go/bitnet/tokenizer"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Segment is a piece of a rendered prompt. Markup segments (Special) are
// template text in which special-token texts such as "<|eot_id|>" become
// their tokens; content segments hold message text, which is always
// encoded as plain text, so a user cannot inject special tokens.
type Segment struct {
	Text    string
	Special bool
}

// A Template turns messages into prompt text. Built-in templates produce
// one segment per header, content and terminator; a Jinja template
// produces one markup segment. A Template is immutable and safe for
// concurrent use.
type Template struct {
	name     string
	bos, eos string // bos_token and eos_token for Jinja
	body     []node // Jinja templates only
	segs     func(msgs []Message, addGen bool, bos string) []Segment
}

// Builtins are the names of the built-in templates.
var Builtins = []string{"bitnet", "llama3", "chatml", "falcon3", "raw"}

// Name returns the template's name: a built-in name or "jinja".
func (t *Template) Name() string { return t.name }

// Builtin returns a built-in template:
//
//   - bitnet: BitNet-b1.58-2B-4T's official ChatFormat (spec §5.3):
//     <|begin_of_text|>, then "Role: " + trimmed content + <|eot_id|> per
//     message (role capitalized), then "Assistant: " as the generation
//     prompt. The header and the content are encoded separately, as the
//     official code does.
//   - llama3: Llama 3's <|start_header_id|>role<|end_header_id|>\n\n
//     content<|eot_id|> turns after <|begin_of_text|>.
//   - chatml: <|im_start|>role\ncontent<|im_end|>\n turns.
//   - falcon3: <|role|>\ncontent\n turns, <|assistant|>\n to generate.
//   - raw: the contents concatenated, with no markup (for base models).
func Builtin(name string) (*Template, error) {
	t := &Template{name: name}
	switch name {
	case "bitnet":
		t.bos = "<|begin_of_text|>"
		t.segs = func(msgs []Message, addGen bool, bos string) []Segment {
			segs := []Segment{{bos, true}}
			for _, m := range msgs {
				segs = append(segs, Segment{capitalize(m.Role) + ": ", false}, Segment{strings.TrimSpace(m.Content), false}, Segment{"<|eot_id|>", true})
			}
			if addGen {
				segs = append(segs, Segment{"Assistant: ", false})
			}
			return segs
		}
	case "llama3":
		t.bos = "<|begin_of_text|>"
		t.segs = func(msgs []Message, addGen bool, bos string) []Segment {
			segs := []Segment{{bos, true}}
			for _, m := range msgs {
				segs = append(segs, Segment{"<|start_header_id|>" + m.Role + "<|end_header_id|>\n\n", true}, Segment{strings.TrimSpace(m.Content), false}, Segment{"<|eot_id|>", true})
			}
			if addGen {
				segs = append(segs, Segment{"<|start_header_id|>assistant<|end_header_id|>\n\n", true})
			}
			return segs
		}
	case "chatml":
		t.segs = func(msgs []Message, addGen bool, _ string) []Segment {
			var segs []Segment
			for _, m := range msgs {
				segs = append(segs, Segment{"<|im_start|>" + m.Role + "\n", true}, Segment{m.Content, false}, Segment{"<|im_end|>\n", true})
			}
			if addGen {
				segs = append(segs, Segment{"<|im_start|>assistant\n", true})
			}
			return segs
		}
	case "falcon3":
		t.segs = func(msgs []Message, addGen bool, _ string) []Segment {
			var segs []Segment
			for _, m := range msgs {
				segs = append(segs, Segment{"<|" + m.Role + "|>\n", true}, Segment{m.Content, false}, Segment{"\n", true})
			}
			if addGen {
				segs = append(segs, Segment{"<|assistant|>\n", true})
			}
			return segs
		}
	case "raw":
		t.segs = func(msgs []Message, _ bool, _ string) []Segment {
			var segs []Segment
			for _, m := range msgs {
				segs = append(segs, Segment{m.Content, false})
			}
			return segs
		}
	default:
		return nil, fmt.Errorf("chat: unknown template %q (built-in: %s)", name, strings.Join(Builtins, ", "))
	}
	return t, nil
}

// Parse parses a Jinja chat template (tokenizer.chat_template). bos and eos
// are the texts of bos_token and eos_token.
func Parse(src, bos, eos string) (*Template, error) {
	body, err := parseTemplate(src)
	if err != nil {
		return nil, err
	}
	return &Template{name: "jinja", bos: bos, eos: eos, body: body}, nil
}

// Detect picks the template for a model from its tokenizer.chat_template
// (src, "" if absent) and vocabulary:
//
//   - a template with "BITNET" (bitnet.cpp's converter) or with
//     <|eot_id|> turns but no <|start_header_id|> (the 2B-4T Hugging Face
//     template) is bitnet;
//   - <|start_header_id|> is llama3; <|im_start|> is chatml;
//     <|assistant|> is falcon3;
//   - any other template is rendered as Jinja;
//   - without a template, a vocabulary with <|eot_id|> (the Llama-3
//     vocabulary of BitNet-b1.58-2B-4T) gets bitnet, one with <|im_start|>
//     chatml, and any other raw.
func Detect(src string, tok *tokenizer.Tokenizer) (*Template, error) {
	name := ""
	has := func(s string) bool { return strings.Contains(src, s) }
	switch {
	case src == "":
		name = "raw"
		if _, ok := tok.Lookup("<|eot_id|>"); ok {
			name = "bitnet"
		} else if _, ok := tok.Lookup("<|im_start|>"); ok {
			name = "chatml"
		}
	case has("BITNET") || (has("<|eot_id|>") && !has("<|start_header_id|>")):
		name = "bitnet"
	case has("<|start_header_id|>"):
		name = "llama3"
	case has("<|im_start|>"):
		name = "chatml"
	case has("<|assistant|>"):
		name = "falcon3"
	default:
		return Parse(src, tokenText(tok, tok.BOS()), tokenText(tok, tok.EOS()))
	}
	return Builtin(name)
}

// Select returns the template named by a --chat-template value: "" or
// "auto" (Detect), a built-in name, "jinja" (src rendered as Jinja), or
// else the text of a Jinja template itself.
func Select(name, src string, tok *tokenizer.Tokenizer) (*Template, error) {
	switch {
	case name == "" || name == "auto":
		return Detect(src, tok)
	case name == "jinja":
		if src == "" {
			return nil, fmt.Errorf("chat: the model has no tokenizer.chat_template to render")
		}
		return Parse(src, tokenText(tok, tok.BOS()), tokenText(tok, tok.EOS()))
	case strings.Contains(name, "{{") || strings.Contains(name, "{%"):
		return Parse(name, tokenText(tok, tok.BOS()), tokenText(tok, tok.EOS()))
	}
	return Builtin(name)
}

func tokenText(tok *tokenizer.Tokenizer, id int32) string {
	if tok == nil || id < 0 {
		return ""
	}
	return tok.TokenText(id)
}

// Segments renders msgs. With addGen the prompt ends with the header of an
// assistant turn, ready for generation.
func (t *Template) Segments(msgs []Message, addGen bool) ([]Segment, error) {
	if t.segs != nil {
		return t.segs(msgs, addGen, t.bos), nil
	}
	ev := &evaluator{scopes: []map[string]value{{
		"messages":              messagesValue(msgs),
		"add_generation_prompt": addGen,
		"bos_token":             t.bos,
		"eos_token":             t.eos,
	}}}
	if err := ev.exec(t.body); err != nil {
		return nil, err
	}
	return []Segment{{ev.out.String(), true}}, nil
}

// Render returns the prompt text of msgs (the segments concatenated).
func (t *Template) Render(msgs []Message, addGen bool) (string, error) {
	segs, err := t.Segments(msgs, addGen)
	if err != nil {
		return "", err
	}
	return joinSegments(segs), nil
}

func joinSegments(segs []Segment) string {
	var sb strings.Builder
	for _, s := range segs {
		sb.WriteString(s.Text)
	}
	return sb.String()
}

func messagesValue(msgs []Message) []value {
	out := make([]value, len(msgs))
	for i, m := range msgs {
		d := newDict()
		d.set("role", m.Role)
		d.set("content", m.Content)
		out[i] = d
	}
	return out
}

// Encode returns the token ids of segs with exactly one BOS: it adds BOS
// when the tokenizer asks for one (AddBOS) and the text does not already
// start with the BOS token's text. Markup segments are encoded with special
// tokens parsed, content segments as plain text, each on its own. For a
// SentencePiece vocabulary, which prepends a space to every separately
// encoded text, the segments are joined and encoded as one text with
// special tokens parsed (as llama.cpp does).
func Encode(tok *tokenizer.Tokenizer, segs []Segment) []int32 {
	return encode(tok, segs, true)
}

func encode(tok *tokenizer.Tokenizer, segs []Segment, allowBOS bool) []int32 {
	text := joinSegments(segs)
	var ids []int32
	bos := tok.BOS()
	if allowBOS && tok.AddBOS() && bos >= 0 && !strings.HasPrefix(text, tok.TokenText(bos)) {
		ids = append(ids, bos)
	}
	if tok.AddSpacePrefix() {
		return tok.AppendEncode(ids, text, false, true)
	}
	for _, s := range segs {
		if s.Text != "" {
			ids = tok.AppendEncode(ids, s.Text, false, s.Special)
		}
	}
	return ids
}

// Names returns the built-in template names and "jinja", sorted.
func Names() []string {
	n := append([]string{"jinja"}, Builtins...)
	sort.Strings(n)
	return n
}
