package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/internal/testmodel"
)

// FuzzRequestJSON decodes and validates chat and completion bodies the way
// the handlers do: it must never panic, and a refused body must map to a
// 4xx status. Nothing is submitted to the engine.
func FuzzRequestJSON(f *testing.F) {
	for _, seed := range []string{
		`{"prompt":"In the beginning","max_tokens":12,"temperature":0,"stream":true}`,
		`{"prompt":[1,2,3],"max_tokens":2,"logprobs":2,"stop":["the"]}`,
		`{"prompt":"a","max_tokens":-1}`,
		`{"prompt":"a","max_tokens":9223372036854775807}`,
		`{"messages":[{"role":"user","content":"Blessed are the"}],"max_tokens":6,"stream":true,"stream_options":{"include_usage":true}}`,
		`{"messages":[{"role":"system","content":"x"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"logprobs":true,"top_logprobs":3}`,
		`{"messages":[]}`, `{"messages":[{"role":"tool","content":"x"}]}`, `{"prompt":"a","n":2}`, `{`, `null`, `[]`,
	} {
		f.Add(0, seed)
		f.Add(1, seed)
	}
	m, tok := testmodel.Embedded(f, 1)
	eng, err := engine.New(m, tok, engine.Config{MaxBatch: 8, MaxSeqs: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { eng.Close(); m.Close() })
	s, err := New(Config{Engine: eng, Tokenizer: tok})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kind int, body string) {
		if len(body) > 1<<16 {
			return
		}
		r := httptest.NewRequest("POST", "/v1/completions", strings.NewReader(body))
		var err error
		if kind%2 == 0 {
			var req completionRequest
			if err = decodeJSON(r, &req); err == nil {
				_, err = s.textJob(&req)
			}
		} else {
			var req chatRequest
			if err = decodeJSON(r, &req); err == nil {
				_, err = s.chatJob(&req)
			}
		}
		if err != nil {
			if st := toAPIError(err).Status; st < 400 || st > 499 {
				t.Errorf("body %q: error %v maps to status %d, want 4xx", body, err, st)
			}
		}
	})
}
