package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/engine"
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

func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[flags]", `Serve /v1/chat/completions, /v1/completions, /v1/models, /health, /ready and /metrics.
SIGINT or SIGTERM stops accepting requests (/ready turns 503), lets in-flight
streams finish for up to --shutdown-timeout, then cancels the rest.
See docs/serving.md.`, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on (loopback only by default)")
	mf := addModelFlags(fs, "GGUF model `file` (default: the embedded kjv-tiny model)")
	modelPath := mf.path
	device := fs.String("device", "cpu", deviceUsage+" (serve defaults to cpu: the CUDA backend has not yet been run on a GPU, docs/gpu.md)")
	modelID := fs.String("model-id", "", "model `id` served by /v1/models and accepted in requests (default: the file name without .gguf)")
	ctxLen := fs.Int("ctx", 0, "context length per sequence in tokens (default: the model's training context)")
	kvBudget := fs.String("kv-budget", "", "KV cache memory: bytes (`512MiB`, 2GB, 1048576) or a share of RAM (25%) (default: room for max-seqs/4 full contexts)")
	kvType := fs.String("kv-type", "f16", "KV cache element type: f16 or q8")
	maxBatch := fs.Int("max-batch", 64, "rows (tokens of all sequences) per batched forward step")
	prefillChunk := fs.Int("prefill-chunk", 0, "most prompt tokens of one sequence per step (default: max-batch/2)")
	maxSeqs := fs.Int("max-seqs", 128, "sequences decoded concurrently")
	maxQueue := fs.Int("max-queue", 256, "requests waiting for a sequence slot; more get 429")
	apiKey := fs.String("api-key", "", "require this bearer `key` on /v1/* (also: env BITNET_API_KEY)")
	apiKeyFile := fs.String("api-key-file", "", "`file` with accepted API keys, one per line (# comments)")
	var cors stringList
	fs.Var(&cors, "cors-origin", "allow browser calls from this `origin` (scheme://host[:port] or *; repeatable; default: CORS off)")
	maxBody := fs.String("max-body", "1MiB", "largest request body (`bytes`)")
	reqTimeout := fs.Duration("request-timeout", 10*time.Minute, "longest time one request may take, queueing included (0 = none)")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "how long in-flight requests may finish after SIGTERM before they are cancelled")
	logFormat := fs.String("log-format", "text", "log format on standard error: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	otlp := fs.String("otlp-endpoint", "", "OTLP/HTTP trace collector `URL` (e.g. http://localhost:4318); empty = tracing off")
	chatTemplate := fs.String("chat-template", "", "chat template: a built-in name ("+strings.Join(chat.Names(), ", ")+") or Jinja text (default: from the model)")
	configFile := fs.String("config", "", "TOML configuration `file` (default: $BITNET_CONFIG); its values and BITNET_* variables apply where no flag is given (docs/configuration.md)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	// Configuration file and environment: flags > env > file > these flags'
	// defaults. Keys without a serve flag (generation defaults) are
	// validated but not used here; the thresholds come only from there.
	var configKeys []string
	var minGenTokS float64
	var maxTTFT time.Duration
	binds := append(mf.binds(),
		configBind{"thresholds.min_gen_tok_s", "min-gen-tok-s", func(c *config.Config) { minGenTokS = c.Thresholds.MinGenTokS }},
		configBind{"thresholds.max_ttft", "max-ttft", func(c *config.Config) { maxTTFT = c.Thresholds.MaxTTFT }},
		configBind{"runtime.device", "device", func(c *config.Config) { *device = c.Runtime.Device }},
		configBind{"server.addr", "addr", func(c *config.Config) { *addr = c.Server.Addr }},
		configBind{"server.api_keys", "api-key", func(c *config.Config) { configKeys = c.Server.APIKeys }},
		configBind{"server.api_key_file", "api-key-file", func(c *config.Config) { *apiKeyFile = c.Server.APIKeyFile }},
		configBind{"server.cors_origins", "cors-origin", func(c *config.Config) { cors = c.Server.CORSOrigins }},
		configBind{"server.max_body_bytes", "max-body", func(c *config.Config) { *maxBody = strconv.FormatInt(int64(c.Server.MaxBodyBytes), 10) }},
		configBind{"server.request_timeout", "request-timeout", func(c *config.Config) { *reqTimeout = c.Server.RequestTimeout }},
		configBind{"server.shutdown_timeout", "shutdown-timeout", func(c *config.Config) { *shutdownTimeout = c.Server.ShutdownTimeout }},
		configBind{"memory.kv_budget", "kv-budget", func(c *config.Config) { *kvBudget = c.Memory.KVBudget.String() }},
		configBind{"memory.kv_type", "kv-type", func(c *config.Config) { *kvType = c.Memory.KVType }},
		configBind{"memory.context", "ctx", func(c *config.Config) { *ctxLen = c.Memory.Context }},
		configBind{"scheduler.max_batch", "max-batch", func(c *config.Config) { *maxBatch = c.Scheduler.MaxBatch }},
		configBind{"scheduler.max_queue", "max-queue", func(c *config.Config) { *maxQueue = c.Scheduler.MaxQueue }},
		configBind{"scheduler.prefill_chunk", "prefill-chunk", func(c *config.Config) { *prefillChunk = c.Scheduler.PrefillChunk }},
		configBind{"telemetry.log_format", "log-format", func(c *config.Config) { *logFormat = c.Telemetry.LogFormat }},
		configBind{"telemetry.log_level", "log-level", func(c *config.Config) { *logLevel = c.Telemetry.LogLevel }},
		configBind{"telemetry.otlp_endpoint", "otlp-endpoint", func(c *config.Config) { *otlp = c.Telemetry.OTLPEndpoint }},
	)
	if err := applyConfig(fs, *configFile, binds...); err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q (serve takes only flags)", pos)
	}
	if *ctxLen < 0 {
		return usagef("--ctx %d: want >= 0", *ctxLen)
	}
	for name, v := range map[string]int{"--max-batch": *maxBatch, "--max-seqs": *maxSeqs, "--max-queue": *maxQueue} {
		if v < 1 {
			return usagef("%s %d: want at least 1", name, v)
		}
	}
	if *prefillChunk < 0 {
		return usagef("--prefill-chunk %d: want >= 0", *prefillChunk)
	}
	kt, err := kvcache.ParseType(*kvType)
	if err != nil {
		return usagef("--kv-type %q: want f16 or q8", *kvType)
	}
	var budget int64
	if *kvBudget != "" {
		if budget, err = parseBudget(*kvBudget); err != nil {
			return usagef("--kv-budget: %v", err)
		}
	}
	bodyLimit, err := parseBytes(*maxBody)
	if err != nil || bodyLimit < 1 {
		return usagef("--max-body %q: want a size in bytes such as 1MiB", *maxBody)
	}
	if *reqTimeout < 0 || *shutdownTimeout < 0 {
		return usagef("timeouts must not be negative")
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usagef("--addr %q: want host:port", *addr)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	case "json":
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	default:
		return usagef("--log-format %q: want text or json", *logFormat)
	}
	logger := slog.New(handler)
	keys, err := apiKeys(*apiKey, os.Getenv("BITNET_API_KEY"), *apiKeyFile)
	if err != nil {
		return err
	}
	keys = append(keys, configKeys...)
	for _, o := range cors {
		if o != "*" && !strings.Contains(o, "://") {
			return usagef("--cors-origin %q: want * or scheme://host[:port]", o)
		}
	}

	ctx, stop := serveContext()
	defer stop()

	t0 := time.Now()
	l, err := mf.load("", true)
	if err != nil {
		return err
	}
	defer l.Close()
	loadTime := time.Since(t0)
	if *ctxLen > l.model.Config.SeqLen {
		return usagef("--ctx %d: want 1..%d (the model's training context)", *ctxLen, l.model.Config.SeqLen)
	}
	id := *modelID
	if id == "" {
		id = "kjv-tiny"
		if *modelPath != "" {
			id = strings.TrimSuffix(filepath.Base(*modelPath), ".gguf")
		}
	}
	src, _ := l.file.String("tokenizer.chat_template")
	tmpl, err := chat.Select(*chatTemplate, src, l.tok)
	if err != nil {
		return fmt.Errorf("chat template: %w", err)
	}
	ecfg := engine.Config{MaxBatch: *maxBatch, PrefillChunk: *prefillChunk, MaxSeqs: *maxSeqs,
		MaxQueue: *maxQueue, Context: *ctxLen, KVBudget: budget, KVType: kt}
	deviceName, closeDevice, err := engineDevice(&ecfg, l, *device, *mf.head, stderr)
	if err != nil {
		return err
	}
	defer closeDevice()
	eng, err := engine.New(l.model, l.tok, ecfg)
	if err != nil {
		return err
	}
	defer eng.Close()

	cfg := server.Config{Engine: eng, Tokenizer: l.tok, Template: tmpl, ModelID: id, APIKeys: keys, CORSOrigins: cors,
		MaxBodyBytes: bodyLimit, RequestTimeout: *reqTimeout, MinGenTokS: minGenTokS, MaxTTFT: maxTTFT, Logger: logger, Version: version, ModelLoadTime: loadTime, KVType: *kvType}
	if *otlp != "" {
		tp, err := server.NewOTLPTracerProvider(ctx, *otlp, version)
		if err != nil {
			return err
		}
		defer func() {
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(fctx)
		}()
		cfg.TracerProvider = tp
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := srv.NewHTTPServer(*addr)
	ec := eng.Config()
	pc := eng.KVPool().Config()
	logger.Info("serving", "addr", "http://"+ln.Addr().String(), "model", id, "file", l.file.Name, "load_time", loadTime.Round(time.Millisecond),
		"device", deviceName, "threads", l.model.Threads(), "context", ec.Context, "max_batch", ec.MaxBatch, "max_seqs", ec.MaxSeqs, "max_queue", ec.MaxQueue,
		"kv_type", *kvType, "kv_blocks", pc.Blocks, "kv_bytes", int64(pc.Blocks)*pc.BlockBytes(), "chat_template", tmpl.Name(),
		"auth", len(keys) > 0, "cors", len(cors) > 0, "tracing", *otlp != "")
	if host, _, _ := net.SplitHostPort(*addr); len(keys) == 0 && !isLoopbackHost(host) {
		logger.Warn("listening beyond loopback without an API key: anyone who can reach this address can use the model", "addr", *addr)
	}
	serveListening(ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	logger.Info("signal received: draining", "shutdown_timeout", *shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx, hs); err != nil {
		logger.Warn("in-flight requests were cancelled at the shutdown timeout", "err", err)
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

// apiKeys gathers the accepted keys from the flag, the environment and a
// file (one key per line; blank lines and # comments skipped).
func apiKeys(flagKey, envKey, file string) ([]string, error) {
	var keys []string
	for _, k := range []string{flagKey, envKey} {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--api-key-file: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			keys = append(keys, line)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("--api-key-file: %w", err)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("--api-key-file %s holds no key", file)
		}
	}
	return keys, nil
}

// parseBytes reads a size: a plain number of bytes or a number with a
// unit (B, KB/MB/GB/TB in powers of 1000, KiB/MiB/GiB/TiB in powers of 1024;
// K, M, G, T alone mean the binary units).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512MiB, 2GB or 1048576)", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KB, MB, GB, KiB, MiB, GiB …)", s, unit)
	}
	return int64(v * mult), nil
}

// parseBudget reads a byte size or a percentage of physical memory.
func parseBudget(s string) (int64, error) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		pct, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || pct <= 0 || pct > 100 {
			return 0, fmt.Errorf("%q: want a percentage in (0, 100]", s)
		}
		total, err := totalRAM()
		if err != nil {
			return 0, fmt.Errorf("%q: %v; give the budget in bytes", s, err)
		}
		return int64(float64(total) * pct / 100), nil
	}
	n, err := parseBytes(s)
	if err == nil && n < 1 {
		err = fmt.Errorf("%q: want more than 0 bytes", s)
	}
	return n, err
}

// totalRAM reads MemTotal from /proc/meminfo.
func totalRAM() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("cannot read the machine's memory size: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) >= 1 {
				kb, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return kb << 10, nil
				}
			}
		}
	}
	return 0, errors.New("MemTotal missing from /proc/meminfo")
}
