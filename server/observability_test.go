package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bitnet-go/bitnet/engine"
)

func TestMetrics(t *testing.T) {
	h := newHarness(t, engine.Config{}, nil)
	code, _, body := h.post("/v1/completions", `{"prompt":"`+genesis+`","max_tokens":12,"temperature":0,"stream":true}`)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	h.post("/v1/completions", `{"prompt":"a","max_tokens":-1}`)
	code, text := h.get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	for _, name := range []string{
		"bitnet_requests_total", "bitnet_request_duration_seconds", "bitnet_requests_in_flight",
		"bitnet_prompt_tokens_total", "bitnet_generated_tokens_total", "bitnet_prompt_cached_tokens_total", "bitnet_generations_total",
		"bitnet_time_to_first_token_seconds", "bitnet_inter_token_latency_seconds",
		"bitnet_queue_depth", "bitnet_active_sequences", "bitnet_batch_size", "bitnet_last_batch_size", "bitnet_step_duration_seconds",
		"bitnet_kv_blocks_used", "bitnet_kv_blocks_free", "bitnet_kv_blocks_cached", "bitnet_kv_blocks_total",
		"bitnet_model_load_seconds", "bitnet_build_info", "bitnet_ready", "bitnet_stalled_sequences_total",
		"bitnet_requests_waiting", "bitnet_requests_running", "bitnet_kv_cache_usage_ratio",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if fams[name] == nil {
			t.Errorf("family %s missing", name)
		}
	}
	value := func(name string, labels map[string]string) float64 {
		f := fams[name]
		if f == nil {
			return -1
		}
	next:
		for _, m := range f.Metric {
			for _, lp := range m.Label {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		return -1
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"bitnet_requests_total", map[string]string{"endpoint": "/v1/completions", "status": "200"}, 1},
		{"bitnet_requests_total", map[string]string{"endpoint": "/v1/completions", "status": "400"}, 1},
		{"bitnet_generated_tokens_total", nil, 12},
		{"bitnet_prompt_tokens_total", nil, float64(len(h.tok.Encode(genesis, true, true)))},
		{"bitnet_time_to_first_token_seconds", nil, 1},
		{"bitnet_inter_token_latency_seconds", nil, 11},
		{"bitnet_generations_total", map[string]string{"reason": "length"}, 1},
		{"bitnet_model_load_seconds", nil, 0.005},
		{"bitnet_build_info", map[string]string{"version": "test", "model": testModel}, 1},
		{"bitnet_ready", nil, 1},
		{"bitnet_kv_blocks_used", nil, 0},
		{"bitnet_requests_waiting", nil, 0},
		{"bitnet_requests_running", nil, 0},
		{"bitnet_kv_cache_usage_ratio", nil, 0},
		{"bitnet_stalled_sequences_total", nil, 0},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if value("bitnet_batch_size", nil) < 1 || value("bitnet_kv_blocks_free", nil) < 1 {
		t.Error("batch size or free blocks not recorded")
	}
}

func TestTraceSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	h := newHarness(t, engine.Config{}, func(c *Config) { c.TracerProvider = tp })

	// A caller's trace context is continued.
	parent := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	code, _, body := h.post("/v1/chat/completions", `{"messages":[{"role":"user","content":"Blessed are the"}],"max_tokens":6,"stream":true}`,
		"traceparent", parent, "X-Request-Id", "trace-req")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	// The root span ends after the handler returns; wait for it.
	var spans tracetest.SpanStubs
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans = exp.GetSpans()
		if len(spans) >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	root, ok := byName["POST /v1/chat/completions"]
	if !ok {
		t.Fatalf("no request span among %d spans", len(spans))
	}
	if root.SpanKind != trace.SpanKindServer || root.Parent.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" ||
		root.Parent.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("root span kind %v parent %v", root.SpanKind, root.Parent)
	}
	attrs := map[string]string{}
	for _, a := range root.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["bitnet.request_id"] != "trace-req" || attrs["gen_ai.usage.output_tokens"] == "" || attrs["http.response.status_code"] != "200" {
		t.Errorf("root attributes %v", attrs)
	}
	var prev time.Time
	for _, name := range []string{"queue", "prefill", "decode"} {
		s, ok := byName[name]
		if !ok {
			t.Errorf("no %s span", name)
			continue
		}
		if s.Parent.SpanID() != root.SpanContext.SpanID() || s.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("%s is not a child of the request span", name)
		}
		if s.StartTime.Before(prev) || s.EndTime.Before(s.StartTime) || s.StartTime.Before(root.StartTime) || s.EndTime.After(root.EndTime) {
			t.Errorf("%s span [%v, %v] out of order (previous end %v, root [%v, %v])", name, s.StartTime, s.EndTime, prev, root.StartTime, root.EndTime)
		}
		prev = s.EndTime
	}
	if d := byName["decode"]; len(d.Events) == 0 || d.Events[0].Name != "step" {
		t.Errorf("decode span has no step events: %+v", d.Events)
	}
	if len(spans) != 4 {
		names := []string{}
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Errorf("spans %s", strings.Join(names, ", "))
	}
}

// TestThresholds: a request that misses a configured performance threshold
// is counted (and logged as a warning).
func TestThresholds(t *testing.T) {
	h := newHarness(t, engine.Config{}, func(c *Config) {
		c.MaxTTFT = time.Nanosecond
		c.MinGenTokS = 1e9
	})
	code, _, body := h.post("/v1/completions", `{"prompt":"`+genesis+`","max_tokens":8,"temperature":0}`)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	_, text := h.get("/metrics")
	for _, want := range []string{`bitnet_threshold_violations_total{threshold="max_ttft"} 1`, `bitnet_threshold_violations_total{threshold="min_gen_tok_s"} 1`} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestGatewayGauges: while a long stream runs and a second request waits
// (one sequence slot), /metrics reports one running, one waiting and a KV
// usage ratio in (0, 1].
func TestGatewayGauges(t *testing.T) {
	h := newHarness(t, engine.Config{MaxSeqs: 1}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	long := `{"prompt":"` + genesis + `","max_tokens":1900,"temperature":0,"stream":true}`
	resp, _ := h.openStream(ctx, long)
	defer resp.Body.Close()
	queued := make(chan struct{})
	go func() { // waits for the one sequence slot
		defer close(queued)
		req, _ := http.NewRequestWithContext(ctx, "POST", h.ts.URL+"/v1/completions", strings.NewReader(long))
		if r, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
	}()
	h.waitFor(func(st engine.Stats) bool { return st.Active == 1 && st.Queued == 1 })
	_, text := h.get("/metrics")
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	gauge := func(name string) float64 {
		f := fams[name]
		if f == nil || len(f.Metric) != 1 || f.Metric[0].Gauge == nil {
			t.Fatalf("gauge %s missing", name)
		}
		return f.Metric[0].Gauge.GetValue()
	}
	if w, r := gauge("bitnet_requests_waiting"), gauge("bitnet_requests_running"); w != 1 || r != 1 {
		t.Errorf("waiting %v running %v, want 1 and 1", w, r)
	}
	if u := gauge("bitnet_kv_cache_usage_ratio"); u <= 0 || u > 1 {
		t.Errorf("bitnet_kv_cache_usage_ratio = %v, want in (0, 1]", u)
	}
	cancel()
	<-queued
}
