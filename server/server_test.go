package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/internal/testmodel"
	"github.com/bitnet-go/bitnet/internal/testutil"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// harness is a Server on the embedded model behind an httptest server.
type harness struct {
	t      *testing.T
	eng    *engine.Engine
	tok    *tokenizer.Tokenizer
	srv    *Server
	ts     *httptest.Server
	client *openai.Client
	logs   *testutil.SyncBuffer
}

const testModel = "kjv-tiny"

func newHarness(t *testing.T, ecfg engine.Config, mutate func(*Config)) *harness {
	t.Helper()
	m, tok := testmodel.Embedded(t, 2)
	if ecfg.MaxBatch == 0 {
		ecfg.MaxBatch = 64
	}
	if ecfg.MaxSeqs == 0 {
		ecfg.MaxSeqs = 32
	}
	eng, err := engine.New(m, tok, ecfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	cfg := Config{Engine: eng, Tokenizer: tok, ModelID: testModel, Version: "test", KVType: "f16",
		ModelLoadTime: 5 * time.Millisecond,
		Logger:        slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ReadHeaderTimeout = DefaultReadHeaderTimeout
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		eng.Close()
		m.Close()
	})
	oc := openai.DefaultConfig("")
	if len(cfg.APIKeys) > 0 {
		oc = openai.DefaultConfig(cfg.APIKeys[0])
	}
	oc.BaseURL = ts.URL + "/v1"
	return &harness{t: t, eng: eng, tok: tok, srv: srv, ts: ts, client: openai.NewClientWithConfig(oc), logs: logs}
}

