package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxBody           = 1 << 20 // 1 MiB
	DefaultWriteTimeout      = 30 * time.Second
	DefaultCompletionTokens  = 16 // /v1/completions without max_tokens (OpenAI's default)
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// Config wires a Server to its engine and sets its limits. Engine and
// Tokenizer are required; every other zero field takes a default.
type Config struct {
	Engine    *engine.Engine
	Tokenizer *tokenizer.Tokenizer
	// Template renders chat messages (nil: chat.Detect without a template
	// source, which picks the format from the vocabulary).
	Template *chat.Template
	// ModelID is the id served by /v1/models; requests must name it or
	// leave "model" empty. Default "bitnet".
	ModelID string
	// APIKeys, when not empty, are the accepted bearer tokens for /v1/*.
	APIKeys []string
	// CORSOrigins lists the origins allowed to call the API from a browser
	// ("*" for any); empty leaves CORS off (no CORS headers at all).
	CORSOrigins []string
	// MaxBodyBytes bounds a request body (default DefaultMaxBody).
	MaxBodyBytes int64
	// RequestTimeout bounds one generation request, queueing included;
	// 0 means no limit besides the client's own.
	RequestTimeout time.Duration
	// WriteTimeout bounds each write to a client (default
	// DefaultWriteTimeout): a client that stops reading is dropped and its
	// sequence freed.
	WriteTimeout time.Duration
	// DefaultMaxTokens caps chat completions that give no max_tokens
	// (0: the rest of the context).
	DefaultMaxTokens int
	// MinGenTokS and MaxTTFT are the performance thresholds of the
	// configuration (thresholds.min_gen_tok_s, thresholds.max_ttft): a
	// request that decodes slower, or waits longer for its first token, is
	// logged as a warning and counted in bitnet_threshold_violations_total.
	// Zero disables each.
	MinGenTokS float64
	MaxTTFT    time.Duration
	// Logger receives one line per request and errors (default slog.Default()).
	Logger *slog.Logger
	// TracerProvider makes the request, queue, prefill and decode spans
	// (default: a no-op provider, tracing off).
	TracerProvider trace.TracerProvider
	// Version and ModelLoadTime feed bitnet_build_info and
	// bitnet_model_load_seconds.
	Version       string
	ModelLoadTime time.Duration
	// KVType names the KV cache type for bitnet_build_info ("f16", "q8").
	KVType string
}

// Server is the OpenAI-compatible HTTP front end of an engine.
type Server struct {
	cfg     Config
	eng     *engine.Engine
	tok     *tokenizer.Tokenizer
	tmpl    *chat.Template
	keys    [][sha256.Size]byte
	tracer  trace.Tracer
	prop    propagation.TextMapPropagator
	metrics *metrics
	handler http.Handler
	created int64

	draining atomic.Bool
	inflight sync.WaitGroup
	mu       sync.Mutex // guards closing the inflight group against Add
	closing  bool
}

// New makes a Server on cfg.Engine. The server only calls the engine's
// Submit, Stats, Config, Drain and Close; it changes nothing on it.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Tokenizer == nil {
		return nil, errors.New("server: Config.Engine and Config.Tokenizer are required")
	}
	if cfg.ModelID == "" {
		cfg.ModelID = "bitnet"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = noop.NewTracerProvider()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	for _, o := range cfg.CORSOrigins {
		if o != "*" && !strings.Contains(o, "://") {
			return nil, fmt.Errorf("server: CORS origin %q: want \"*\" or scheme://host[:port]", o)
		}
	}
	tmpl := cfg.Template
	if tmpl == nil {
		var err error
		if tmpl, err = chat.Detect("", cfg.Tokenizer); err != nil {
			return nil, fmt.Errorf("server: chat template: %w", err)
		}
	}
	s := &Server{cfg: cfg, eng: cfg.Engine, tok: cfg.Tokenizer, tmpl: tmpl,
		tracer:  cfg.TracerProvider.Tracer("github.com/bitnet-go/bitnet/server"),
		prop:    propagation.TraceContext{},
		created: time.Now().Unix(),
	}
	for _, k := range cfg.APIKeys {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		s.keys = append(s.keys, sha256.Sum256([]byte(k)))
	}
	s.metrics = newMetrics(s)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/completions", s.handleCompletion)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{id}", s.handleModel)
	mux.HandleFunc("GET /health", s.handleHealth)
	mux.HandleFunc("GET /ready", s.handleReady)
	mux.Handle("GET /metrics", s.metrics.handler())
	for _, p := range []string{"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/ready", "/metrics"} {
		mux.HandleFunc(p, methodNotAllowed)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
			Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)})
	})
	s.handler = s.observe(s.cors(s.auth(mux)))
	return s, nil
}

