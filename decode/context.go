package decode

import "fmt"

// Field names the request field a ContextLengthError blames.
type Field string

// The fields a context-length check can blame.
const (
	FieldPrompt    Field = "prompt"     // the prompt alone leaves no room to generate
	FieldMaxTokens Field = "max_tokens" // the prompt fits, but not with the tokens asked for
)

// ContextLengthError reports a request that does not fit the context: its
// prompt alone, or its prompt plus the tokens it asks to generate. It is
// the one context-full error of the module: engine.Submit, generate and
// the server all return or map this type.
type ContextLengthError struct {
	Field     Field // the field to blame
	Prompt    int   // prompt tokens
	MaxTokens int   // tokens asked for (0 when the prompt alone is too long and none were given)
	Context   int   // the context length, in positions
	Used      int   // positions already holding earlier tokens (a chat session's cache); 0 for a new sequence
}

func (e *ContextLengthError) Error() string {
	used := ""
	if e.Used > 0 {
		used = fmt.Sprintf(" (%d positions are taken by the conversation so far, %d free)", e.Used, e.Context-e.Used)
	}
	if e.Field == FieldPrompt {
		return fmt.Sprintf("the prompt has %d tokens but the context holds %d%s", e.Prompt, e.Context, used)
	}
	return fmt.Sprintf("the prompt (%d tokens) plus max_tokens (%d) exceed the context length %d%s", e.Prompt, e.MaxTokens, e.Context, used)
}

// CheckContext is the context-length policy: a prompt of prompt tokens,
// fed after used positions of a context of context positions, must leave
// at least one position to generate into, and with maxTokens >= 0 the
// prompt plus maxTokens must fit (maxTokens < 0 means "until the context
// is full"). It returns nil or a *ContextLengthError.
func CheckContext(prompt, maxTokens, context, used int) error {
	free := context - used
	if prompt >= free {
		return &ContextLengthError{Field: FieldPrompt, Prompt: prompt, MaxTokens: max(0, maxTokens), Context: context, Used: used}
	}
	if maxTokens >= 0 && prompt+maxTokens > free {
		return &ContextLengthError{Field: FieldMaxTokens, Prompt: prompt, MaxTokens: maxTokens, Context: context, Used: used}
	}
	return nil
}
