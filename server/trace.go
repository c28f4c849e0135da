package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const codesError = codes.Error

func attrString(k, v string) attribute.KeyValue  { return attribute.String(k, v) }
func attrInt(k string, v int) attribute.KeyValue { return attribute.Int(k, v) }

// NewOTLPTracerProvider returns a tracer provider that batches spans to an
// OTLP/HTTP collector. endpoint is a URL ("http://localhost:4318", the
// /v1/traces path is added when absent) or host:port (plain HTTP). Call
// Shutdown on the provider to flush at exit.
func NewOTLPTracerProvider(ctx context.Context, endpoint, version string) (*sdktrace.TracerProvider, error) {
	var opt otlptracehttp.Option
	if strings.Contains(endpoint, "://") {
		u := endpoint
		if !strings.Contains(strings.SplitN(u, "://", 2)[1], "/") {
			u = strings.TrimRight(u, "/") + "/v1/traces"
		}
		opt = otlptracehttp.WithEndpointURL(u)
	} else {
		opt = otlptracehttp.WithEndpoint(endpoint)
	}
	opts := []otlptracehttp.Option{opt}
	if !strings.HasPrefix(endpoint, "https://") {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter for %q: %w", endpoint, err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "bitnet"), attribute.String("service.version", version))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// stepLog remembers recent engine steps (start, end, rows) so that a
// request can place its queue/prefill boundary and annotate its decode
// span. The engine reports no per-sequence admission time, so a request's
// queueing is taken to end when the first step that started after its
// submission started: exact while the engine has room (admission happens
// at the first intake after Submit), an underestimate when the request
// waited for KV blocks or a sequence slot.
type stepLog struct {
	mu   sync.Mutex
	ring []stepRec
	n    int64 // steps recorded
}

type stepRec struct {
	start, end time.Time
	rows, seqs int
}

func newStepLog(size int) *stepLog { return &stepLog{ring: make([]stepRec, size)} }

func (l *stepLog) add(rows, seqs int, dur time.Duration) {
	end := time.Now()
	l.mu.Lock()
	l.ring[l.n%int64(len(l.ring))] = stepRec{start: end.Add(-dur), end: end, rows: rows, seqs: seqs}
	l.n++
	l.mu.Unlock()
}

// firstStartAfter returns the start of the earliest recorded step that
// began at or after t (t itself when none is known).
func (l *stepLog) firstStartAfter(t time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	best := time.Time{}
	for i := int64(1); i <= int64(len(l.ring)) && i <= l.n; i++ {
		r := l.ring[(l.n-i)%int64(len(l.ring))]
		if r.start.Before(t) {
			break
		}
		best = r.start
	}
	if best.IsZero() {
		return t
	}
	return best
}

// last returns the latest step.
func (l *stepLog) last() (stepRec, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return stepRec{}, false
	}
	return l.ring[(l.n-1)%int64(len(l.ring))], true
}