// Handler returns the HTTP handler serving every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the handler of /metrics (for serving it on another port).
func (s *Server) Metrics() http.Handler { return s.metrics.handler() }

// ModelID is the served model id.
func (s *Server) ModelID() string { return s.cfg.ModelID }

// Ready reports whether the server accepts generation requests.
func (s *Server) Ready() bool { return !s.draining.Load() }

// NewHTTPServer returns an http.Server for s with the timeouts a public
// listener needs: ReadHeaderTimeout against slow-header clients, an idle
// timeout for keep-alive connections, and no WriteTimeout (streams set a
// deadline per write instead).
func (s *Server) NewHTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       time.Minute,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// Shutdown stops hs gracefully: /ready turns 503 and new generation
// requests are refused; hs.Shutdown stops listening and waits for the
// in-flight requests (streams included) until ctx ends; then the engine
// drains: with ctx still live it waits for what remains, otherwise it
// cancels the rest at once, their streams ending with an error event.
// Finally the remaining connections are closed. The engine is closed when
// Shutdown returns. It returns ctx's error when requests had to be cut.
func (s *Server) Shutdown(ctx context.Context, hs *http.Server) error {
	s.draining.Store(true)
	s.cfg.Logger.Info("shutting down: draining in-flight requests")
	var firstErr error
	if hs != nil {
		hs.SetKeepAlivesEnabled(false)
		if err := hs.Shutdown(ctx); err != nil {
			firstErr = err
		}
	}
	if err := s.eng.Drain(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	s.eng.Close()
	// The engine has ended every request, so the handlers return promptly.
	done := make(chan struct{})
	go func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cfg.Logger.Warn("handlers still running after the engine closed")
	}
	if hs != nil {
		_ = hs.Close()
	}
	if firstErr != nil {
		s.cfg.Logger.Warn("shutdown cut in-flight requests", "err", firstErr)
	} else {
		s.cfg.Logger.Info("shutdown complete")
	}
	return firstErr
}

// enter registers an in-flight generation; it fails once shutdown began.
func (s *Server) enter() bool {
	if s.draining.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	allow := "GET"
	if strings.HasSuffix(r.URL.Path, "completions") {
		allow = "POST"
	}
	w.Header().Set("Allow", allow)
	writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Code: "method_not_allowed",
		Message: fmt.Sprintf("%s %s is not allowed; use %s", r.Method, r.URL.Path, allow)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "model": s.cfg.ModelID})
}

func (s *Server) modelObject() modelObject {
	return modelObject{ID: s.cfg.ModelID, Object: "model", Created: s.created, OwnedBy: "bitnet"}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, modelList{Object: "list", Data: []modelObject{s.modelObject()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != s.cfg.ModelID {
		writeError(w, r, modelNotFound(id))
		return
	}
	writeJSON(w, http.StatusOK, s.modelObject())
}

func modelNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Param: "model",
		Message: fmt.Sprintf("The model '%s' does not exist", id)}
}

// Middleware.

type ctxKey struct{}

// requestInfo travels in a request's context: its id, a logger carrying
// the id, and what the handler learned for the access log.
type requestInfo struct {
	id       string
	logger   *slog.Logger
	mu       sync.Mutex
	status   int
	attrs    []slog.Attr
	endpoint string
}

func (i *requestInfo) setStatus(code int) {
	i.mu.Lock()
	i.status = code
	i.mu.Unlock()
}

