package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/validate"
)

// mapWith parses args with declare, loads the configuration from env and
// maps it with m.
func mapWith[F binder, S any](d cmdDef, declare func(*flag.FlagSet) F, m func(*config.Config, F) (S, error), args, env []string) (any, error) {
	f, _, c, err := parseConfigured(d, declare, args, env, io.Discard)
	if err != nil {
		return nil, err
	}
	return m(c, f)
}

// mapped runs the flag parsing, configuration loading and mapping function
// of cmd on args and env, and returns what the command would run with.
func mapped(cmd string, args, env []string) (any, error) {
	model := func(c *config.Config, f binder) (modelSetup, error) {
		return f.(interface {
			model(*config.Config) modelSetup
		}).model(c), nil
	}
	switch cmd {
	case "serve":
		return mapWith(serveDef, declareServe, func(c *config.Config, f *serveFlags) (serveSetup, error) { return serveConfigs(c, f, io.Discard) }, args, env)
	case "run":
		return mapWith(runDef, declareRun, runConfigs, args, env)
	case "chat":
		return mapWith(chatDef, declareChat, chatConfigs, args, env)
	case "bench":
		return mapWith(benchDef, declareBench, benchConfigs, args, env)
	case "perplexity":
		return mapWith(perplexityDef, declarePerplexity, perplexityConfigs, args, env)
	case "validate":
		return mapWith(validateDef, declareValidate, func(c *config.Config, f *validateFlags) (validate.Options, error) { return validateOptions(c, f), nil }, args, env)
	case "logits":
		return mapWith(logitsDef, declareLogits, func(c *config.Config, f *logitsFlags) (modelSetup, error) { return model(c, f) }, args, env)
	case "crossval":
		return mapWith(crossvalDef, declareCrossval, func(c *config.Config, f *crossvalFlags) (modelSetup, error) { return model(c, f) }, args, env)
	case "doctor": // doctor hands the configuration itself to validate.Host
		return mapWith(doctorDef, declareDoctor, func(c *config.Config, _ *doctorFlags) (*config.Config, error) { return c, nil }, args, env)
	}
	return nil, fmt.Errorf("no mapping for %s", cmd)
}

func modelOf(s any) modelSetup {
	switch s := s.(type) {
	case serveSetup:
		return s.model
	case runSetup:
		return s.model
	case chatSetup:
		return s.model
	case benchSetup:
		return s.model
	case perplexitySetup:
		return s.model
	case modelSetup:
		return s
	case *config.Config:
		return modelConfig(s, false)
	case validate.Options:
		return modelSetup{head: s.Head, opts: loadOpts{Threads: s.Threads}}
	}
	panic(fmt.Sprintf("no model setup in %T", s))
}

func genOf(s any) genSetup {
	switch s := s.(type) {
	case runSetup:
		return s.gen
	case chatSetup:
		return s.gen
	}
	panic(fmt.Sprintf("no generation setup in %T", s))
}

func serveOf(s any) serveSetup { return s.(serveSetup) }

func deviceOf(s any) string {
	switch s := s.(type) {
	case serveSetup:
		return s.device
	case runSetup:
		return s.device
	case benchSetup:
		return s.device
	case *config.Config:
		return s.Runtime.Device
	}
	panic(fmt.Sprintf("no device in %T", s))
}

func kvTypeOf(s any) string {
	switch s := s.(type) {
	case serveSetup:
		return s.engine.KVType.String()
	case benchSetup:
		return s.kvType.String()
	case perplexitySetup:
		return s.kvType.String()
	case validate.Options:
		return s.KVType
	case *config.Config:
		return s.Memory.KVType
	}
	panic(fmt.Sprintf("no KV type in %T", s))
}

func contextOf(s any) string {
	switch s := s.(type) {
	case serveSetup:
		return fmt.Sprint(s.engine.Context)
	case runSetup, chatSetup:
		return fmt.Sprint(genOf(s).context)
	case validate.Options:
		return fmt.Sprint(s.Context)
	case *config.Config:
		return fmt.Sprint(s.Memory.Context)
	}
	panic(fmt.Sprintf("no context in %T", s))
}

func logLevelOf(s any) string {
	l := serveOf(s).server.Logger
	for _, lv := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		if l.Enabled(context.Background(), lv) {
			return strings.ToLower(lv.String())
		}
	}
	return "none"
}

// keyCase sets one key to vals (TOML literals) by the file, then the
// environment over the file, then a flag over both, in each command of
// cmds, and expects get to read want back from what the command's mapping
// function built.
type keyCase struct {
	key  string
	cmds []string
	vals [3]string
	want [3]string
	get  func(s any) string
}

