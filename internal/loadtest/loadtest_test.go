package loadtest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/internal/testmodel"
	"github.com/bitnet-go/bitnet/server"
)

func TestParseRange(t *testing.T) {
	for in, want := range map[string]Range{"8": {8, 8}, "16-64": {16, 64}, " 2 - 3 ": {2, 3}} {
		if got, err := ParseRange(in); err != nil || got != want {
			t.Errorf("ParseRange(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "5-2", "a-b", "-3"} {
		if _, err := ParseRange(in); err == nil {
			t.Errorf("ParseRange(%q) accepted", in)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://10.1.2.3:8080", "http://8.8.8.8", "http://[2001:db8::1]:80"} {
		if _, err := Run(context.Background(), Config{URL: u}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: %v", u, err)
		}
	}
	// The default client refuses non-loopback addresses at dial time too.
	c := loopbackClient(1)
	if _, err := c.Get("http://192.0.2.1:9/"); err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Errorf("dial: %v", err)
	}
}

func TestReadStream(t *testing.T) {
	good := "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}\n\n" +
		": keep-alive\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"b\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n" +
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n" +
		"data: [DONE]\n\n"
	r := readStream(strings.NewReader(good), time.Now())
	if !r.wellFormed || r.err != "" || r.completion != 2 || r.prompt != 3 || !r.fromUsage || len(r.gaps) != 1 || r.ttft <= 0 {
		t.Errorf("good stream: %+v", r)
	}
	// llama-server style completions without usage: tokens are counted chunks.
	noUsage := "data: {\"choices\":[{\"text\":\"x\",\"finish_reason\":null}]}\n\ndata: {\"choices\":[{\"text\":\"y\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	if r := readStream(strings.NewReader(noUsage), time.Now()); !r.wellFormed || r.completion != 2 || r.fromUsage {
		t.Errorf("no usage: %+v", r)
	}
	for name, body := range map[string]string{
		"no done":     "data: {\"choices\":[{\"text\":\"x\",\"finish_reason\":\"stop\"}]}\n\n",
		"bad json":    "data: {\"choices\":[\n\ndata: [DONE]\n\n",
		"no finish":   "data: {\"choices\":[{\"text\":\"x\",\"finish_reason\":null}]}\n\ndata: [DONE]\n\n",
		"two finish":  "data: {\"choices\":[{\"text\":\"x\",\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
		"error event": "data: {\"choices\":[{\"text\":\"x\",\"finish_reason\":null}]}\n\ndata: {\"error\":{\"message\":\"boom\"}}\n\n",
		"after done":  "data: {\"choices\":[{\"text\":\"x\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\ndata: {}\n\n",
		"garbage":     "hello\n\n",
	} {
		if r := readStream(strings.NewReader(body), time.Now()); r.wellFormed || r.err == "" {
			t.Errorf("%s: accepted %+v", name, r)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(ds)
	if p.P50 != 50 || p.P99 != 99 || p.Max != 100 || p.N != 100 || p.P90 != 90 {
		t.Errorf("%+v", p)
	}
	if (percentiles(nil) != Percentiles{}) {
		t.Error("empty")
	}
}

// startServer runs bitnet's server on the embedded model.
func startServer(t *testing.T, ecfg engine.Config) (*httptest.Server, *engine.Engine) {
	t.Helper()
	m, tok := testmodel.Embedded(t, 2)
	eng, err := engine.New(m, tok, ecfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Engine: eng, Tokenizer: tok, ModelID: "kjv-tiny",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ReadHeaderTimeout = server.DefaultReadHeaderTimeout
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		eng.Close()
		m.Close()
	})
	return ts, eng
}

func TestSmallRun(t *testing.T) {
	ts, _ := startServer(t, engine.Config{MaxSeqs: 8})
	for _, ep := range []string{"chat", "completions"} {
		rep, err := Run(context.Background(), Config{URL: ts.URL + "/v1", Endpoint: ep, Clients: 3, Requests: 2,
			PromptWords: Range{4, 12}, MaxTokens: Range{4, 8}, Temperature: 0.8})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Errors != 0 || rep.WellFormed != 6 || rep.Requests != 6 || rep.Model != "kjv-tiny" || !rep.TokensFromUsage ||
			rep.CompletionTokens < 6 || rep.TTFT.N != 6 {
			t.Errorf("%s: %+v", ep, rep)
		}
	}
	// Errors are counted, not fatal: a wrong key gets 401s... here, a wrong model.
	rep, err := Run(context.Background(), Config{URL: ts.URL, Model: "nope", Clients: 2, Requests: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 2 || rep.ErrorKinds["http_404"] != 2 || rep.WellFormed != 0 {
		t.Errorf("wrong model: %+v", rep)
	}
}

// TestLoad128 is the acceptance load test: 128 concurrent streaming
// requests on the embedded model, no error, every stream well formed.
func TestLoad128(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	ts, eng := startServer(t, engine.Config{MaxBatch: 128, MaxSeqs: 128, MaxQueue: 256})
	s0 := eng.Stats().Steps
	rep, err := Run(context.Background(), Config{URL: ts.URL, Endpoint: "chat", Clients: 128, Requests: 1,
		PromptWords: Range{16, 64}, MaxTokens: Range{32, 64}, Temperature: 0.8, Seed: 1,
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	t.Logf("\n%s", sb.String())
	if rep.Requests != 128 || rep.Errors != 0 || rep.WellFormed != 128 {
		t.Errorf("requests %d, errors %d (%v: %s), well formed %d", rep.Requests, rep.Errors, rep.ErrorKinds, rep.FirstError, rep.WellFormed)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := eng.Stats(); st.Active != 0 || st.Queued != 0 || st.Steps <= s0; st = eng.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("engine busy: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if u := eng.KVPool().Stats().Used; u != 0 {
		t.Errorf("%d KV blocks used after the run", u)
	}
}