func (i *requestInfo) add(attrs ...slog.Attr) {
	i.mu.Lock()
	i.attrs = append(i.attrs, attrs...)
	i.mu.Unlock()
}

var fallbackInfo = &requestInfo{id: "-", logger: slog.New(slog.DiscardHandler)}

func infoFrom(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return i
	}
	return fallbackInfo
}

// RequestID returns the request id of a context made by the server's
// handler ("" outside one).
func RequestID(ctx context.Context) string {
	if i, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return i.id
	}
	return ""
}

// statusWriter records the status for logs and metrics. Unwrap lets
// http.ResponseController reach the connection (Flush, SetWriteDeadline).
type statusWriter struct {
	http.ResponseWriter
	info    *requestInfo
	wrote   bool
	written int64
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.info.setStatus(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// validRequestID accepts client-supplied ids that are safe to log and echo.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var knownEndpoints = []string{"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/ready", "/metrics"}

func endpointLabel(path string) string {
	if slices.Contains(knownEndpoints, path) {
		return path
	}
	if strings.HasPrefix(path, "/v1/models/") {
		return "/v1/models/{id}"
	}
	return "other"
}

// observe is the outer middleware: request id, the request span, access
// log and request metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newID()
		}
		w.Header().Set("X-Request-Id", id)
		endpoint := endpointLabel(r.URL.Path)
		info := &requestInfo{id: id, endpoint: endpoint, logger: s.cfg.Logger.With("request_id", id)}
		ctx := context.WithValue(r.Context(), ctxKey{}, info)
		ctx = s.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, span := s.tracer.Start(ctx, r.Method+" "+endpoint, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attrString("http.request.method", r.Method), attrString("url.path", r.URL.Path),
				attrString("bitnet.request_id", id)))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w, info: info}
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()

		defer func() {
			// net/http recovers panics too, but then the log line and
			// metrics would be lost.
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				buf := make([]byte, 8<<10)
				buf = buf[:runtime.Stack(buf, false)]
				info.logger.Error("handler panic", "panic", fmt.Sprint(p), "stack", string(buf))
				if !sw.wrote {
					writeError(sw, r.WithContext(ctx), fmt.Errorf("panic: %v", p))
				}
			}
			info.mu.Lock()
			status, attrs := info.status, info.attrs
			info.mu.Unlock()
			if status == 0 {
				status = http.StatusOK
				if r.Context().Err() != nil {
					status = statusClientClosed
				}
			}
			dur := time.Since(start)
			s.metrics.request(endpoint, status, dur)
			span.SetAttributes(attrInt("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codesError, fmt.Sprintf("status %d", status))
			}
			lvl := slog.LevelInfo
			if endpoint == "/metrics" || endpoint == "/health" || endpoint == "/ready" {
				lvl = slog.LevelDebug
			}
			base := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Duration("duration", dur), slog.String("remote", r.RemoteAddr)}
			info.logger.LogAttrs(ctx, lvl, "request", append(base, attrs...)...)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// auth checks the bearer token on /v1/* when API keys are configured.
// Every configured key is compared, in constant time, on hashes of equal
// length, so neither the key length nor which key matched leaks.
func (s *Server) auth(next http.Handler) http.Handler {
	if len(s.keys) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			writeError(w, r, &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
				Message: "missing API key: send it as 'Authorization: Bearer KEY'"})
			return
		}
		h := sha256.Sum256([]byte(got))
		match := 0
		for _, k := range s.keys {
			match |= subtle.ConstantTimeCompare(h[:], k[:])
		}
		if match != 1 {
			writeError(w, r, &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
				Message: "incorrect API key provided"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearer(h string) (string, bool) {
	const p = "bearer "
	if len(h) < len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	t := strings.TrimSpace(h[len(p):])
	return t, t != ""
}

// cors answers preflight requests and sets Access-Control-Allow-Origin
// for allowed origins; with no origins configured it does nothing.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return next
	}
	any := slices.Contains(s.cfg.CORSOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := origin != "" && (any || slices.Contains(s.cfg.CORSOrigins, origin))
		if allowed {
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
				h.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
