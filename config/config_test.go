package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFieldsCoverConfig checks that the key table names every leaf of
// Config exactly once, so no field is unreachable from file, env or flags.
func TestFieldsCoverConfig(t *testing.T) {
	c := Default()
	seen := map[uintptr]string{}
	for _, f := range fields {
		p := reflect.ValueOf(f.ptr(c)).Pointer()
		if k, dup := seen[p]; dup {
			t.Errorf("%s and %s share a field", k, f.key)
		}
		seen[p] = f.key
		if f.help == "" {
			t.Errorf("%s has no help", f.key)
		}
	}
	var leaves int
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		leaves += v.Field(i).NumField()
		for j := range v.Field(i).NumField() {
			if _, ok := seen[v.Field(i).Field(j).Addr().Pointer()]; !ok {
				t.Errorf("Config.%s.%s has no key", v.Type().Field(i).Name, v.Field(i).Type().Field(j).Name)
			}
		}
	}
	if leaves != len(fields) {
		t.Errorf("%d leaves, %d keys", leaves, len(fields))
	}
	if err := Default().Validate(nil); err != nil {
		t.Errorf("the defaults are invalid: %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeTemp(t, "bitnet.toml", `
[server]
addr = "127.0.0.1:9000"   # from the file
[runtime]
threads = 3
kernels = "generic"
[generation]
stop = ["a", "b"]
`)
	for _, tc := range []struct {
		name  string
		file  string
		env   []string
		flags []Flag
		addr  string
		src   string
	}{
		{"defaults", "", nil, nil, "127.0.0.1:8080", "default"},
		{"file", file, nil, nil, "127.0.0.1:9000", "file " + file + ":3"},
		{"env over file", file, []string{"BITNET_SERVER_ADDR=0.0.0.0:1"}, nil, "0.0.0.0:1", "env BITNET_SERVER_ADDR"},
		{"env alone", "", []string{"BITNET_SERVER_ADDR=0.0.0.0:1"}, nil, "0.0.0.0:1", "env BITNET_SERVER_ADDR"},
		{"flag over env and file", file, []string{"BITNET_SERVER_ADDR=0.0.0.0:1"}, []Flag{{Name: "addr", Key: "server.addr", Value: "[::1]:2"}}, "[::1]:2", "flag --addr"},
		{"flag over file", file, nil, []Flag{{Name: "set", Key: "server.addr", Value: "h:3"}}, "h:3", "flag --set"},
		{"file via BITNET_CONFIG", "", []string{"BITNET_CONFIG=" + file}, nil, "127.0.0.1:9000", "file " + file + ":3"},
		{"non-BITNET env ignored", "", []string{"HOME=/x", "SERVER_ADDR=1"}, nil, "127.0.0.1:8080", "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, p, err := Load(tc.file, tc.env, tc.flags)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Server.Addr != tc.addr || p.Source("server.addr").String() != tc.src {
				t.Errorf("server.addr = %q from %q, want %q from %q", c.Server.Addr, p.Source("server.addr"), tc.addr, tc.src)
			}
		})
	}

	// Each layer over each other, per type, in one load.
	c, p, err := Load(file, []string{"BITNET_RUNTIME_THREADS=5", "BITNET_GENERATION_STOP=x, y", "BITNET_MEMORY_KV_BUDGET=2GiB"},
		[]Flag{{Name: "threads", Key: "runtime.threads", Value: "7"}, {Name: "kv-type", Key: "memory.kv_type", Value: "q8"}})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key, src  string
		got, want any
	}{
		{"runtime.threads", "flag --threads", c.Runtime.Threads, 7},
		{"runtime.kernels", "file " + file + ":6", c.Runtime.Kernels, "generic"},
		{"generation.stop", "env BITNET_GENERATION_STOP", c.Generation.Stop, []string{"x", "y"}},
		{"memory.kv_budget", "env BITNET_MEMORY_KV_BUDGET", c.Memory.KVBudget, KVBudget{Bytes: 2 << 30}},
		{"memory.kv_type", "flag --kv-type", c.Memory.KVType, "q8"},
		{"memory.context", "default", c.Memory.Context, 0},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) || p.Source(ck.key).String() != ck.src {
			t.Errorf("%s = %v from %s, want %v from %s", ck.key, ck.got, p.Source(ck.key), ck.want, ck.src)
		}
	}
}

func TestAliasEnv(t *testing.T) {
	c, p, err := Load("", []string{"BITNET_KERNELS=generic"}, nil)
	if err != nil || c.Runtime.Kernels != "generic" || p.Source("runtime.kernels").String() != "env BITNET_KERNELS" {
		t.Errorf("BITNET_KERNELS: %v, %q from %v", err, c.Runtime.Kernels, p.Source("runtime.kernels"))
	}
	c, _, err = Load("", []string{"BITNET_KERNELS=generic", "BITNET_RUNTIME_KERNELS=generic"}, nil)
	if err != nil || c.Runtime.Kernels != "generic" {
		t.Errorf("agreeing alias: %v", err)
	}
	_, _, err = Load("", []string{"BITNET_KERNELS=generic", "BITNET_RUNTIME_KERNELS=avx2"}, nil)
	if err == nil || !strings.Contains(err.Error(), "BITNET_KERNELS") || !strings.Contains(err.Error(), "BITNET_RUNTIME_KERNELS") {
		t.Errorf("contradicting alias: %v", err)
	}
}

// TestInvalid checks that every class of invalid configuration gives an
// error naming the key (or variable) and the source.
func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string // file content; "" = no file
		env   []string
		flags []Flag
		want  []string // substrings of the error
	}{
		{"unknown key in file", "[server]\nadr = \"x:1\"\n", nil, nil, []string{"cfg.toml:2", "unknown key server.adr", "did you mean server.addr?"}},
		{"unknown table", "[servr]\naddr = \"x:1\"\n", nil, nil, []string{"cfg.toml:2", "unknown key servr.addr"}},
		{"unknown env", "", []string{"BITNET_SERVER_ADR=x:1"}, nil, []string{"env BITNET_SERVER_ADR", "unknown configuration variable", "BITNET_SERVER_ADDR"}},
		{"unknown flag key", "", nil, []Flag{{Name: "set", Key: "server.port", Value: "1"}}, []string{"flag --set", "unknown key"}},
		{"wrong type in file", "[runtime]\nthreads = \"four\"\n", nil, nil, []string{"cfg.toml:2", "runtime.threads", "want an integer, found a string"}},
		{"bool as string", "[telemetry]\nmetrics = \"yes\"\n", nil, nil, []string{"telemetry.metrics", "want true or false"}},
		{"list element type", "[generation]\nstop = [\"a\", 1]\n", nil, nil, []string{"generation.stop", "element 1"}},
		{"not an integer env", "", []string{"BITNET_RUNTIME_THREADS=many"}, nil, []string{"env BITNET_RUNTIME_THREADS", "runtime.threads", `"many" is not an integer`}},
		{"out of range", "", nil, []Flag{{Name: "threads", Key: "runtime.threads", Value: "-2"}}, []string{"flag --threads", "runtime.threads", "out of range"}},
		{"float range", "[generation]\ntop_p = 1.5\n", nil, nil, []string{"cfg.toml:2", "generation.top_p", "out of range (0, 1]"}},
		{"enum", "", []string{"BITNET_TELEMETRY_LOG_FORMAT=xml"}, nil, []string{"telemetry.log_format", `"xml" is not one of text, json`}},
		{"device", "", []string{"BITNET_RUNTIME_DEVICE=cuda:x"}, nil, []string{"runtime.device", "cuda:N"}},
		{"addr", "[server]\naddr = \"localhost\"\n", nil, nil, []string{"server.addr", "not host:port"}},
		{"port", "", nil, []Flag{{Name: "addr", Key: "server.addr", Value: "h:99999"}}, []string{"server.addr", "port"}},
		{"duration", "[server]\nrequest_timeout = 30\n", nil, nil, []string{"server.request_timeout", "duration"}},
		{"duration text", "", []string{"BITNET_SERVER_SHUTDOWN_TIMEOUT=soon"}, nil, []string{"server.shutdown_timeout", "not a duration"}},
		{"negative duration", "", []string{"BITNET_SERVER_REQUEST_TIMEOUT=-1s"}, nil, []string{"server.request_timeout", "negative"}},
		{"size", "", []string{"BITNET_SERVER_MAX_BODY_BYTES=lots"}, nil, []string{"server.max_body_bytes", "not a size"}},
		{"zero size", "[server]\nmax_body_bytes = 0\n", nil, nil, []string{"server.max_body_bytes", "below the minimum"}},
		{"budget percent", "[memory]\nkv_budget = \"150%\"\n", nil, nil, []string{"memory.kv_budget", "(0, 100]"}},
		{"origin", "[server]\ncors_origins = [\"example.com\"]\n", nil, nil, []string{"server.cors_origins", "scheme://host"}},
		{"endpoint", "", []string{"BITNET_TELEMETRY_OTLP_ENDPOINT=collector:4318"}, nil, []string{"telemetry.otlp_endpoint", "URL"}},
		{"api key space", "[server]\napi_keys = [\"a b\"]\n", nil, nil, []string{"server.api_keys", "white space"}},
		{"api key alias contradicts", "", []string{"BITNET_API_KEY=a", "BITNET_SERVER_API_KEYS=b"}, nil, []string{"BITNET_API_KEY", "BITNET_SERVER_API_KEYS"}},
		{"zero max_seqs", "[scheduler]\nmax_seqs = 0\n", nil, nil, []string{"scheduler.max_seqs", "out of range"}},
		{"max tokens over context", "", []string{"BITNET_MEMORY_CONTEXT=64"}, []Flag{{Name: "n", Key: "generation.max_tokens", Value: "100"}}, []string{"generation.max_tokens", "flag -n", "memory.context", "env BITNET_MEMORY_CONTEXT"}},
		{"syntax", "[server\naddr = 1\n", nil, nil, []string{"cfg.toml:1", "syntax"}},
		{"duplicate key", "[server]\naddr = \"a:1\"\naddr = \"b:1\"\n", nil, nil, []string{"cfg.toml:3", "set twice"}},
		{"duplicate table", "[server]\n[server]\n", nil, nil, []string{"cfg.toml:2", "defined twice"}},
		{"unquoted string", "[model]\nhead = q8\n", nil, nil, []string{"cfg.toml:2", "must be quoted"}},
		{"inline table", "server = {addr = \"x:1\"}\n", nil, nil, []string{"inline tables"}},
		{"multi-line string", "[model]\npath = \"\"\"x\"\"\"\n", nil, nil, []string{"multi-line"}},
		{"date", "[model]\npath = 1979-05-27\n", nil, nil, []string{"dates"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.file != "" {
				file = writeTemp(t, "cfg.toml", tc.file)
			}
			c, _, err := Load(file, tc.env, tc.flags)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a *config.Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.toml"), nil, nil); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAllErrorsReported(t *testing.T) {
	file := writeTemp(t, "cfg.toml", "[server]\nadr = 1\naddr = \"nope\"\n[model]\nhead = \"q4\"\n")
	_, _, err := Load(file, []string{"BITNET_RUNTIME_THREADS=x"}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"server.adr", "server.addr", "model.head", "runtime.threads"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %s", err, w)
		}
	}
}

func TestTOMLValues(t *testing.T) {
	src := `# comment
top = 1
[a]
s = "q\"\\\n\u00e9" # trailing
l = 'C:\path'
i = -1_000
h = 0xff
f = 6.25e-1
b = true
arr = [
  "x", # one
  "y",
]
empty = []
"quoted key" = 1
d.e = 2
`
	kvs, errs := parseTOML([]byte(src))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs[0])
	}
	got := map[string]any{}
	for _, kv := range kvs {
		got[kv.key] = kv.val
	}
	want := map[string]any{
		"top": int64(1), "a.s": "q\"\\\né", "a.l": `C:\path`, "a.i": int64(-1000), "a.h": int64(255),
		"a.f": 0.625, "a.b": true, "a.arr": []any{"x", "y"}, "a.empty": []any{}, "a.quoted key": int64(1), "a.d.e": int64(2),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n %#v\nwant\n %#v", got, want)
	}
	for _, bad := range []string{"x = 01", "x = 1.", "x = .5", "x = 1__0", "x = _1", "x = \"abc", "x = [1, 2", "x = 1 2", "[[t]]", "x = [[1]]", "x", "= 1", "x = \"\\q\""} {
		if _, errs := parseTOML([]byte(bad)); len(errs) == 0 {
			t.Errorf("parseTOML(%q) gave no error", bad)
		}
	}
}

func TestPresetsRoundTrip(t *testing.T) {
	for _, name := range append([]string{""}, Presets()...) {
		c := Default()
		if name != "" {
			var err error
			if c, err = Preset(name); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Validate(nil); err != nil {
			t.Errorf("preset %q invalid: %v", name, err)
		}
		path := filepath.Join(t.TempDir(), "bitnet.toml")
		if err := WriteFile(path, Template(c, name), false); err != nil {
			t.Fatal(err)
		}
		got, _, err := Load(path, nil, nil)
		if err != nil {
			t.Fatalf("preset %q: the written file does not load: %v", name, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("preset %q: file loads as\n%+v\nwant\n%+v", name, got, c)
		}
	}
	if _, err := Preset("huge"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestWriteFileNoClobber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := WriteFile(path, []byte("a = 1\n"), false); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("b = 2\n"), false)
	if !errors.Is(err, ErrExists) {
		t.Errorf("second write: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a = 1\n" {
		t.Errorf("file changed to %q", b)
	}
	if err := WriteFile(path, []byte("b = 2\n"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "b = 2\n" {
		t.Errorf("overwrite gave %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestDefineAndFlagsFrom(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	Define(fs, "server.addr", "generation.stop", "runtime.threads")
	other := fs.Int("other", 0, "not config")
	if err := fs.Parse([]string{"--addr", "h:1", "--stop", "a,b", "--stop", "c", "--other", "3"}); err != nil {
		t.Fatal(err)
	}
	_ = other
	flags := FlagsFrom(fs, nil)
	c, p, err := Load("", nil, flags)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "h:1" || !reflect.DeepEqual(c.Generation.Stop, []string{"a,b", "c"}) || c.Runtime.Threads != 0 {
		t.Errorf("got addr %q stop %q threads %d", c.Server.Addr, c.Generation.Stop, c.Runtime.Threads)
	}
	if p.Source("generation.stop").String() != "flag --stop" || p.Source("runtime.threads").String() != "default" {
		t.Errorf("sources %v %v", p.Source("generation.stop"), p.Source("runtime.threads"))
	}

	// A command's own typed flags bind through a name map.
	fs2 := flag.NewFlagSet("run", flag.ContinueOnError)
	fs2.Int("t", 4, "threads")
	fs2.Duration("wait", time.Second, "")
	_ = fs2.Parse([]string{"-t", "9", "-wait", "2m"})
	c, p, err = Load("", nil, FlagsFrom(fs2, map[string]string{"t": "runtime.threads", "wait": "server.request_timeout"}))
	if err != nil || c.Runtime.Threads != 9 || c.Server.RequestTimeout != 2*time.Minute || p.Source("runtime.threads").String() != "flag -t" {
		t.Errorf("typed flags: %v %d %v %v", err, c.Runtime.Threads, c.Server.RequestTimeout, p.Source("runtime.threads"))
	}

	if _, err := ParseSet("server.addr=h:2"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"server.addr", "=x", "nosuch.key=1"} {
		if _, err := ParseSet(bad); err == nil {
			t.Errorf("ParseSet(%q) accepted", bad)
		}
	}
}

func TestEntriesMaskSecrets(t *testing.T) {
	c, p, err := Load("", []string{"BITNET_SERVER_API_KEYS=s3cret,other"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Entries(p) {
		if e.Key == "server.api_keys" {
			if strings.Contains(e.TOML, "s3cret") || strings.Contains(strings.Join(e.Value.([]string), ""), "s3cret") {
				t.Errorf("secret shown: %+v", e)
			}
			if e.Source != "env BITNET_SERVER_API_KEYS" {
				t.Errorf("source %q", e.Source)
			}
		}
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
	}{{"0", 0}, {"1024", 1024}, {"1KiB", 1024}, {"2 GiB", 2 << 30}, {"1.5GB", 1.5e9}, {"512mib", 512 << 20}, {"10B", 10}, {"64k", 64 << 10}, {"1.5GiB", 3 << 29}, {"2GB", 2e9}, {"1M", 1 << 20}} {
		got, err := ParseByteSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
		back, err := ParseByteSize(got.String())
		if err != nil || back != got {
			t.Errorf("round trip %q → %q → %d", tc.in, got.String(), back)
		}
	}
	for _, bad := range []string{"", "GiB", "-1", "1.2.3MB", "lots", "1e30TiB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", bad)
		}
	}
	k, err := ParseKVBudget("50%")
	if err != nil || k.Resolve(1000) != 500 {
		t.Errorf("50%%: %v %v", k, err)
	}
	if k, err := ParseKVBudget("auto"); err != nil || !k.IsAuto() || k.String() != "auto" || k.Resolve(1000) != 0 {
		t.Errorf("auto: %v %v", k, err)
	}
	for _, bad := range []string{"0%", "101%", "x%", "0"} {
		if _, err := ParseKVBudget(bad); err == nil {
			t.Errorf("ParseKVBudget(%q) accepted", bad)
		}
	}
}

func FuzzTOML(f *testing.F) {
	f.Add([]byte("[a]\nb = [1, 'x', \"y\\u00e9\"] # c\n"))
	f.Add(Template(Default(), ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		kvs, _ := parseTOML(b) // an error, never a panic
		seen := map[string]bool{}
		for _, kv := range kvs {
			if seen[kv.key] {
				t.Fatalf("key %q returned twice", kv.key)
			}
			seen[kv.key] = true
		}
	})
}
