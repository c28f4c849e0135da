package decode

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckContext(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		prompt, maxTokens, ctx, used int
		field                        Field // "" = fits
		msg                          string
	}{
		{"fits", 10, 20, 64, 0, "", ""},
		{"fits exactly", 10, 54, 64, 0, "", ""},
		{"until full", 10, -1, 64, 0, "", ""},
		{"prompt fills the context", 64, 1, 64, 0, FieldPrompt, "the prompt has 64 tokens but the context holds 64"},
		{"prompt fills it, until full", 64, -1, 64, 0, FieldPrompt, "the prompt has 64"},
		{"one over", 10, 55, 64, 0, FieldMaxTokens, "the prompt (10 tokens) plus max_tokens (55) exceed the context length 64"},
		{"cached positions count", 10, 20, 64, 40, FieldMaxTokens, "40 positions are taken by the conversation so far, 24 free"},
		{"cached leave no room", 24, 1, 64, 40, FieldPrompt, "24 free"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckContext(tc.prompt, tc.maxTokens, tc.ctx, tc.used)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("CheckContext(%d, %d, %d, %d) = %v, want nil", tc.prompt, tc.maxTokens, tc.ctx, tc.used, err)
				}
				return
			}
			var cle *ContextLengthError
			if !errors.As(err, &cle) || cle.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("CheckContext(%d, %d, %d, %d) = %v, want a ContextLengthError blaming %s with %q", tc.prompt, tc.maxTokens, tc.ctx, tc.used, err, tc.field, tc.msg)
			}
		})
	}
}