var (
	modelCmds = []string{"serve", "run", "chat", "bench", "perplexity", "logits", "crossval", "doctor"}
	genCmds   = []string{"run", "chat"}
	serveOnly = []string{"serve"}
)

// keyCases covers every configuration key; TestEveryKeyReachesItsCommand
// checks that.
var keyCases = []keyCase{
	{"model.path", modelCmds, [3]string{`"/m/a.gguf"`, `"/m/b.gguf"`, `"/m/c.gguf"`}, [3]string{"/m/a.gguf", "/m/b.gguf", "/m/c.gguf"}, func(s any) string { return modelOf(s).path }},
	{"model.head", append(modelCmds, "validate"), [3]string{`"q8"`, `"f16"`, `"q8"`}, [3]string{"q8", "f16", "q8"}, func(s any) string { return modelOf(s).head }},
	{"runtime.threads", append(modelCmds, "validate"), [3]string{"3", "5", "7"}, [3]string{"3", "5", "7"}, func(s any) string { return fmt.Sprint(modelOf(s).opts.Threads) }},
	{"runtime.kernels", modelCmds, [3]string{`"generic"`, `"auto"`, `"generic"`}, [3]string{"generic", "auto", "generic"}, func(s any) string { return modelOf(s).kernels }},
	{"runtime.device", []string{"serve", "run", "bench", "doctor"}, [3]string{`"auto"`, `"cpu"`, `"cuda:1"`}, [3]string{"auto", "cpu", "cuda:1"}, deviceOf},

	{"generation.max_tokens", genCmds, [3]string{"11", "12", "13"}, [3]string{"11", "12", "13"}, func(s any) string { return fmt.Sprint(genOf(s).maxTokens) }},
	{"generation.temperature", genCmds, [3]string{"0.5", "0.25", "0.125"}, [3]string{"0.5", "0.25", "0.125"}, func(s any) string { return fmt.Sprint(genOf(s).sampling.Temperature) }},
	{"generation.top_k", genCmds, [3]string{"5", "6", "7"}, [3]string{"5", "6", "7"}, func(s any) string { return fmt.Sprint(genOf(s).sampling.TopK) }},
	{"generation.top_p", genCmds, [3]string{"0.5", "0.75", "0.25"}, [3]string{"0.5", "0.75", "0.25"}, func(s any) string { return fmt.Sprint(genOf(s).sampling.TopP) }},
	{"generation.min_p", genCmds, [3]string{"0.5", "0.25", "0.125"}, [3]string{"0.5", "0.25", "0.125"}, func(s any) string { return fmt.Sprint(genOf(s).sampling.MinP) }},
	{"generation.repeat_penalty", genCmds, [3]string{"1.5", "1.25", "1.125"}, [3]string{"1.5", "1.25", "1.125"}, func(s any) string { return fmt.Sprint(genOf(s).sampling.RepeatPenalty) }},
	{"generation.seed", genCmds, [3]string{"1", "2", "3"}, [3]string{"1", "2", "3"}, func(s any) string { return fmt.Sprint(genOf(s).sampling.Seed) }},
	{"generation.stop", genCmds, [3]string{`["a"]`, `["b"]`, `["c"]`}, [3]string{"a", "b", "c"}, func(s any) string { return strings.Join(genOf(s).stop, ",") }},

	{"server.addr", serveOnly, [3]string{`"127.0.0.1:1"`, `"127.0.0.1:2"`, `"127.0.0.1:3"`}, [3]string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}, func(s any) string { return serveOf(s).addr }},
	{"server.api_keys", serveOnly, [3]string{`["k1"]`, `["k2"]`, `["k3"]`}, [3]string{"k1", "k2", "k3"}, func(s any) string { return strings.Join(serveOf(s).server.APIKeys, ",") }},
	{"server.api_key_file", serveOnly, [3]string{`"KEYS1"`, `"KEYS2"`, `"KEYS3"`}, [3]string{"f1", "f2", "f3"}, func(s any) string { return strings.Join(serveOf(s).server.APIKeys, ",") }},
	{"server.cors_origins", serveOnly, [3]string{`["http://a"]`, `["http://b"]`, `["*"]`}, [3]string{"http://a", "http://b", "*"}, func(s any) string { return strings.Join(serveOf(s).server.CORSOrigins, ",") }},
	{"server.max_body_bytes", serveOnly, [3]string{`"2MiB"`, `"3MiB"`, `"4MiB"`}, [3]string{"2097152", "3145728", "4194304"}, func(s any) string { return fmt.Sprint(serveOf(s).server.MaxBodyBytes) }},
	{"server.request_timeout", serveOnly, [3]string{`"1m"`, `"2m"`, `"0s"`}, [3]string{"1m0s", "2m0s", "0s"}, func(s any) string { return serveOf(s).server.RequestTimeout.String() }},
	{"server.shutdown_timeout", serveOnly, [3]string{`"5s"`, `"6s"`, `"7s"`}, [3]string{"5s", "6s", "7s"}, func(s any) string { return serveOf(s).shutdown.String() }},

	{"memory.kv_budget", serveOnly, [3]string{`"1GiB"`, `"2GiB"`, `"auto"`}, [3]string{"1073741824", "2147483648", "0"}, func(s any) string { return fmt.Sprint(serveOf(s).engine.KVBudget) }},
	{"memory.kv_type", []string{"serve", "bench", "perplexity", "validate", "doctor"}, [3]string{`"q8"`, `"f16"`, `"q8"`}, [3]string{"q8", "f16", "q8"}, kvTypeOf},
	{"memory.context", []string{"serve", "run", "chat", "validate", "doctor"}, [3]string{"1000", "2000", "3000"}, [3]string{"1000", "2000", "3000"}, contextOf},

	{"scheduler.max_batch", serveOnly, [3]string{"8", "16", "32"}, [3]string{"8", "16", "32"}, func(s any) string { return fmt.Sprint(serveOf(s).engine.MaxBatch) }},
	{"scheduler.max_seqs", serveOnly, [3]string{"2", "3", "4"}, [3]string{"2", "3", "4"}, func(s any) string { return fmt.Sprint(serveOf(s).engine.MaxSeqs) }},
	{"scheduler.max_queue", serveOnly, [3]string{"5", "6", "7"}, [3]string{"5", "6", "7"}, func(s any) string { return fmt.Sprint(serveOf(s).engine.MaxQueue) }},
	{"scheduler.prefill_chunk", serveOnly, [3]string{"4", "0", "6"}, [3]string{"4", "0", "6"}, func(s any) string { return fmt.Sprint(serveOf(s).engine.PrefillChunk) }},

	{"thresholds.min_gen_tok_s", serveOnly, [3]string{"1.5", "2.5", "3.5"}, [3]string{"1.5", "2.5", "3.5"}, func(s any) string { return fmt.Sprint(serveOf(s).server.MinGenTokS) }},
	{"thresholds.max_ttft", serveOnly, [3]string{`"1s"`, `"2s"`, `"3s"`}, [3]string{"1s", "2s", "3s"}, func(s any) string { return serveOf(s).server.MaxTTFT.String() }},

	{"telemetry.log_format", serveOnly, [3]string{`"json"`, `"text"`, `"json"`}, [3]string{"json", "text", "json"}, func(s any) string {
		if _, ok := serveOf(s).server.Logger.Handler().(*slog.JSONHandler); ok {
			return "json"
		}
		return "text"
	}},
	{"telemetry.log_level", serveOnly, [3]string{`"debug"`, `"warn"`, `"error"`}, [3]string{"debug", "warn", "error"}, logLevelOf},
	{"telemetry.metrics", serveOnly, [3]string{"false", "true", "false"}, [3]string{"false", "true", "false"}, func(s any) string { return fmt.Sprint(serveOf(s).metrics) }},
	// doctor hands the configuration itself to validate.Host.
	{"memory.kv_budget", []string{"doctor"}, [3]string{`"1GiB"`, `"2GiB"`, `"auto"`}, [3]string{"1GiB", "2GiB", "auto"}, func(s any) string { return s.(*config.Config).Memory.KVBudget.String() }},
	{"server.addr", []string{"doctor"}, [3]string{`"127.0.0.1:1"`, `"127.0.0.1:2"`, `"127.0.0.1:3"`}, [3]string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}, func(s any) string { return s.(*config.Config).Server.Addr }},
	{"server.api_key_file", []string{"doctor"}, [3]string{`"KEYS1"`, `"KEYS2"`, `"KEYS3"`}, [3]string{"keys1", "keys2", "keys3"}, func(s any) string { return filepath.Base(s.(*config.Config).Server.APIKeyFile) }},

	{"telemetry.otlp_endpoint", serveOnly, [3]string{`"http://a:4318"`, `"http://b:4318"`, `""`}, [3]string{"http://a:4318", "http://b:4318", ""}, func(s any) string { return serveOf(s).otlp }},
}

