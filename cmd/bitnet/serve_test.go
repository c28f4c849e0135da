package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/gpu/cuda"
	"github.com/bitnet-go/bitnet/internal/testutil"
	"github.com/bitnet-go/bitnet/kvcache"
)

// startServe runs "bitnet serve args…" in-process and returns its base URL,
// a function that sends the shutdown signal, and the exit code channel.
func startServe(t *testing.T, args ...string) (string, context.CancelFunc, <-chan int, *testutil.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	oldCtx, oldListen := serveContext, serveListening
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveListening = func(a string) { addrc <- a }
	t.Cleanup(func() { serveContext, serveListening = oldCtx, oldListen })
	errOut := &testutil.SyncBuffer{}
	code := make(chan int, 1)
	go func() { code <- Main(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, errOut) }()
	select {
	case a := <-addrc:
		return "http://" + a, cancel, code, errOut
	case c := <-code:
		t.Fatalf("serve exited %d: %s", c, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil, nil, nil
}

func TestServeLifecycle(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keyFile, []byte("# keys\nsk-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url, stop, code, errOut := startServe(t, "--threads", "2", "--max-seqs", "16", "--kv-budget", "32MiB", "--kv-type", "q8",
		"--api-key", "sk-flag", "--api-key-file", keyFile, "--log-format", "json", "--ctx", "512")
	for path, want := range map[string]int{"/health": 200, "/ready": 200, "/metrics": 200} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", url+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer sk-file")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ml struct {
		Data []struct{ ID string } `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&ml)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(ml.Data) != 1 || ml.Data[0].ID != "kjv-tiny" {
		t.Errorf("/v1/models: %d %+v", resp.StatusCode, ml)
	}

	// The load test command against it: 8 streams, no error.
	c, out, lerr := bitnet(t, "loadtest", url, "-c", "8", "-n", "1", "--max-tokens", "8-16", "--prompt-words", "4-16", "--api-key", "sk-flag", "--json")
	if c != exitOK {
		t.Fatalf("loadtest exit %d: %s %s", c, out, lerr)
	}
	var rep struct {
		Requests, OK, Errors int
		WellFormed           int `json:"well_formed_streams"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Requests != 8 || rep.Errors != 0 || rep.WellFormed != 8 {
		t.Errorf("loadtest report %+v %v: %s", rep, err, out)
	}
	// Without the key: 401s, reported and exit 1.
	c, out, _ = bitnet(t, "loadtest", url, "-c", "2", "-n", "1", "--max-tokens", "4")
	if c != exitError || !strings.Contains(out, "http_401 2") {
		t.Errorf("loadtest without key: exit %d: %s", c, out)
	}

	stop() // SIGTERM
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("serve exit %d: %s", c, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := errOut.String()
	for _, want := range []string{`"msg":"serving"`, `"kv_type":"q8"`, `"auth":true`, `"request_id"`, `"msg":"shutdown complete"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"serve", "--kv-type", "q4"}, exitUsage, "--kv-type"},
		{[]string{"serve", "--kv-budget", "lots"}, exitUsage, "--kv-budget"},
		{[]string{"serve", "--kv-budget", "150%"}, exitUsage, "percentage"},
		{[]string{"serve", "--max-body", "0"}, exitUsage, "--max-body"},
		{[]string{"serve", "--log-format", "xml"}, exitUsage, "--log-format"},
		{[]string{"serve", "--addr", "nowhere"}, exitUsage, "--addr"},
		{[]string{"serve", "--max-seqs", "0"}, exitUsage, "--max-seqs"},
		{[]string{"serve", "--cors-origin", "example.com"}, exitUsage, "--cors-origin"},
		{[]string{"serve", "extra"}, exitUsage, "unexpected"},
		{[]string{"serve", "--api-key-file", "/nonexistent/keys"}, exitError, "/nonexistent/keys"},
	} {
		code, _, errOut := bitnet(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("bitnet %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// TestServeConfigFile: serve takes its settings from --config where no flag
// gives them, and flags win.
func TestServeConfigFile(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "bitnet.toml")
	conf := "[server]\napi_keys = [\"sk-conf\"]\n\n[memory]\ncontext = 256\nkv_type = \"q8\"\n\n[telemetry]\nlog_format = \"json\"\n"
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	url, stop, code, errOut := startServe(t, "--config", cfgFile, "--log-format", "text")
	for key, want := range map[string]int{"": 401, "sk-conf": 200} {
		req, _ := http.NewRequest("GET", url+"/v1/models", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("/v1/models with key %q: %d, want %d", key, resp.StatusCode, want)
		}
	}
	stop()
	if c := <-code; c != exitOK {
		t.Fatalf("serve exited %d: %s", c, errOut.String())
	}
	logs := errOut.String()
	if !strings.Contains(logs, "kv_type=q8") || !strings.Contains(logs, "context=256") {
		t.Errorf("the file's memory settings did not apply, or the --log-format flag lost to the file (want text logs): %s", logs)
	}
	// An unknown key in the file is an error naming it.
	os.WriteFile(cfgFile, []byte("[server]\nadr = \"x\"\n"), 0o600)
	if c, _, e := bitnet(t, "serve", "--config", cfgFile); c == exitOK || !strings.Contains(e, "server.adr") {
		t.Errorf("unknown key: exit %d, %q", c, e)
	}
}

// TestServeDevice: without CUDA (this CI), --device cuda fails before
// listening with the reason, a malformed device is refused, and auto runs
// the engine on the CPU and says why.
func TestServeDevice(t *testing.T) {
	if _, err := cuda.Select("cuda"); err == nil {
		t.Skip("CUDA is usable here; the GPU path is checked by the gpu/cuda tests")
	}
	for _, tc := range []struct{ dev, msg string }{{"cuda", "--device cuda"}, {"cuda:1", "--device cuda:1"}, {"tpu", "tpu"}} {
		code, _, errOut := bitnet(t, "serve", "--device", tc.dev, "--addr", "127.0.0.1:0")
		if code == exitOK || !strings.Contains(errOut, tc.msg) {
			t.Errorf("serve --device %s: exit %d, stderr %q; want a failure mentioning %q", tc.dev, code, errOut, tc.msg)
		}
	}
	var stderr bytes.Buffer
	cfg := engine.Config{KVType: kvcache.F16}
	name, release, err := engineDevice(&cfg, nil, "auto", "f16", &stderr)
	if err != nil || !strings.HasPrefix(name, "cpu (") || cfg.NewStepper != nil || !strings.Contains(stderr.String(), "device: using the CPU") {
		t.Fatalf("auto without CUDA: %q, %v, stepper set %v, stderr %q", name, err, cfg.NewStepper != nil, stderr.String())
	}
	release()
}

// TestRunDevice: run takes --device like serve: cuda fails here (no CUDA),
// auto generates on the CPU and names the reason with --verbose.
func TestRunDevice(t *testing.T) {
	if _, err := cuda.Select("cuda"); err == nil {
		t.Skip("CUDA is usable here")
	}
	code, _, errOut := bitnet(t, "run", "--device", "cuda", "-n", "2", "In the beginning")
	if code == exitOK || !strings.Contains(errOut, "--device cuda") {
		t.Errorf("run --device cuda: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := bitnet(t, "run", "--device", "auto", "--verbose", "-n", "4", "--greedy", "In the beginning")
	if code != exitOK || !strings.HasPrefix(out, "In the beginning") || !strings.Contains(errOut, "device: cpu (") {
		t.Errorf("run --device auto: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
