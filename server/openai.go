package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// Request bodies. Pointer fields distinguish "absent or null" from zero.
// Unknown fields are ignored, as llama-server and most OpenAI-compatible
// servers do, so that clients sending newer parameters keep working.

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// commonParams are the fields both endpoints share.
type commonParams struct {
	Model            string         `json:"model"`
	MaxTokens        *int64         `json:"max_tokens"`
	Temperature      *float64       `json:"temperature"`
	TopP             *float64       `json:"top_p"`
	N                *int64         `json:"n"`
	Stream           *bool          `json:"stream"`
	StreamOptions    *streamOptions `json:"stream_options"`
	Stop             stopList       `json:"stop"`
	Seed             *int64         `json:"seed"`
	PresencePenalty  *float64       `json:"presence_penalty"`
	FrequencyPenalty *float64       `json:"frequency_penalty"`
	User             string         `json:"user"`
}

type chatRequest struct {
	commonParams
	Messages            []chatMessage `json:"messages"`
	MaxCompletionTokens *int64        `json:"max_completion_tokens"`
	Logprobs            *bool         `json:"logprobs"`
	TopLogprobs         *int64        `json:"top_logprobs"`
}

type chatMessage struct {
	Role    string         `json:"role"`
	Content messageContent `json:"content"`
	Name    string         `json:"name"`
}

type completionRequest struct {
	commonParams
	Prompt   promptInput `json:"prompt"`
	Logprobs *int64      `json:"logprobs"`
	Echo     bool        `json:"echo"`
	BestOf   *int64      `json:"best_of"`
	Suffix   *string     `json:"suffix"`
}

// paramError is a field that decoded but has the wrong shape.
type paramError struct{ param, msg string }

func (e *paramError) Error() string { return e.msg }

// stopList is "stop": a string, an array of strings, or null.
type stopList []string

func (s *stopList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = stopList{one}
		return nil
	case len(b) > 0 && b[0] == '[':
		var many []string
		if err := json.Unmarshal(b, &many); err != nil {
			return &paramError{"stop", "'stop' must be a string or an array of strings"}
		}
		*s = many
		return nil
	}
	return &paramError{"stop", "'stop' must be a string or an array of strings"}
}

// messageContent is a message's "content": a string, an array of content
// parts of which only text parts are supported, or null.
type messageContent struct {
	Text string
	Set  bool
}

func (c *messageContent) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = messageContent{}
		return nil
	case len(b) > 0 && b[0] == '"':
		c.Set = true
		return json.Unmarshal(b, &c.Text)
	case len(b) > 0 && b[0] == '[':
		var parts []struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(b, &parts); err != nil {
			return &paramError{"messages", "message content must be a string or an array of text parts"}
		}
		var sb strings.Builder
		for _, p := range parts {
			if p.Type != "text" || p.Text == nil {
				return &paramError{"messages", fmt.Sprintf("content part type %q is not supported: this model reads text only", p.Type)}
			}
			sb.WriteString(*p.Text)
		}
		c.Text, c.Set = sb.String(), true
		return nil
	}
	return &paramError{"messages", "message content must be a string or an array of text parts"}
}

// promptInput is a completion "prompt": a string, an array of one string,
// an array of token ids, or an array of one array of token ids.
type promptInput struct {
	Text   string
	Tokens []int32
	IsText bool
	Set    bool
}

func (p *promptInput) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	bad := &paramError{"prompt", "'prompt' must be a string, an array of one string, an array of token ids or an array of one array of token ids"}
	if bytes.Equal(b, []byte("null")) {
		*p = promptInput{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		p.Set, p.IsText = true, true
		return json.Unmarshal(b, &p.Text)
	}
	if len(b) == 0 || b[0] != '[' {
		return bad
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return bad
	}
	if len(raw) == 0 {
		return &paramError{"prompt", "'prompt' is empty"}
	}
	first := bytes.TrimSpace(raw[0])
	switch {
	case len(first) > 0 && first[0] == '"':
		if len(raw) != 1 {
			return &paramError{"prompt", fmt.Sprintf("%d prompts in one request are not supported: send one prompt per request", len(raw))}
		}
		p.Set, p.IsText = true, true
		return json.Unmarshal(first, &p.Text)
	case len(first) > 0 && first[0] == '[':
		if len(raw) != 1 {
			return &paramError{"prompt", fmt.Sprintf("%d prompts in one request are not supported: send one prompt per request", len(raw))}
		}
		if err := json.Unmarshal(first, &p.Tokens); err != nil {
			return bad
		}
		p.Set = true
		return nil
	default:
		if err := json.Unmarshal(b, &p.Tokens); err != nil {
			return bad
		}
		p.Set = true
		return nil
	}
}

// decodeJSON reads one JSON object from the request body into v. Errors
// are apiErrors that name the offending field where the decoder knows it.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("", "the request body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	var pe *paramError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &pe):
		return badRequest(pe.param, "%s", pe.msg)
	case errors.As(err, &ute):
		field := strings.TrimPrefix(ute.Field, "commonParams.")
		if field == "" {
			return badRequest("", "the request body must be a JSON object, got %s", ute.Value)
		}
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_type", Param: field,
			Message: fmt.Sprintf("invalid type for '%s': expected %s, got %s", field, jsonKind(ute.Type), ute.Value)}
	case errors.As(err, &se):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_json",
			Message: fmt.Sprintf("the request body is not valid JSON: %v (at byte %d)", se, se.Offset)}
	case errors.Is(err, io.EOF):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_json", Message: "the request body is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_json", Message: "the request body is truncated JSON"}
	}
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_json", Message: "the request body could not be read: " + err.Error()}
}

// jsonKind names a Go type the way a JSON user thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// Responses.

type usageJSON struct {
	PromptTokens        int                 `json:"prompt_tokens"`
	CompletionTokens    int                 `json:"completion_tokens"`
	TotalTokens         int                 `json:"total_tokens"`
	PromptTokensDetails *promptTokenDetails `json:"prompt_tokens_details,omitempty"`
}

type promptTokenDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// Chat completion (non-streaming).
type chatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []chatChoice `json:"choices"`
	Usage             *usageJSON   `json:"usage"`
}

type chatChoice struct {
	Index        int           `json:"index"`
	Message      *assistantMsg `json:"message,omitempty"`
	Delta        *assistantMsg `json:"delta,omitempty"`
	Logprobs     *chatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

type assistantMsg struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type chatLogprobs struct {
	Content []chatTokenLogprob `json:"content"`
}

type chatTokenLogprob struct {
	Token       string           `json:"token"`
	Logprob     float64          `json:"logprob"`
	Bytes       []int            `json:"bytes"`
	TopLogprobs []chatTopLogprob `json:"top_logprobs"`
}

type chatTopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// Text completion.
type textCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []textChoice `json:"choices"`
	Usage             *usageJSON   `json:"usage"`
}

type textChoice struct {
	Text         string        `json:"text"`
	Index        int           `json:"index"`
	Logprobs     *textLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

type textLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type modelList struct {
	Object string        `json:"object"`
	Data   []modelObject `json:"data"`
}
