package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// field describes one configuration key: where its value lives in Config,
// how to check it, and how people find it (help, flag).
type field struct {
	key    string            // "server.addr"
	flag   string            // standard command-line flag name, "" = none (use --set)
	help   string            // one line, for docs, `config init` and flag usage
	ptr    func(*Config) any // the field: *string, *int, *int64, *float64, *bool, *[]string, *time.Duration, *ByteSize, *KVBudget
	check  func(v any) error // optional check of the typed value
	alias  []string          // further environment variables, e.g. BITNET_KERNELS
	secret bool              // hidden by `config show`
}

// fields lists every key in file order. TestFieldsCoverConfig checks that it
// covers every leaf of Config exactly once.
var fields = []field{
	{key: "model.path", flag: "m", help: "GGUF model file; empty = the embedded kjv-tiny model",
		ptr: func(c *Config) any { return &c.Model.Path }},
	{key: "model.head", flag: "head", help: "output head: f16 (as stored) or q8 (quantized to int8 at load, faster, slightly less exact)",
		ptr: func(c *Config) any { return &c.Model.Head }, check: oneOf("f16", "q8")},

	{key: "runtime.threads", flag: "threads", help: "worker threads; 0 = one per CPU Go may use",
		ptr: func(c *Config) any { return &c.Runtime.Threads }, check: intRange(0, 4096)},
	{key: "runtime.device", flag: "device", help: "where the forward pass runs: cpu, auto (CUDA when usable, else the CPU), cuda or cuda:N",
		ptr: func(c *Config) any { return &c.Runtime.Device }, check: checkDevice},
	{key: "runtime.kernels", flag: "kernels", help: "CPU kernel set: auto (best the CPU supports), generic (pure Go), avx2, avx512vnni or neon",
		ptr: func(c *Config) any { return &c.Runtime.Kernels }, check: oneOf("auto", "generic", "avx2", "avx512vnni", "neon"),
		alias: []string{"BITNET_KERNELS"}},

	{key: "generation.max_tokens", flag: "n", help: "tokens to generate; -1 = until the context is full",
		ptr: func(c *Config) any { return &c.Generation.MaxTokens }, check: intRange(-1, math.MaxInt32)},
	{key: "generation.temperature", flag: "temp", help: "sampling temperature; 0 = greedy",
		ptr: func(c *Config) any { return &c.Generation.Temperature }, check: floatRange(0, 100, true, true)},
	{key: "generation.top_k", flag: "top-k", help: "keep the k most likely tokens; 0 = off",
		ptr: func(c *Config) any { return &c.Generation.TopK }, check: intRange(0, math.MaxInt32)},
	{key: "generation.top_p", flag: "top-p", help: "nucleus sampling mass in (0, 1]; 1 = off",
		ptr: func(c *Config) any { return &c.Generation.TopP }, check: floatRange(0, 1, false, true)},
	{key: "generation.min_p", flag: "min-p", help: "drop tokens below min_p × the top probability, in [0, 1]; 0 = off",
		ptr: func(c *Config) any { return &c.Generation.MinP }, check: floatRange(0, 1, true, true)},
	{key: "generation.repeat_penalty", flag: "repeat-penalty", help: "repetition penalty, > 0; 1 = off",
		ptr: func(c *Config) any { return &c.Generation.RepeatPenalty }, check: floatRange(0, 100, false, true)},
	{key: "generation.seed", flag: "seed", help: "random seed; -1 = a new one per request",
		ptr: func(c *Config) any { return &c.Generation.Seed }, check: int64Min(-1)},
	{key: "generation.stop", flag: "stop", help: "stop strings; the output ends before the first one",
		ptr: func(c *Config) any { return &c.Generation.Stop }, check: nonEmptyItems},

	{key: "server.addr", flag: "addr", help: "`host:port` that bitnet serve listens on",
		ptr: func(c *Config) any { return &c.Server.Addr }, check: checkAddr},
	{key: "server.api_keys", flag: "api-key", help: "accepted API keys (Authorization: Bearer KEY), besides those of api_key_file; none = no authentication",
		ptr: func(c *Config) any { return &c.Server.APIKeys }, check: checkKeys, secret: true, alias: []string{"BITNET_API_KEY"}},
	{key: "server.api_key_file", flag: "api-key-file", help: "file holding one API key per line (# comments allowed); empty = none",
		ptr: func(c *Config) any { return &c.Server.APIKeyFile }},
	{key: "server.cors_origins", flag: "cors-origin", help: `origins allowed by CORS: "*" or scheme://host[:port]; empty = CORS off`,
		ptr: func(c *Config) any { return &c.Server.CORSOrigins }, check: checkOrigins},
	{key: "server.max_body_bytes", flag: "max-body", help: "largest accepted request body (bytes, or with a unit: 1MiB)",
		ptr: func(c *Config) any { return &c.Server.MaxBodyBytes }, check: sizeMin(1)},
	{key: "server.request_timeout", flag: "request-timeout", help: `longest a request may run ("10m"); 0 = no limit`,
		ptr: func(c *Config) any { return &c.Server.RequestTimeout }, check: durationMin(0)},
	{key: "server.shutdown_timeout", flag: "shutdown-timeout", help: `on SIGTERM, how long in-flight streams may finish before they are cancelled`,
		ptr: func(c *Config) any { return &c.Server.ShutdownTimeout }, check: durationMin(0)},

	{key: "memory.kv_budget", flag: "kv-budget", help: `memory for all KV-cache blocks: auto (room for max_seqs/4 full contexts), bytes ("2GiB") or a share of physical RAM ("50%")`,
		ptr: func(c *Config) any { return &c.Memory.KVBudget }, check: checkBudget},
	{key: "memory.kv_type", flag: "kv-type", help: "KV-cache element type: f16, or q8 (int8 with per-head, per-token scales; half the memory)",
		ptr: func(c *Config) any { return &c.Memory.KVType }, check: oneOf("f16", "q8")},
	{key: "memory.context", flag: "ctx", help: "context length per sequence in tokens; 0 = the model's training context",
		ptr: func(c *Config) any { return &c.Memory.Context }, check: intRange(0, 1<<24)},

	{key: "scheduler.max_batch", flag: "max-batch", help: "rows (tokens of all sequences together) per batched forward step",
		ptr: func(c *Config) any { return &c.Scheduler.MaxBatch }, check: intRange(1, 1<<16)},
	{key: "scheduler.max_seqs", flag: "max-seqs", help: "sequences decoded concurrently",
		ptr: func(c *Config) any { return &c.Scheduler.MaxSeqs }, check: intRange(1, 1<<16)},
	{key: "scheduler.max_queue", flag: "max-queue", help: "requests waiting for a sequence slot; beyond it requests get 429",
		ptr: func(c *Config) any { return &c.Scheduler.MaxQueue }, check: intRange(1, 1<<20)},
	{key: "scheduler.prefill_chunk", flag: "prefill-chunk", help: "most prompt tokens of one sequence per step, so running streams keep flowing; 0 = max_batch/2",
		ptr: func(c *Config) any { return &c.Scheduler.PrefillChunk }, check: intRange(0, 1<<20)},

	{key: "thresholds.min_gen_tok_s", flag: "min-gen-tok-s", help: "warn when a sequence generates fewer tokens per second; 0 = off",
		ptr: func(c *Config) any { return &c.Thresholds.MinGenTokS }, check: floatRange(0, 1e9, true, true)},
	{key: "thresholds.max_ttft", flag: "max-ttft", help: `warn when the time to first token exceeds this ("2s"); 0 = off`,
		ptr: func(c *Config) any { return &c.Thresholds.MaxTTFT }, check: durationMin(0)},

	{key: "telemetry.log_format", flag: "log-format", help: "log format: text or json",
		ptr: func(c *Config) any { return &c.Telemetry.LogFormat }, check: oneOf("text", "json")},
	{key: "telemetry.log_level", flag: "log-level", help: "least severe level logged: debug, info, warn or error",
		ptr: func(c *Config) any { return &c.Telemetry.LogLevel }, check: oneOf("debug", "info", "warn", "error")},
	{key: "telemetry.metrics", flag: "metrics", help: "serve Prometheus metrics at /metrics (false: /metrics answers 404)",
		ptr: func(c *Config) any { return &c.Telemetry.Metrics }},
	{key: "telemetry.otlp_endpoint", flag: "otlp-endpoint", help: "OpenTelemetry OTLP/HTTP collector URL (http://host:4318); empty = tracing off",
		ptr: func(c *Config) any { return &c.Telemetry.OTLPEndpoint }, check: checkEndpoint},
}

