package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/internal/sysinfo"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/server"
)

func init() {
	register(command{"serve", "serve an OpenAI-compatible HTTP API with continuous batching", cmdServe})
}

// Hooks for tests: the context that ends the server (SIGINT/SIGTERM by
// default) and a callback with the listening address.
var (
	serveContext = func() (context.Context, context.CancelFunc) {
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	serveListening = func(addr string) {}
)

// serveKeys are the configuration keys serve reads.
var serveKeys = []string{"runtime.device",
	"server.addr", "server.api_keys", "server.api_key_file", "server.cors_origins", "server.max_body_bytes", "server.request_timeout", "server.shutdown_timeout",
	"memory.kv_budget", "memory.kv_type", "memory.context",
	"scheduler.max_batch", "scheduler.max_seqs", "scheduler.max_queue", "scheduler.prefill_chunk",
	"thresholds.min_gen_tok_s", "thresholds.max_ttft",
	"telemetry.log_format", "telemetry.log_level", "telemetry.metrics", "telemetry.otlp_endpoint"}

var serveDef = cmdDef{"serve", "[flags]", `Serve /v1/chat/completions, /v1/completions, /v1/models, /health, /ready and /metrics.
SIGINT or SIGTERM stops accepting requests (/ready turns 503), lets in-flight
streams finish for up to --shutdown-timeout, then cancels the rest.
See docs/serving.md; "bitnet config show --for serve [flags]" prints what serve would use.`}

// serveFlags are serve's flags: the configuration's and its own.
type serveFlags struct {
	modelCmd
	modelID      *string
	chatTemplate *string
}

func declareServe(fs *flag.FlagSet) *serveFlags {
	return &serveFlags{
		modelCmd:     bindModel(fs, "serve", nil, serveKeys...),
		modelID:      fs.String("model-id", "", "model `id` served by /v1/models and accepted in requests (default: the file name without .gguf)"),
		chatTemplate: fs.String("chat-template", "", "chat template: a built-in name ("+strings.Join(chat.Names(), ", ")+") or Jinja text (default: from the model)"),
	}
}

func init() { registerConfigured("serve", declareServe) }

// serveSetup is everything serve runs with, mapped from one configuration
// by serveConfigs. engine and server lack what only the loaded model gives
// (the model, its tokenizer and template, the device's stepper).
type serveSetup struct {
	model        modelSetup
	device       string // runtime.device
	engine       engine.Config
	server       server.Config
	addr         string
	shutdown     time.Duration // server.shutdown_timeout
	metrics      bool          // telemetry.metrics
	otlp         string        // telemetry.otlp_endpoint
	chatTemplate string
}

// serveConfigs maps serve's configuration and flags to what it runs with:
// the engine's and the server's configuration and the rest. Logs go to
// stderr. It reads the API key file.
func serveConfigs(c *config.Config, f *serveFlags, stderr io.Writer) (serveSetup, error) {
	kt, err := kvcache.ParseType(c.Memory.KVType)
	if err != nil {
		return serveSetup{}, usagef("memory.kv_type: %v", err)
	}
	budget, err := kvBudgetBytes(c.Memory.KVBudget)
	if err != nil {
		return serveSetup{}, err
	}
	keys, err := apiKeys(c.Server.APIKeys, c.Server.APIKeyFile)
	if err != nil {
		return serveSetup{}, err
	}
	id := *f.modelID
	if id == "" {
		id = "kjv-tiny"
		if c.Model.Path != "" {
			id = strings.TrimSuffix(filepath.Base(c.Model.Path), ".gguf")
		}
	}
	s := serveSetup{
		model: f.model(c), device: c.Runtime.Device, addr: c.Server.Addr, shutdown: c.Server.ShutdownTimeout,
		metrics: c.Telemetry.Metrics, otlp: c.Telemetry.OTLPEndpoint, chatTemplate: *f.chatTemplate,
		engine: engine.Config{MaxBatch: c.Scheduler.MaxBatch, PrefillChunk: c.Scheduler.PrefillChunk, MaxSeqs: c.Scheduler.MaxSeqs,
			MaxQueue: c.Scheduler.MaxQueue, Context: c.Memory.Context, KVBudget: budget, KVType: kt},
		server: server.Config{ModelID: id, APIKeys: keys, CORSOrigins: c.Server.CORSOrigins, MaxBodyBytes: int64(c.Server.MaxBodyBytes),
			RequestTimeout: c.Server.RequestTimeout, MinGenTokS: c.Thresholds.MinGenTokS, MaxTTFT: c.Thresholds.MaxTTFT,
			Logger: newLogger(c.Telemetry, stderr), Version: version, KVType: kt.String()},
	}
	return s, nil
}

// kvBudgetBytes resolves memory.kv_budget: 0 for auto (the engine's
// sizing), a share of the physical RAM (internal/sysinfo), or bytes.
func kvBudgetBytes(k config.KVBudget) (int64, error) {
	if k.Percent == 0 {
		return int64(k.Bytes), nil
	}
	ram := sysinfo.RAM()
	if ram.Total == 0 {
		return 0, fmt.Errorf("memory.kv_budget %s: the machine's memory size is unknown (%s); give the budget in bytes", k, ram.Reason)
	}
	return k.Resolve(ram.Total), nil
}

// newLogger makes the logger telemetry.log_format and log_level ask for
// (both checked by config).
func newLogger(t config.Telemetry, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(t.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if t.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdServe(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(serveDef, declareServe, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q (serve takes only flags)", pos)
	}
	s, err := serveConfigs(c, f, stderr)
	if err != nil {
		return err
	}
	ctx, stop := serveContext()
	defer stop()
	rt, err := openServe(ctx, &s, stderr)
	if err != nil {
		return err
	}
	defer rt.close()
	return rt.serve(ctx, stop, s)
}

// serving is a started server: what serve closes when it ends.
type serving struct {
	srv     *server.Server
	hs      *http.Server
	ln      net.Listener
	logger  *slog.Logger
	closers []func()
}

func (r *serving) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// openServe loads the model, starts the engine and the server of s and
// listens on s.addr. On error it releases what it started.
func openServe(ctx context.Context, s *serveSetup, stderr io.Writer) (_ *serving, err error) {
	rt := &serving{logger: s.server.Logger}
	defer func() {
		if err != nil {
			rt.close()
		}
	}()
	t0 := time.Now()
	l, err := s.model.load("", true)
	if err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, l.Close)
	s.server.ModelLoadTime = time.Since(t0)
	if s.engine.Context > l.model.Config.SeqLen {
		return nil, usagef("memory.context (--ctx) %d: want 0..%d (the model's training context)", s.engine.Context, l.model.Config.SeqLen)
	}
	src, _ := l.file.String("tokenizer.chat_template")
	if s.server.Template, err = chat.Select(s.chatTemplate, src, l.tok); err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	deviceName, closeDevice, err := engineDevice(&s.engine, l, s.device, s.model.head, stderr)
	if err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, closeDevice)
	eng, err := engine.New(l.model, l.tok, s.engine)
	if err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, func() { eng.Close() })
	s.server.Engine, s.server.Tokenizer = eng, l.tok
	if err := startTracing(ctx, rt, s); err != nil {
		return nil, err
	}
	if rt.srv, err = server.New(s.server); err != nil {
		return nil, err
	}
	if rt.ln, err = net.Listen("tcp", s.addr); err != nil {
		return nil, err
	}
	rt.hs = rt.srv.NewHTTPServer(s.addr)
	if !s.metrics {
		rt.hs.Handler = withoutMetrics(rt.hs.Handler)
	}
	logServing(rt, s, l, eng, deviceName)
	return rt, nil
}

