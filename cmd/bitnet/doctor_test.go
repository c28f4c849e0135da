package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
)

// corruptModel writes a damaged copy of the embedded model to a temporary
// file: "truncated", "type" (blk.2.ffn_up.weight's type id flipped to
// TQ2_0), "nan" (NaN in blk.1.attn_norm.weight), "code3" (code 3 in
// blk.4.attn_output.weight) or "nokey" (no tokenizer.ggml.eos_token_id).
func corruptModel(t *testing.T, kind string) string {
	t.Helper()
	orig := defaultmodel.Bytes()
	f, err := gguf.FromBytes(orig, "x")
	if err != nil {
		t.Fatal(err)
	}
	dataAt := func(name string) int {
		ti, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("no tensor %q", name)
		}
		return int(f.DataOffset + ti.Offset)
	}
	b := bytes.Clone(orig)
	switch kind {
	case "truncated":
		b = b[:len(b)*2/3]
	case "type":
		name := "blk.2.ffn_up.weight"
		key := append(binary.LittleEndian.AppendUint64(nil, uint64(len(name))), name...)
		i := bytes.Index(b, key) + len(key) + 4 + 8*2
		binary.LittleEndian.PutUint32(b[i:], uint32(gguf.TypeTQ2_0))
	case "nan":
		binary.LittleEndian.PutUint32(b[dataAt("blk.1.attn_norm.weight")+4*3:], math.Float32bits(float32(math.NaN())))
	case "code3":
		b[dataAt("blk.4.attn_output.weight")+7] = 0xFF
	case "nokey":
		w := gguf.NewWriter()
		for _, kv := range f.KV {
			if kv.Key != "tokenizer.ggml.eos_token_id" {
				w.Add(kv.Key, kv.Value)
			}
		}
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			data, _ := f.TensorData(ti)
			if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, data); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		b = buf.Bytes()
	default:
		t.Fatalf("unknown corruption %q", kind)
	}
	path := filepath.Join(t.TempDir(), kind+".gguf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// corruptions maps each corruption to the words its report must contain.
var corruptions = []struct{ kind, check, object, msg string }{
	{"truncated", "container", "token_embd.weight", "past end of file"},
	{"type", "tensors", "blk.2.ffn_up.weight", "TQ2_0"},
	{"nan", "nan", "blk.1.attn_norm.weight", "1 NaN"},
	{"code3", "i2s", "blk.4.attn_output.weight", "code 3"},
	{"nokey", "tokenizer", "tokenizer.ggml.eos_token_id", "no EOS"},
}

type doctorJSON struct {
	Findings []struct {
		Check, Status, Object, Message, Fix string
	}
	Passed, Warnings, Failures int
	ExitCode                   int `json:"exit_code"`
}

func TestDoctorEmbedded(t *testing.T) {
	code, out, errOut := bitnet(t, "doctor", "--json", "--addr", "127.0.0.1:0")
	var d doctorJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("exit %d, bad JSON %v: %s %s", code, err, out, errOut)
	}
	checks := map[string]string{}
	for _, f := range d.Findings {
		checks[f.Check] = f.Status
		if (f.Status == "warn" || f.Status == "fail") && f.Fix == "" {
			t.Errorf("%+v has no fix", f)
		}
	}
	for _, c := range []string{"config", "model", "cpu", "kernels", "cores", "memory", "disk", "gpu", "port", "security"} {
		if _, ok := checks[c]; !ok {
			t.Errorf("no %s check in %v", c, checks)
		}
	}
	for _, c := range []string{"config", "model", "port", "kernels"} {
		if checks[c] != "pass" {
			t.Errorf("%s: %s", c, checks[c])
		}
	}
	// The exit code follows the worst status (the machine may warn, e.g. about disk).
	want := exitOK
	switch {
	case strings.Contains(out, `"status": "fail"`):
		want = 2
	case strings.Contains(out, `"status": "warn"`):
		want = 1
	}
	if code != want {
		t.Errorf("exit %d, want %d: %s", code, want, out)
	}

	code, out, _ = bitnet(t, "doctor", "--addr", "127.0.0.1:0")
	if !strings.Contains(out, "kernels") || !strings.Contains(out, "passed,") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}
}

func TestDoctorFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, out, _ := bitnet(t, "doctor", "--addr", ln.Addr().String())
	if code != exitUsage || !strings.Contains(out, "already in use") {
		t.Errorf("busy port: exit %d\n%s", code, out)
	}

	code, out, _ = bitnet(t, "doctor", "--addr", "127.0.0.1:0", "--kernels", "neon")
	if code != exitUsage || !strings.Contains(out, "runtime.kernels = neon") {
		t.Errorf("--kernels neon: exit %d\n%s", code, out)
	}

	t.Setenv("BITNET_RUNTIME_THREADS", "many")
	code, out, _ = bitnet(t, "doctor", "--addr", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(out, "BITNET_RUNTIME_THREADS") {
		t.Errorf("bad env: exit %d\n%s", code, out)
	}
	os.Unsetenv("BITNET_RUNTIME_THREADS")

	for _, c := range corruptions {
		t.Run(c.kind, func(t *testing.T) {
			path := corruptModel(t, c.kind)
			code, out, _ := bitnet(t, "doctor", "--json", "--addr", "127.0.0.1:0", "-m", path)
			var d doctorJSON
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("bad JSON: %v\n%s", err, out)
			}
			if code != exitUsage || d.ExitCode != 2 {
				t.Errorf("exit %d (json %d), want 2", code, d.ExitCode)
			}
			found := false
			for _, f := range d.Findings {
				found = found || f.Status == "fail" && f.Check == "model/"+c.check &&
					(f.Object == c.object || strings.Contains(f.Message, c.object)) && strings.Contains(f.Message, c.msg)
			}
			if !found {
				t.Errorf("no model/%s failure naming %s and %q:\n%s", c.check, c.object, c.msg, out)
			}
		})
	}
}