// post sends a raw JSON body and returns the status and body.
func (h *harness) post(path, body string, hdr ...string) (int, http.Header, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (h *harness) get(path string) (int, []byte) {
	h.t.Helper()
	resp, err := http.Get(h.ts.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// steps returns the engine's step count, to pass to waitIdle later.
func (h *harness) steps() int64 { return h.eng.Stats().Steps }

// waitIdle waits until the engine has no queued or active sequence in a
// snapshot published after step `since`: the loop publishes it after
// freeing the finished sequences' blocks, so reading the pool afterwards
// is ordered after those writes (and the race detector agrees).
func (h *harness) waitIdle(since int64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := h.eng.Stats()
		if st.Active == 0 && st.Queued == 0 && st.Steps > since {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("engine still busy: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls the engine's stats until cond holds.
func (h *harness) waitFor(cond func(engine.Stats) bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(h.eng.Stats()) {
		if time.Now().After(deadline) {
			h.t.Fatalf("engine stats never reached the condition: %+v", h.eng.Stats())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sseEvents reads an SSE body: the data payloads, in order.
func sseEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data: ") {
			out = append(out, strings.TrimPrefix(line, "data: "))
		} else if line != "" {
			t.Errorf("unexpected SSE line %q", line)
		}
	}
	return out
}

const genesis = "In the beginning God created the heaven and the earth."

// bitnet.cpp's greedy continuation of genesis (see cmd/bitnet TestRunGreedyEmbedded).
const genesisGreedy = " And he said, Who is the man that he hath done, and the man is the man that is in thee, and the man that is"

func TestCompletionGreedyAndStop(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	code, _, body := h.post("/v1/completions", `{"model":"kjv-tiny","prompt":"`+genesis+`","max_tokens":32,"temperature":0}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var resp textCompletion
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Object != "text_completion" || len(resp.Choices) != 1 || resp.Choices[0].Text != genesisGreedy ||
		*resp.Choices[0].FinishReason != "length" {
		t.Fatalf("response %s", body)
	}
	if resp.Usage.CompletionTokens != 32 || resp.Usage.PromptTokens != len(h.tok.Encode(genesis, true, true)) ||
		resp.Usage.TotalTokens != resp.Usage.PromptTokens+32 {
		t.Errorf("usage %+v", resp.Usage)
	}

	// Stop strings, through the real client: the output ends before "man".
	cr, err := h.client.CreateCompletion(context.Background(), openai.CompletionRequest{
		Model: testModel, Prompt: genesis, MaxTokens: 32, Stop: []string{"man", "never-occurs"}, TopP: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Choices[0].Text != " And he said, Who is the " || cr.Choices[0].FinishReason != "stop" {
		t.Errorf("stop: %q finish %q", cr.Choices[0].Text, cr.Choices[0].FinishReason)
	}
	if cr.Usage.CompletionTokens < 1 || cr.Usage.CompletionTokens >= 32 {
		t.Errorf("stop: usage %+v", cr.Usage)
	}

	// Streaming completion gives the same text, then [DONE].
	s0 := h.steps()
	stream, err := h.client.CreateCompletionStream(context.Background(), openai.CompletionRequest{
		Model: testModel, Prompt: genesis, MaxTokens: 32, TopP: 1e-9, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	finish := ""
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(chunk.Choices[0].Text)
		if chunk.Choices[0].FinishReason != "" {
			finish = chunk.Choices[0].FinishReason
		}
	}
	stream.Close()
	if sb.String() != genesisGreedy || finish != "length" {
		t.Errorf("stream: %q finish %q", sb.String(), finish)
	}
	h.waitIdle(s0)
	if u := h.eng.KVPool().Stats().Used; u != 0 {
		t.Errorf("%d KV blocks still used", u)
	}
}

func TestChatWithClient(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	ctx := context.Background()
	seed := 42
	req := openai.ChatCompletionRequest{
		Model: testModel,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "You are the King James Bible."},
			{Role: openai.ChatMessageRoleUser, Content: "Who created the heaven?"},
		},
		MaxCompletionTokens: 24, Seed: &seed, Temperature: 0.7, PresencePenalty: 0.5, FrequencyPenalty: 0.2,
		User: "tester",
	}
	resp, err := h.client.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "chat.completion" || len(resp.Choices) != 1 || resp.Choices[0].Message.Role != "assistant" || resp.Model != testModel {
		t.Fatalf("response %+v", resp)
	}
	fin := resp.Choices[0].FinishReason
	if fin != "stop" && fin != "length" {
		t.Errorf("finish %q", fin)
	}
	if resp.Usage.PromptTokens < 10 || resp.Usage.CompletionTokens < 1 || resp.Usage.CompletionTokens > 24 ||
		resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage %+v", resp.Usage)
	}

	// The same seed streamed gives the same text, and the usage chunk.
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := h.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	var usage *openai.Usage
	finish := ""
	role := ""
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
		if len(c.Choices) == 0 {
			continue
		}
		if c.Choices[0].Delta.Role != "" {
			role = c.Choices[0].Delta.Role
		}
		sb.WriteString(c.Choices[0].Delta.Content)
		if c.Choices[0].FinishReason != "" {
			finish = string(c.Choices[0].FinishReason)
		}
	}
	st.Close()
	if sb.String() != resp.Choices[0].Message.Content || string(fin) != finish || role != "assistant" {
		t.Errorf("stream %q/%q/%q, whole %q/%q", sb.String(), finish, role, resp.Choices[0].Message.Content, fin)
	}
	if usage == nil || usage.PromptTokens != resp.Usage.PromptTokens || usage.CompletionTokens != resp.Usage.CompletionTokens ||
		usage.TotalTokens != resp.Usage.TotalTokens {
		t.Errorf("stream usage %+v, whole %+v", usage, resp.Usage)
	}

	// Models.
	ml, err := h.client.ListModels(ctx)
	if err != nil || len(ml.Models) != 1 || ml.Models[0].ID != testModel {
		t.Errorf("models %+v %v", ml, err)
	}
	if _, err := h.client.GetModel(ctx, "gpt-4"); err == nil {
		t.Error("GetModel(gpt-4) succeeded")
	}

	// Unknown model through the client: 404 model_not_found.
	req.Stream, req.StreamOptions, req.Model = false, nil, "gpt-4"
	_, err = h.client.CreateChatCompletion(ctx, req)
	var ae *openai.APIError
	if !errors.As(err, &ae) || ae.HTTPStatusCode != 404 || ae.Code != "model_not_found" {
		t.Errorf("unknown model: %v", err)
	}
	if !strings.Contains(h.logs.String(), `"user":"tester"`) {
		t.Error("the user field is not logged")
	}
}

func TestLogprobs(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	resp, err := h.client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model: testModel, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Blessed are the"}},
		MaxTokens: 8, LogProbs: true, TopLogProbs: 3})
	if err != nil {
		t.Fatal(err)
	}
	lp := resp.Choices[0].LogProbs
	if lp == nil || len(lp.Content) != resp.Usage.CompletionTokens {
		t.Fatalf("logprobs %+v for %d tokens", lp, resp.Usage.CompletionTokens)
	}
	for _, c := range lp.Content {
		if c.LogProb > 0 || len(c.TopLogProbs) != 3 || c.TopLogProbs[0].LogProb < c.TopLogProbs[1].LogProb ||
			c.LogProb > c.TopLogProbs[0].LogProb+1e-5 {
			t.Errorf("token logprob %+v", c)
		}
	}

	// Completions: logprobs is the number of alternatives.
	code, _, body := h.post("/v1/completions", `{"prompt":"And Moses said","max_tokens":5,"temperature":0,"logprobs":2}`)
	var tc textCompletion
	if code != 200 || json.Unmarshal(body, &tc) != nil {
		t.Fatalf("%d %s", code, body)
	}
	l := tc.Choices[0].Logprobs
	if l == nil || len(l.Tokens) != 5 || len(l.TokenLogprobs) != 5 || len(l.TopLogprobs) != 5 || len(l.TextOffset) != 5 {
		t.Fatalf("logprobs %s", body)
	}
	// Greedy: the chosen token is the most likely one.
	for i, top := range l.TopLogprobs {
		if len(top) < 1 || len(top) > 2 {
			t.Errorf("top %d: %v", i, top)
		}
		if top[l.Tokens[i]] != l.TokenLogprobs[i] {
			t.Errorf("token %d %q: logprob %v not among top %v", i, l.Tokens[i], l.TokenLogprobs[i], top)
		}
	}
	if strings.Join(l.Tokens, "") != tc.Choices[0].Text {
		t.Errorf("tokens %q do not spell %q", l.Tokens, tc.Choices[0].Text)
	}
}

func TestBadRequests(t *testing.T) {
	h := newHarness(t, engine.Config{}, func(c *Config) { c.MaxBodyBytes = 4096 })
	long := strings.Repeat("the LORD ", 2100) // > 2048 tokens, < 4096 bytes? no: use tokens
	_ = long
	tokens := make([]string, 2100)
	for i := range tokens {
		tokens[i] = "279"
	}
	bigPrompt := `{"prompt":[` + strings.Join(tokens, ",") + `],"max_tokens":1}`
	if len(bigPrompt) > 16000 {
		t.Fatal("test prompt too large")
	}
	h2 := newHarness(t, engine.Config{}, nil)

	for _, tc := range []struct {
		name, path, body string
		h                *harness
		status           int
		param, code      string
	}{
		{"malformed json", "/v1/chat/completions", `{"messages": [`, h, 400, "", "invalid_json"},
		{"not json", "/v1/completions", `hello`, h, 400, "", "invalid_json"},
		{"empty body", "/v1/completions", ``, h, 400, "", "invalid_json"},
		{"two objects", "/v1/completions", `{"prompt":"a"} {"prompt":"b"}`, h, 400, "", ""},
		{"array body", "/v1/completions", `[1,2]`, h, 400, "", ""},
		{"messages wrong type", "/v1/chat/completions", `{"messages":"hi"}`, h, 400, "messages", "invalid_type"},
		{"max_tokens wrong type", "/v1/completions", `{"prompt":"a","max_tokens":"ten"}`, h, 400, "max_tokens", "invalid_type"},
		{"temperature wrong type", "/v1/completions", `{"prompt":"a","temperature":"hot"}`, h, 400, "temperature", "invalid_type"},
		{"stream wrong type", "/v1/completions", `{"prompt":"a","stream":"yes"}`, h, 400, "stream", "invalid_type"},
		{"stop wrong type", "/v1/completions", `{"prompt":"a","stop":5}`, h, 400, "stop", ""},
		{"content wrong type", "/v1/chat/completions", `{"messages":[{"role":"user","content":5}]}`, h, 400, "messages", ""},
		{"image content", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, h, 400, "messages", ""},
		{"negative max_tokens", "/v1/completions", `{"prompt":"a","max_tokens":-5}`, h, 400, "max_tokens", ""},
		{"zero max_tokens", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_completion_tokens":0}`, h, 400, "max_completion_tokens", ""},
		{"huge max_tokens", "/v1/completions", `{"prompt":"a","max_tokens":1000000000}`, h, 400, "max_tokens", "context_length_exceeded"},
		{"max int max_tokens", "/v1/completions", `{"prompt":"a","max_tokens":9223372036854775807}`, h, 400, "max_tokens", "context_length_exceeded"},
		{"overflowing max_tokens", "/v1/completions", `{"prompt":"a","max_tokens":1e40}`, h, 400, "max_tokens", "invalid_type"},
		{"prompt + max_tokens > context", "/v1/completions", `{"prompt":"a","max_tokens":2048}`, h, 400, "max_tokens", "context_length_exceeded"},
		{"unknown model", "/v1/completions", `{"model":"gpt-4","prompt":"a"}`, h, 404, "model", "model_not_found"},
		{"n=2", "/v1/completions", `{"prompt":"a","n":2}`, h, 400, "n", ""},
		{"temperature 3", "/v1/completions", `{"prompt":"a","temperature":3}`, h, 400, "temperature", ""},
		{"top_p 2", "/v1/completions", `{"prompt":"a","top_p":2}`, h, 400, "top_p", ""},
		{"presence 5", "/v1/completions", `{"prompt":"a","presence_penalty":5}`, h, 400, "presence_penalty", ""},
		{"no prompt", "/v1/completions", `{"max_tokens":3}`, h, 400, "prompt", ""},
		{"two prompts", "/v1/completions", `{"prompt":["a","b"]}`, h, 400, "prompt", ""},
		{"bad token id", "/v1/completions", `{"prompt":[1,999999]}`, h, 400, "", ""},
		{"empty messages", "/v1/chat/completions", `{"messages":[]}`, h, 400, "messages", ""},
		{"tool role", "/v1/chat/completions", `{"messages":[{"role":"tool","content":"x"}]}`, h, 400, "messages[0].role", ""},
		{"top_logprobs without logprobs", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"top_logprobs":2}`, h, 400, "top_logprobs", ""},
		{"top_logprobs 50", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"logprobs":true,"top_logprobs":50}`, h, 400, "top_logprobs", ""},
		{"stream_options without stream", "/v1/completions", `{"prompt":"a","stream_options":{"include_usage":true}}`, h, 400, "stream_options", ""},
		{"echo", "/v1/completions", `{"prompt":"a","echo":true}`, h, 400, "echo", ""},
		{"oversized body", "/v1/completions", `{"prompt":"` + strings.Repeat("x", 5000) + `"}`, h, 413, "", "request_too_large"},
		{"prompt longer than the context", "/v1/completions", bigPrompt, h2, 400, "prompt", "context_length_exceeded"},
		{"chat longer than the context", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("And the LORD spake. ", 500) + `"}]}`, h2, 400, "messages", "context_length_exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := tc.h.post(tc.path, tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, body)
			}
			var eb struct {
				Error struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Param   *string `json:"param"`
					Code    *string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Message == "" || eb.Error.Type == "" {
				t.Fatalf("not an OpenAI error: %s", body)
			}
			if tc.param != "" && (eb.Error.Param == nil || *eb.Error.Param != tc.param) {
				t.Errorf("param %v, want %q: %s", eb.Error.Param, tc.param, body)
			}
			if tc.code != "" && (eb.Error.Code == nil || *eb.Error.Code != tc.code) {
				t.Errorf("code %v, want %q: %s", eb.Error.Code, tc.code, body)
			}
		})
	}
	// Wrong method, unknown path: JSON errors too.
	if code, body := h.get("/v1/completions"); code != 405 || !strings.Contains(string(body), `"error"`) {
		t.Errorf("GET /v1/completions: %d %s", code, body)
	}
	if code, body := h.get("/v1/nothing"); code != 404 || !strings.Contains(string(body), `"error"`) {
		t.Errorf("GET /v1/nothing: %d %s", code, body)
	}
	// The server is unaffected.
	for _, hh := range []*harness{h, h2} {
		s0 := hh.steps()
		code, _, body := hh.post("/v1/completions", `{"prompt":"`+genesis+`","max_tokens":32,"temperature":0}`)
		if code != 200 || !strings.Contains(string(body), genesisGreedy) {
			t.Errorf("after bad requests: %d %s", code, body)
		}
		hh.waitIdle(s0)
		if u := hh.eng.KVPool().Stats().Used; u != 0 {
			t.Errorf("%d KV blocks used", u)
		}
	}
}

func TestAPIKey(t *testing.T) {
	h := newHarness(t, engine.Config{}, func(c *Config) { c.APIKeys = []string{"sk-right", "sk-other"} })
	body := `{"prompt":"a","max_tokens":2}`
	for _, auth := range []string{"", "Bearer sk-wrong", "Bearer sk-righ", "Basic sk-right", "Bearer "} {
		code, hdr, b := h.post("/v1/completions", body, "Authorization", auth)
		if code != 401 || !strings.Contains(string(b), "invalid_api_key") || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("auth %q: %d %s", auth, code, b)
		}
	}
	for _, key := range []string{"sk-right", "sk-other"} {
		if code, _, b := h.post("/v1/completions", body, "Authorization", "Bearer "+key); code != 200 {
			t.Errorf("key %s: %d %s", key, code, b)
		}
	}
	// The client with the right key works; probes stay open.
	if _, err := h.client.ListModels(context.Background()); err != nil {
		t.Error(err)
	}
	if code, _ := h.get("/health"); code != 200 {
		t.Errorf("/health %d", code)
	}
	if code, _ := h.get("/v1/models"); code != 401 {
		t.Errorf("/v1/models without a key: %d", code)
	}
}

func TestCORSAndRequestID(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	req, _ := http.NewRequest("GET", h.ts.URL+"/v1/models", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("X-Request-Id", "my-req-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header sent with CORS off")
	}
	if resp.Header.Get("X-Request-Id") != "my-req-123" {
		t.Errorf("request id not echoed: %q", resp.Header.Get("X-Request-Id"))
	}
	if !strings.Contains(h.logs.String(), `"request_id":"my-req-123"`) {
		t.Errorf("request id not in the logs: %s", h.logs.String())
	}
	_, hdr, _ := h.post("/v1/completions", `{"prompt":"a","max_tokens":1}`)
	if id := hdr.Get("X-Request-Id"); len(id) != 24 {
		t.Errorf("generated request id %q", id)
	}

	hc := newHarness(t, engine.Config{}, func(c *Config) { c.CORSOrigins = []string{"https://app.example"} })
	pre, _ := http.NewRequest("OPTIONS", hc.ts.URL+"/v1/chat/completions", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	pre.Header.Set("Origin", "https://evil.example")
	resp, _ = http.DefaultClient.Do(pre)
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("disallowed origin got CORS headers")
	}
}

// openStream starts a streaming completion and returns the response after
// its first data event.
func (h *harness) openStream(ctx context.Context, body string) (*http.Response, *bufio.Reader) {
	h.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.ts.URL+"/v1/completions", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: {") {
		h.t.Fatalf("first line %q %v", line, err)
	}
	return resp, br
}

func TestDisconnectFreesBlocks(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	free := h.eng.Stats().KV
	s0 := h.steps()
	ctx, cancel := context.WithCancel(context.Background())
	resp, _ := h.openStream(ctx, `{"prompt":"`+genesis+`","max_tokens":1900,"temperature":0,"stream":true}`)
	h.waitFor(func(st engine.Stats) bool { return st.Active == 1 && st.KV.Used > 0 && st.Steps > s0 })
	cancel()
	resp.Body.Close()
	h.waitIdle(s0)
	if st := h.eng.KVPool().Stats(); st.Used != 0 || st.Free+st.Cached != free.Free+free.Cached {
		t.Errorf("after disconnect: %+v, before %+v", st, free)
	}
	// The access log records 200 (headers were sent) and the metrics the
	// cancellation, once the handler has seen the final event (the engine
	// is idle before that).
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, m := h.get("/metrics")
		if strings.Contains(string(m), `bitnet_generations_total{reason="cancelled"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("cancellation not counted")
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTimeout(t *testing.T) {
	h := newHarness(t, engine.Config{}, func(c *Config) { c.RequestTimeout = 150 * time.Millisecond })
	code, hdr, body := h.post("/v1/completions", `{"prompt":"`+genesis+`","max_tokens":1900,"temperature":0}`)
	if code != 503 || !strings.Contains(string(body), `"timeout"`) || hdr.Get("Retry-After") == "" {
		t.Errorf("non-streaming timeout: %d %s", code, body)
	}
	s0 := h.steps()
	resp, br := h.openStream(context.Background(), `{"prompt":"`+genesis+`","max_tokens":1900,"temperature":0,"stream":true}`)
	evs := sseEvents(t, br)
	resp.Body.Close()
	if len(evs) == 0 || !strings.Contains(evs[len(evs)-1], `"timeout"`) {
		t.Errorf("stream did not end with a timeout error event: last %q", evs[len(evs)-1:])
	}
	h.waitIdle(s0)
	if u := h.eng.KVPool().Stats().Used; u != 0 {
		t.Errorf("%d KV blocks still used", u)
	}
}

func TestOverloaded(t *testing.T) {
	h := newHarness(t, engine.Config{MaxSeqs: 1, MaxQueue: 2}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	long := `{"prompt":"` + genesis + `","max_tokens":1900,"temperature":0,"stream":true}`
	resp, _ := h.openStream(ctx, long)
	defer resp.Body.Close()
	// Two more wait in the queue (one sequence slot).
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", h.ts.URL+"/v1/completions", strings.NewReader(long))
			if r, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
		}()
	}
	h.waitFor(func(st engine.Stats) bool { return st.Queued >= 2 })
	code, hdr, body := h.post("/v1/completions", `{"prompt":"a","max_tokens":2}`)
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "rate_limit_exceeded") {
		t.Errorf("full queue: %d %v %s", code, hdr, body)
	}
	cancel()
	wg.Wait()
	h.waitFor(func(st engine.Stats) bool { return st.Active == 0 && st.Queued == 0 })
	s0 := h.steps()
	if code, _, body := h.post("/v1/completions", `{"prompt":"a","max_tokens":2}`); code != 200 {
		t.Errorf("after the burst: %d %s", code, body)
	}
	h.waitIdle(s0)
	if u := h.eng.KVPool().Stats().Used; u != 0 {
		t.Errorf("%d KV blocks still used", u)
	}
}

func TestShutdownDrains(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	resp, br := h.openStream(context.Background(), `{"prompt":"`+genesis+`","max_tokens":200,"temperature":0,"stream":true}`)
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx, h.ts.Config)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for h.srv.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("still ready")
		}
		time.Sleep(time.Millisecond)
	}
	// Probes and new requests (through the handler: the listener is closed).
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/ready", nil))
	if rec.Code != 503 {
		t.Errorf("/ready while draining: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/completions", strings.NewReader(`{"prompt":"a"}`)))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "server_shutting_down") {
		t.Errorf("new request while draining: %d %s", rec.Code, rec.Body)
	}
	// The in-flight stream finishes normally.
	evs := sseEvents(t, br)
	if len(evs) < 2 || evs[len(evs)-1] != "[DONE]" || !strings.Contains(evs[len(evs)-2], `"finish_reason":"length"`) {
		t.Errorf("drained stream ended with %q", evs[max(0, len(evs)-2):])
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestShutdownCancelsAfterTimeout(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	resp, br := h.openStream(context.Background(), `{"prompt":"`+genesis+`","max_tokens":1900,"temperature":0,"stream":true}`)
	defer resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.srv.Shutdown(ctx, h.ts.Config)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	evs := sseEvents(t, br)
	if len(evs) > 0 && evs[len(evs)-1] == "[DONE]" {
		t.Error("a cut stream ended with [DONE]")
	}
	if len(evs) > 0 && !strings.Contains(evs[len(evs)-1], "server_shutting_down") && !strings.Contains(evs[len(evs)-1], `"text"`) {
		t.Errorf("last event %q", evs[len(evs)-1])
	}
	if u := h.eng.Stats().KV.Used; u != 0 {
		t.Errorf("%d KV blocks used after shutdown", u)
	}
}

func TestHealthReadyModels(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	for path, want := range map[string]string{"/health": `"ok"`, "/ready": `"ready"`, "/v1/models": `"kjv-tiny"`, "/v1/models/kjv-tiny": `"model"`} {
		code, body := h.get(path)
		if code != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if code, body := h.get("/v1/models/gpt-4"); code != 404 || !strings.Contains(string(body), "model_not_found") {
		t.Errorf("unknown model: %d %s", code, body)
	}
}

func TestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		retry  bool
	}{
		{engine.ErrOverloaded, 429, true},
		{engine.ErrDraining, 503, true},
		{engine.ErrClosed, 503, true},
		{&decode.ContextLengthError{Field: decode.FieldMaxTokens, Prompt: 10, MaxTokens: 5000, Context: 2048}, 400, false},
		{engine.ErrStalled, 503, true},
		{&engine.InvalidRequestError{Msg: "bad"}, 400, false},
		{&http.MaxBytesError{Limit: 10}, 413, false},
		{context.DeadlineExceeded, 503, true},
		{errors.New("boom"), 500, false},
	} {
		rec := httptest.NewRecorder()
		writeError(rec, httptest.NewRequest("POST", "/v1/completions", nil), tc.err)
		if rec.Code != tc.status || (rec.Header().Get("Retry-After") != "") != tc.retry || !strings.Contains(rec.Body.String(), `"error":{"message"`) {
			t.Errorf("%v: %d %v %s", tc.err, rec.Code, rec.Header(), rec.Body)
		}
	}
}
