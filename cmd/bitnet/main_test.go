package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/internal/shareddata"
)

// bitnet runs the command line in-process.
func bitnet(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

func TestRunGreedyEmbedded(t *testing.T) {
	code, out, errOut := bitnet(t, "run", "--greedy", "-n", "32", "In the beginning God created the heaven and the earth.")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// bitnet.cpp's greedy continuation (shared/crossval/kjv-tiny-i2_s case0).
	want := "In the beginning God created the heaven and the earth. And he said, Who is the man that he hath done, and the man is the man that is in thee, and the man that is\n"
	if out != want {
		t.Errorf("stdout\n got %q\nwant %q", out, want)
	}
	if !strings.Contains(errOut, "tok/s") {
		t.Errorf("stderr lacks the speed line: %q", errOut)
	}
}

func TestRunSeedAndStop(t *testing.T) {
	args := []string{"run", "--no-echo", "--seed", "7", "-n", "24", "--temp", "0.9", "And Moses said"}
	_, a, _ := bitnet(t, args...)
	_, b, _ := bitnet(t, args...)
	if a != b || a == "" {
		t.Errorf("same seed gave %q and %q", a, b)
	}
	code, out, _ := bitnet(t, "run", "--no-echo", "--greedy", "-n", "32", "--stop", "man", "In the beginning God created the heaven and the earth.")
	if code != exitOK || out != " And he said, Who is the \n" {
		t.Errorf("--stop man: exit %d, %q", code, out)
	}
}

func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", "-n", "-5", "x"}, exitUsage, "-n -5"},
		{[]string{"run", "--temp", "-1", "x"}, exitUsage, "emperature"},
		{[]string{"run", "--ctx", "8", "-n", "20", "In the beginning"}, exitUsage, "exceeds memory.context"}, // refused before the model loads
		{[]string{"run", "-m", "/nonexistent/model.gguf", "x"}, exitError, "/nonexistent/model.gguf"},
		{[]string{"run", "--bogus", "x"}, exitUsage, "bogus"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"logits", "--tokens", "1,2"}, exitUsage, "--out"},
		{[]string{"logits", "--tokens", "1,x", "--out", "/tmp/x"}, exitUsage, "\"x\""},
	} {
		code, _, errOut := bitnet(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("bitnet %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
	// A file that is not GGUF.
	bad := filepath.Join(t.TempDir(), "bad.gguf")
	os.WriteFile(bad, []byte("not a gguf file at all"), 0o644)
	code, _, errOut := bitnet(t, "inspect", bad)
	if code != exitError || !strings.Contains(errOut, "bad.gguf") || !strings.Contains(errOut, "magic") {
		t.Errorf("inspect on garbage: exit %d, %q", code, errOut)
	}
}

func TestInspectJSON(t *testing.T) {
	code, out, errOut := bitnet(t, "inspect", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got inspectOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tensors) != 68 || !got.Loadable || got.Config == nil || got.Config.Arch != "bitnet-b1.58" || got.BytesByType["I2_S"] == 0 {
		t.Errorf("inspect --json: %d tensors, loadable %v, config %+v", len(got.Tensors), got.Loadable, got.Config)
	}
	code, out, _ = bitnet(t, "inspect")
	if code != exitOK || !strings.Contains(out, "blk.0.attn_q.weight") || !strings.Contains(out, "I2_S") || !strings.Contains(out, "architecture: bitnet-b1.58") {
		t.Errorf("inspect text output lacks the tensor table or summary:\n%s", out)
	}
}

func TestLogitsMatchReferenceShape(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "l.f32")
	tokFile := filepath.Join(dir, "t.json")
	os.WriteFile(tokFile, []byte("[8000, 644, 279, 7314]"), 0o644)
	code, _, errOut := bitnet(t, "logits", "--tokens-file", tokFile, "--out", out, "--threads", "2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 4*8256*4 {
		t.Fatalf("wrote %d bytes, want %d", len(b), 4*8256*4)
	}
	// Same through --tokens.
	out2 := filepath.Join(dir, "l2.f32")
	bitnet(t, "logits", "--tokens", "8000,644,279,7314", "--out", out2)
	b2, _ := os.ReadFile(out2)
	if !bytes.Equal(b, b2) {
		t.Error("--tokens and --tokens-file give different logits")
	}
	// The argmax at every position equals bitnet.cpp's (the first four
	// tokens of shared/crossval/kjv-tiny-i2_s case0).
	ref, err := os.ReadFile(filepath.Join(shareddata.Path(t), "crossval", "kjv-tiny-i2_s", "case0.logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	argmax := func(b []byte, row int) int {
		best, bestV := 0, float32(math.Inf(-1))
		for i := range 8256 {
			if v := math.Float32frombits(binary.LittleEndian.Uint32(b[(row*8256+i)*4:])); v > bestV {
				best, bestV = i, v
			}
		}
		return best
	}
	for row := range 4 {
		if got, want := argmax(b, row), argmax(ref, row); got != want {
			t.Errorf("position %d: argmax %d, bitnet.cpp %d", row, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestCrossvalCommand(t *testing.T) {
	set := filepath.Join(shareddata.Path(t), "crossval", "silu-rand-i2_s")
	code, out, errOut := bitnet(t, "crossval", "--reference", set)
	if code != exitOK || !strings.Contains(out, "PASS") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = bitnet(t, "crossval", "--reference", set, "--json", "--max-rel-rms", "0.0001")
	if code != exitTolerance {
		t.Errorf("an impossible tolerance gave exit %d, want %d", code, exitTolerance)
	}
	var rep struct {
		Pass bool `json:"pass"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Pass {
		t.Errorf("--json output %v pass=%v", err, rep.Pass)
	}
}

func TestPerplexityCommand(t *testing.T) {
	dir := filepath.Join(shareddata.Path(t), "models", "kjv-tiny", "reference")
	text := filepath.Join(t.TempDir(), "t.txt")
	b, err := os.ReadFile(filepath.Join(dir, "heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(text, b[:6000], 0o644)
	code, out, errOut := bitnet(t, "perplexity", "--text-file", text, "--window", "128", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Perplexity float64 `json:"perplexity"`
		Windows    int     `json:"windows"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Windows < 5 || res.Perplexity < 10 || res.Perplexity > 80 {
		t.Errorf("perplexity %+v: expected ~30 over several windows on held-out KJV text", res)
	}
}

// TestRunConfigFile: run takes generation settings from --config and
// BITNET_* variables where no flag gives them.
func TestRunConfigFile(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "bitnet.toml")
	os.WriteFile(cfgFile, []byte("[generation]\ntemperature = 0\nmax_tokens = 6\n"), 0o600)
	_, want, _ := bitnet(t, "run", "--no-echo", "--greedy", "-n", "6", "In the beginning")
	code, got, errOut := bitnet(t, "run", "--no-echo", "--config", cfgFile, "In the beginning")
	if code != exitOK || got != want {
		t.Errorf("with the config file: exit %d, %q (%s); want %q", code, got, errOut, want)
	}
	// A flag wins over the file.
	_, want3, _ := bitnet(t, "run", "--no-echo", "--greedy", "-n", "3", "In the beginning")
	if _, got, _ := bitnet(t, "run", "--no-echo", "--config", cfgFile, "-n", "3", "In the beginning"); got != want3 {
		t.Errorf("-n 3 over the file's 6: %q, want %q", got, want3)
	}
	// The environment wins over the file.
	t.Setenv("BITNET_GENERATION_MAX_TOKENS", "3")
	if _, got, _ := bitnet(t, "run", "--no-echo", "--config", cfgFile, "In the beginning"); got != want3 {
		t.Errorf("BITNET_GENERATION_MAX_TOKENS=3 over the file's 6: %q, want %q", got, want3)
	}
}