// plain turns a TOML literal into the text of an environment variable or
// flag: strings unquoted, arrays comma-joined.
func plain(lit string) string {
	if strings.HasPrefix(lit, "[") {
		var items []string
		if err := json.Unmarshal([]byte(lit), &items); err != nil {
			panic(err)
		}
		return strings.Join(items, ",")
	}
	return strings.Trim(lit, `"`)
}

// keyFiles writes the three API key files of server.api_key_file and
// returns the replacer of their placeholders.
func keyFiles(t *testing.T, dir string) *strings.Replacer {
	var pairs []string
	for i := 1; i <= 3; i++ {
		p := filepath.Join(dir, fmt.Sprintf("keys%d", i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("# keys\nf%d\n", i)), 0o600); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fmt.Sprintf("KEYS%d", i), p)
	}
	return strings.NewReplacer(pairs...)
}

// layerArgs returns the arguments and environment of layer i (0 file, 1 env
// over the file, 2 flag over both) for kc, and the source config show must
// report.
func layerArgs(t *testing.T, kc keyCase, vals [3]string, i int) ([]string, []string, string) {
	table, name, _ := strings.Cut(kc.key, ".")
	file := filepath.Join(t.TempDir(), "b.toml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf("[%s]\n%s = %s\n", table, name, vals[0])), 0o644); err != nil {
		t.Fatal(err)
	}
	args, env, src := []string{"--config", file}, []string{"HOME=/nowhere"}, "file "+file+":2"
	if i >= 1 {
		env = append(env, config.EnvName(kc.key)+"="+plain(vals[1]))
		src = "env " + config.EnvName(kc.key)
	}
	if i == 2 {
		fl := config.FlagName(kc.key)
		args = append(args, "--"+fl+"="+plain(vals[2]))
		src = "flag --" + fl
		if len(fl) == 1 {
			src = "flag -" + fl
		}
	}
	return args, env, src
}

