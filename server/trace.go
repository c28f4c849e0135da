package server

import (
	"context"
	"fmt"
	"strings"

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
