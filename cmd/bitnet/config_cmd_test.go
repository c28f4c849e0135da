package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigShowPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "b.toml")
	os.WriteFile(file, []byte("[server]\naddr = \"127.0.0.1:9000\"\n[runtime]\nthreads = 3\nkernels = \"generic\"\n[memory]\ncontext = 1024\n"), 0o644)
	t.Setenv("BITNET_RUNTIME_THREADS", "5")
	t.Setenv("BITNET_MEMORY_CONTEXT", "512")
	code, out, errOut := bitnet(t, "config", "show", "--config", file, "--ctx", "256", "--set", "generation.seed=7")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`addr = "127.0.0.1:9000"`, "# file " + file + ":2",
		"threads = 5", "# env BITNET_RUNTIME_THREADS",
		`kernels = "generic"`, "# file " + file + ":5",
		"context = 256", "# flag --ctx",
		"seed = 7", "# flag --set",
		"top_k = 40",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config show lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = bitnet(t, "config", "show", "--json", "--config", file)
	var entries []struct {
		Key, Source, Env string
		Value            any
	}
	if code != exitOK || json.Unmarshal([]byte(out), &entries) != nil {
		t.Fatalf("--json: exit %d, %q", code, out)
	}
	got := map[string]string{}
	for _, e := range entries {
		got[e.Key] = e.Source
	}
	if got["memory.context"] != "env BITNET_MEMORY_CONTEXT" || got["server.addr"] != "file "+file+":2" || got["model.head"] != "default" {
		t.Errorf("json sources: %v", got)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[server]\nadr = \"x:1\"\n[runtime]\nthreads = -1\n"), 0o644)
	for _, tc := range []struct {
		args []string
		env  [2]string
		code int
		msg  []string
	}{
		{[]string{"config", "show", "--config", bad}, [2]string{}, exitError, []string{"bad.toml:2", "server.adr", "did you mean server.addr", "bad.toml:4", "runtime.threads"}},
		{[]string{"config", "show"}, [2]string{"BITNET_SERVER_ADDR", "nohost"}, exitError, []string{"env BITNET_SERVER_ADDR", "server.addr"}},
		{[]string{"config", "show"}, [2]string{"BITNET_NOPE", "1"}, exitError, []string{"BITNET_NOPE", "unknown configuration variable"}},
		{[]string{"config", "show", "--kv-type", "q4"}, [2]string{}, exitError, []string{"flag --kv-type", "memory.kv_type"}},
		{[]string{"config", "show", "--set", "nosuch=1"}, [2]string{}, exitUsage, []string{"unknown key nosuch"}},
		{[]string{"config", "show", "--config", filepath.Join(dir, "missing.toml")}, [2]string{}, exitError, []string{"missing.toml"}},
		{[]string{"config"}, [2]string{}, exitUsage, []string{"show or init"}},
		{[]string{"config", "frob"}, [2]string{}, exitUsage, []string{"frob"}},
		{[]string{"config", "init"}, [2]string{}, exitUsage, []string{"--preset"}},
		{[]string{"config", "init", "--preset", "huge", filepath.Join(dir, "x.toml")}, [2]string{}, exitUsage, []string{"huge", "laptop"}},
	} {
		if tc.env[0] != "" {
			t.Setenv(tc.env[0], tc.env[1])
		}
		code, _, errOut := bitnet(t, tc.args...)
		if tc.env[0] != "" {
			os.Unsetenv(tc.env[0])
		}
		if code != tc.code {
			t.Errorf("bitnet %v: exit %d, want %d (%s)", tc.args, code, tc.code, errOut)
		}
		for _, m := range tc.msg {
			if !strings.Contains(errOut, m) {
				t.Errorf("bitnet %v: stderr %q lacks %q", tc.args, errOut, m)
			}
		}
	}
}

func TestConfigInit(t *testing.T) {
	dir := t.TempDir()
	for _, preset := range []string{"laptop", "server", "low-memory"} {
		path := filepath.Join(dir, preset+".toml")
		code, out, errOut := bitnet(t, "config", "init", "--preset", preset, path)
		if code != exitOK || !strings.Contains(out, path) {
			t.Fatalf("init %s: exit %d %s %s", preset, code, out, errOut)
		}
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), "# env BITNET_SERVER_ADDR") {
			t.Errorf("%s: the file is not commented:\n%s", preset, b)
		}
		code, out, errOut = bitnet(t, "config", "show", "--config", path)
		if code != exitOK {
			t.Fatalf("show %s: exit %d %s", preset, code, errOut)
		}
		if preset == "low-memory" && !strings.Contains(out, `kv_type = "q8"`) {
			t.Errorf("low-memory preset not applied:\n%s", out)
		}
		if preset == "server" && !strings.Contains(out, `addr = "0.0.0.0:8080"`) {
			t.Errorf("server preset not applied:\n%s", out)
		}
		// No overwrite without --force.
		code, _, errOut = bitnet(t, "config", "init", "--preset", "laptop", path)
		if code != exitError || !strings.Contains(errOut, "--force") {
			t.Errorf("second init: exit %d %q", code, errOut)
		}
		if b2, _ := os.ReadFile(path); string(b2) != string(b) {
			t.Errorf("%s was overwritten", path)
		}
		if code, _, errOut = bitnet(t, "config", "init", "--preset", "laptop", "--force", path); code != exitOK {
			t.Errorf("--force: exit %d %s", code, errOut)
		}
	}
}