var fieldByKey = func() map[string]*field {
	m := map[string]*field{}
	for i := range fields {
		m[fields[i].key] = &fields[i]
	}
	return m
}()

// Keys returns every configuration key in file order.
func Keys() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.key
	}
	return out
}

// EnvName returns the environment variable of key: BITNET_ followed by the
// key in upper case with dots as underscores (server.addr → BITNET_SERVER_ADDR).
func EnvName(key string) string {
	return "BITNET_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// FlagName returns the standard command-line flag of key (without dashes),
// or "" when the key has none.
func FlagName(key string) string {
	if f := fieldByKey[key]; f != nil {
		return f.flag
	}
	return ""
}

// Help returns the one-line description of key, or "" for an unknown key.
func Help(key string) string {
	if f := fieldByKey[key]; f != nil {
		return f.help
	}
	return ""
}

// setValue stores v, a TOML value, in the field at p.
func setValue(p any, v any) error {
	switch p := p.(type) {
	case *string:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, found %s", tomlTypeName(v))
		}
		*p = s
	case *int:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("want an integer, found %s", tomlTypeName(v))
		}
		if int64(int(n)) != n {
			return fmt.Errorf("%d is out of range", n)
		}
		*p = int(n)
	case *int64:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("want an integer, found %s", tomlTypeName(v))
		}
		*p = n
	case *float64:
		switch n := v.(type) {
		case float64:
			*p = n
		case int64:
			*p = float64(n)
		default:
			return fmt.Errorf("want a number, found %s", tomlTypeName(v))
		}
	case *bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, found %s", tomlTypeName(v))
		}
		*p = b
	case *[]string:
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want an array of strings, found %s", tomlTypeName(v))
		}
		out := make([]string, len(arr))
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("element %d: want a string, found %s", i, tomlTypeName(e))
			}
			out[i] = s
		}
		*p = out
	case *time.Duration:
		s, ok := v.(string)
		if !ok {
			if n, isInt := v.(int64); isInt && n == 0 {
				*p = 0
				return nil
			}
			return fmt.Errorf(`want a duration string such as "30s" or "5m", found %s`, tomlTypeName(v))
		}
		return setString(p, s)
	case *ByteSize:
		switch n := v.(type) {
		case int64:
			if n < 0 {
				return fmt.Errorf("%d is negative", n)
			}
			*p = ByteSize(n)
		case string:
			return setString(p, n)
		default:
			return fmt.Errorf(`want a size (bytes, or a string such as "1MiB"), found %s`, tomlTypeName(v))
		}
	case *KVBudget:
		switch n := v.(type) {
		case int64:
			return setString(p, strconv.FormatInt(n, 10))
		case string:
			return setString(p, n)
		default:
			return fmt.Errorf(`want a size such as "2GiB" or a share of RAM such as "50%%", found %s`, tomlTypeName(v))
		}
	default:
		panic(fmt.Sprintf("config: no setter for %T", p))
	}
	return nil
}