// TestEveryKeyReachesItsCommand: for every key and every command that reads
// it, a value set in the file, then in the environment over the file, then
// by a flag over both, is what the command's mapping function hands on,
// and `config show --for` reports that value with that source.
func TestEveryKeyReachesItsCommand(t *testing.T) {
	r := keyFiles(t, t.TempDir())
	covered := map[string]bool{}
	for _, kc := range keyCases {
		vals := kc.vals
		for i := range vals {
			vals[i] = r.Replace(vals[i])
		}
		for _, cmd := range kc.cmds {
			covered[cmd+" "+kc.key] = true
			for i := range 3 {
				args, env, src := layerArgs(t, kc, vals, i)
				s, err := mapped(cmd, args, env)
				if err != nil {
					t.Errorf("%s %s layer %d: %v", cmd, kc.key, i, err)
					continue
				}
				if got := kc.get(s); got != kc.want[i] {
					t.Errorf("%s %s %v %v: the command uses %q, want %q", cmd, kc.key, args, env, got, kc.want[i])
				}
				checkShown(t, cmd, kc.key, args, env, vals[i], src)
			}
		}
	}
	checkCoverage(t, covered)
}

// checkShown runs config show --for cmd with args and env and checks that it
// reports key = lit from src.
func checkShown(t *testing.T, cmd, key string, args, env []string, lit, src string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := configShow(append([]string{"--for", cmd, "--json"}, args...), env, &out, &errb); err != nil {
		t.Errorf("config show --for %s %v: %v %s", cmd, args, err, errb.String())
		return
	}
	var entries []struct{ Key, Source string }
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
		t.Fatalf("config show --json: %v", err)
	}
	var text bytes.Buffer
	_ = configShow(append([]string{"--for", cmd}, args...), env, &text, io.Discard)
	for _, e := range entries {
		if e.Key != key {
			continue
		}
		if e.Source != src {
			t.Errorf("config show --for %s: %s from %q, want %q", cmd, key, e.Source, src)
		}
		_, name, _ := strings.Cut(key, ".")
		if key == "server.api_keys" {
			lit = `["***"]`
		}
		if !strings.Contains(text.String(), name+" = "+lit+" ") {
			t.Errorf("config show --for %s lacks %s = %s:\n%s", cmd, name, lit, text.String())
		}
		return
	}
	t.Errorf("config show --for %s does not list %s", cmd, key)
}

// checkCoverage checks that the table has a case for every key and, for
// every command, every key the command reads.
func checkCoverage(t *testing.T, covered map[string]bool) {
	t.Helper()
	keys := map[string]bool{}
	for _, kc := range keyCases {
		keys[kc.key] = true
	}
	for _, k := range config.Keys() {
		if !keys[k] {
			t.Errorf("no case for key %s", k)
		}
	}
	names := make([]string, 0, len(configured))
	for n := range configured {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fs := newFlags(n, "", "", io.Discard)
		for _, k := range configured[n](fs).Keys() {
			if !covered[n+" "+k] {
				t.Errorf("%s reads %s, which no case checks for it", n, k)
			}
		}
	}
}