// startTracing sets the server's tracer provider when
// telemetry.otlp_endpoint names a collector.
func startTracing(ctx context.Context, rt *serving, s *serveSetup) error {
	if s.otlp == "" {
		return nil
	}
	tp, err := server.NewOTLPTracerProvider(ctx, s.otlp, version)
	if err != nil {
		return err
	}
	rt.closers = append(rt.closers, func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(fctx)
	})
	s.server.TracerProvider = tp
	return nil
}

// withoutMetrics answers 404 on /metrics (telemetry.metrics = false).
func withoutMetrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// logServing logs the settings serve runs with, and warns about an open
// address without API keys.
func logServing(rt *serving, s *serveSetup, l *loaded, eng *engine.Engine, deviceName string) {
	ec := eng.Config()
	pc := eng.KVPool().Config()
	sc := s.server
	rt.logger.Info("serving", "addr", "http://"+rt.ln.Addr().String(), "model", sc.ModelID, "file", l.file.Name, "load_time", sc.ModelLoadTime.Round(time.Millisecond),
		"device", deviceName, "threads", l.model.Threads(), "context", ec.Context, "max_batch", ec.MaxBatch, "max_seqs", ec.MaxSeqs, "max_queue", ec.MaxQueue,
		"prefill_chunk", ec.PrefillChunk, "kv_type", sc.KVType, "kv_blocks", pc.Blocks, "kv_bytes", int64(pc.Blocks)*pc.BlockBytes(), "chat_template", sc.Template.Name(),
		"auth", len(sc.APIKeys) > 0, "cors", len(sc.CORSOrigins) > 0, "tracing", s.otlp != "", "metrics", s.metrics)
	if host, _, _ := net.SplitHostPort(s.addr); len(sc.APIKeys) == 0 && !isLoopbackHost(host) {
		rt.logger.Warn("listening beyond loopback without an API key: anyone who can reach this address can use the model", "addr", s.addr)
	}
}

// serve serves until the listener fails or ctx ends; then it drains for
// up to s.shutdown.
func (r *serving) serve(ctx context.Context, stop context.CancelFunc, s serveSetup) error {
	serveListening(r.ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- r.hs.Serve(r.ln) }()
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	r.logger.Info("signal received: draining", "shutdown_timeout", s.shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), s.shutdown)
	defer cancel()
	if err := r.srv.Shutdown(sctx, r.hs); err != nil {
		r.logger.Warn("in-flight requests were cancelled at the shutdown timeout", "err", err)
	}
	<-served
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// apiKeys gathers the accepted keys: those of server.api_keys and those of
// server.api_key_file (one key per line; blank lines and # comments
// skipped).
func apiKeys(keys []string, file string) ([]string, error) {
	keys = append([]string{}, keys...)
	if file == "" {
		return keys, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("server.api_key_file (--api-key-file): %w", err)
	}
	defer f.Close()
	n := len(keys)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keys = append(keys, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("server.api_key_file (--api-key-file): %w", err)
	}
	if len(keys) == n {
		return nil, fmt.Errorf("server.api_key_file (--api-key-file) %s holds no key", file)
	}
	return keys, nil
}