// setString parses s, the text of an environment variable or a flag, into
// the field at p. Lists are comma-separated ("" is the empty list).
func setString(p any, s string) error {
	switch p := p.(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 0)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		*p = int(n)
	case *int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		*p = f
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a boolean (want true or false)", s)
		}
		*p = b
	case *[]string:
		*p = splitList(s)
	case *time.Duration:
		t := strings.TrimSpace(s)
		if t == "0" {
			*p = 0
			return nil
		}
		d, err := time.ParseDuration(t)
		if err != nil {
			return fmt.Errorf(`%q is not a duration (want e.g. "30s", "5m", "1h30m")`, s)
		}
		*p = d
	case *ByteSize:
		b, err := ParseByteSize(s)
		if err != nil {
			return err
		}
		*p = b
	case *KVBudget:
		k, err := ParseKVBudget(s)
		if err != nil {
			return err
		}
		*p = k
	default:
		panic(fmt.Sprintf("config: no setter for %T", p))
	}
	return nil
}

// splitList splits a comma-separated list, trimming spaces around items.
func splitList(s string) []string {
	out := []string{}
	if strings.TrimSpace(s) == "" {
		return out
	}
	for _, e := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(e))
	}
	return out
}

func tomlTypeName(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// literal formats the field value at p as a TOML value.
func literal(p any) string {
	switch p := p.(type) {
	case *string:
		return tomlQuote(*p)
	case *int:
		return strconv.Itoa(*p)
	case *int64:
		return strconv.FormatInt(*p, 10)
	case *float64:
		s := strconv.FormatFloat(*p, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") { // keep it a TOML float: 1 → 1.0
			s += ".0"
		}
		return s
	case *bool:
		return strconv.FormatBool(*p)
	case *[]string:
		q := make([]string, len(*p))
		for i, s := range *p {
			q[i] = tomlQuote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case *time.Duration:
		return tomlQuote(durationString(*p))
	case *ByteSize:
		return tomlQuote(p.String())
	case *KVBudget:
		return tomlQuote(p.String())
	}
	panic(fmt.Sprintf("config: no formatter for %T", p))
}

// jsonValue returns the field value at p for JSON output: durations, sizes
// and budgets as their strings, everything else as itself.
func jsonValue(p any) any {
	switch p := p.(type) {
	case *time.Duration:
		return durationString(*p)
	case *ByteSize:
		return p.String()
	case *KVBudget:
		return p.String()
	case *string:
		return *p
	case *int:
		return *p
	case *int64:
		return *p
	case *float64:
		return *p
	case *bool:
		return *p
	case *[]string:
		return append([]string{}, *p...)
	}
	panic(fmt.Sprintf("config: no formatter for %T", p))
}

// durationString formats d without the trailing zero units of
// time.Duration.String ("5m", not "5m0s").
func durationString(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Checks. Each receives the typed value (not the pointer).

func oneOf(allowed ...string) func(any) error {
	return func(v any) error {
		s := v.(string)
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
	}
}

func intRange(lo, hi int) func(any) error {
	return func(v any) error {
		if n := v.(int); n < lo || n > hi {
			return fmt.Errorf("%d is out of range [%d, %d]", n, lo, hi)
		}
		return nil
	}
}

func int64Min(lo int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n < lo {
			return fmt.Errorf("%d is below %d", n, lo)
		}
		return nil
	}
}

func floatRange(lo, hi float64, loIncl, hiIncl bool) func(any) error {
	return func(v any) error {
		f := v.(float64)
		ok := !math.IsNaN(f) && (f > lo || loIncl && f == lo) && (f < hi || hiIncl && f == hi)
		if !ok {
			l, r := "(", ")"
			if loIncl {
				l = "["
			}
			if hiIncl {
				r = "]"
			}
			return fmt.Errorf("%g is out of range %s%g, %g%s", f, l, lo, hi, r)
		}
		return nil
	}
}

func durationMin(lo time.Duration) func(any) error {
	return func(v any) error {
		if d := v.(time.Duration); d < lo {
			return fmt.Errorf("%v is negative", d)
		}
		return nil
	}
}

func sizeMin(lo ByteSize) func(any) error {
	return func(v any) error {
		if b := v.(ByteSize); b < lo {
			return fmt.Errorf("%d bytes is below the minimum of %d", int64(b), int64(lo))
		}
		return nil
	}
}

func nonEmptyItems(v any) error {
	for i, s := range v.([]string) {
		if s == "" {
			return fmt.Errorf("element %d is empty", i)
		}
	}
	return nil
}

func checkDevice(v any) error {
	s := v.(string)
	switch s {
	case "auto", "cpu", "cuda":
		return nil
	}
	if n, ok := strings.CutPrefix(s, "cuda:"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < 1024 {
			return nil
		}
	}
	return fmt.Errorf("%q is not a device (want auto, cpu, cuda or cuda:N)", s)
}

func checkAddr(v any) error {
	s := v.(string)
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port (%v)", s, unwrapAddrErr(err))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number in [0, 65535]", s, port)
	}
	return nil
}

