package config

import (
	"time"
)

// Config is the whole configuration of a bitnet process: one typed tree,
// one field per key. The zero value is not useful; start from Default, a
// Preset, or Load. Every field's comment gives its key; docs/configuration.md
// lists each key with its environment variable, flag and default.
type Config struct {
	Model      Model      // [model]
	Runtime    Runtime    // [runtime]
	Generation Generation // [generation]
	Server     Server     // [server]
	Memory     Memory     // [memory]
	Scheduler  Scheduler  // [scheduler]
	Thresholds Thresholds // [thresholds]
	Telemetry  Telemetry  // [telemetry]
}

// Model says which model to run and how to hold its head.
type Model struct {
	Path string // model.path: GGUF file; "" = the embedded kjv-tiny model
	Head string // model.head: "f16" (the head as stored) or "q8" (int8 at load)
}

// Runtime says where and how the forward pass runs.
type Runtime struct {
	Threads int    // runtime.threads: worker threads; 0 = one per CPU Go may use
	Device  string // runtime.device: "cpu", "auto", "cuda" or "cuda:N"
	Kernels string // runtime.kernels: "auto", "generic", "avx2", "avx512vnni" or "neon"
}

// Generation holds the sampling defaults that a request may override.
type Generation struct {
	MaxTokens     int      // generation.max_tokens: tokens to generate; -1 = until the context is full
	Temperature   float64  // generation.temperature: 0 = greedy
	TopK          int      // generation.top_k: 0 = off
	TopP          float64  // generation.top_p: in (0, 1]; 1 = off
	MinP          float64  // generation.min_p: in [0, 1]; 0 = off
	RepeatPenalty float64  // generation.repeat_penalty: > 0; 1 = off
	Seed          int64    // generation.seed: -1 = random
	Stop          []string // generation.stop: stop strings
}

// Server configures `bitnet serve`'s HTTP listener.
type Server struct {
	Addr            string        // server.addr: host:port to listen on
	APIKeys         []string      // server.api_keys: accepted bearer keys (secret); empty = no auth
	APIKeyFile      string        // server.api_key_file: file with one key per line; "" = none
	CORSOrigins     []string      // server.cors_origins: allowed origins ("*" or scheme://host[:port]); empty = CORS off
	MaxBodyBytes    ByteSize      // server.max_body_bytes: largest request body
	RequestTimeout  time.Duration // server.request_timeout: per request; 0 = none
	ShutdownTimeout time.Duration // server.shutdown_timeout: drain time on SIGTERM before cancelling
}

// Memory bounds the KV cache.
type Memory struct {
	KVBudget KVBudget // memory.kv_budget: "auto", bytes ("2GiB") or share of RAM ("50%") for all KV blocks
	KVType   string   // memory.kv_type: "f16" or "q8"
	Context  int      // memory.context: tokens per sequence; 0 = the model's training context
}

// Scheduler bounds the continuous-batching loop of `bitnet serve`.
type Scheduler struct {
	MaxBatch     int // scheduler.max_batch: rows (tokens of all sequences) per forward step
	MaxSeqs      int // scheduler.max_seqs: sequences decoded concurrently
	MaxQueue     int // scheduler.max_queue: requests waiting for a sequence slot; more get 429
	PrefillChunk int // scheduler.prefill_chunk: most prompt tokens of one sequence per step; 0 = max_batch/2
}

// Thresholds are performance levels below which the server logs a warning
// (and `doctor` reports one). Zero switches a threshold off.
type Thresholds struct {
	MinGenTokS float64       // thresholds.min_gen_tok_s: generation tokens per second per sequence
	MaxTTFT    time.Duration // thresholds.max_ttft: time to first token
}

// Telemetry configures logs, metrics and traces.
type Telemetry struct {
	LogFormat    string // telemetry.log_format: "text" or "json"
	LogLevel     string // telemetry.log_level: "debug", "info", "warn" or "error"
	Metrics      bool   // telemetry.metrics: serve Prometheus metrics at /metrics
	OTLPEndpoint string // telemetry.otlp_endpoint: OTLP/HTTP collector URL; "" = tracing off
}

// Default returns the built-in defaults, the lowest layer of every Load.
// They are the values the commands and the engine use when nothing is set:
// the scheduler's are engine.Config's, the KV budget "auto" is the engine's
// sizing (room for max_seqs/4 full contexts), and the device is the CPU
// until the CUDA backend has been checked on a GPU (docs/gpu.md).
func Default() *Config {
	return &Config{
		Model:   Model{Path: "", Head: "f16"},
		Runtime: Runtime{Threads: 0, Device: "cpu", Kernels: "auto"},
		Generation: Generation{
			MaxTokens: 128, Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05,
			RepeatPenalty: 1, Seed: -1, Stop: []string{},
		},
		Server: Server{
			Addr: "127.0.0.1:8080", APIKeys: []string{}, CORSOrigins: []string{},
			MaxBodyBytes: 1 << 20, RequestTimeout: 10 * time.Minute, ShutdownTimeout: 30 * time.Second,
		},
		Memory:     Memory{KVBudget: KVBudget{}, KVType: "f16", Context: 0},
		Scheduler:  Scheduler{MaxBatch: 64, MaxSeqs: 128, MaxQueue: 256, PrefillChunk: 0},
		Thresholds: Thresholds{MinGenTokS: 0, MaxTTFT: 0},
		Telemetry:  Telemetry{LogFormat: "text", LogLevel: "info", Metrics: true, OTLPEndpoint: ""},
	}
}

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	d := *c
	d.Generation.Stop = append([]string{}, c.Generation.Stop...)
	d.Server.APIKeys = append([]string{}, c.Server.APIKeys...)
	d.Server.CORSOrigins = append([]string{}, c.Server.CORSOrigins...)
	return &d
}