func unwrapAddrErr(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}

func checkKeys(v any) error {
	for i, k := range v.([]string) {
		if k == "" {
			return fmt.Errorf("key %d is empty", i)
		}
		if strings.IndexFunc(k, unicode.IsSpace) >= 0 {
			return fmt.Errorf("key %d contains white space", i)
		}
	}
	return nil
}

func checkOrigins(v any) error {
	for _, o := range v.([]string) {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf(`origin %q is not "*" or scheme://host[:port]`, o)
		}
	}
	return nil
}

func checkEndpoint(v any) error {
	s := v.(string)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	return nil
}

func checkBudget(v any) error {
	k := v.(KVBudget)
	switch {
	case k.IsAuto():
		return nil
	case k.Percent != 0 && k.Bytes != 0:
		return fmt.Errorf("set bytes or a percentage, not both")
	case k.Percent == 0 && k.Bytes < 0:
		return fmt.Errorf("the budget must be more than 0 bytes")
	case k.Percent < 0 || k.Percent > 100 || math.IsNaN(k.Percent):
		return fmt.Errorf("%g%% is out of range (0, 100]", k.Percent)
	}
	return nil
}

// deref returns the value the field pointer p points to.
func deref(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case *int:
		return *p
	case *int64:
		return *p
	case *float64:
		return *p
	case *bool:
		return *p
	case *[]string:
		return *p
	case *time.Duration:
		return *p
	case *ByteSize:
		return *p
	case *KVBudget:
		return *p
	}
	panic(fmt.Sprintf("config: no field type %T", p))
}
