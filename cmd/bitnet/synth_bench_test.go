package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// TestSynthTinyRunsAndBenches writes the tiny preset in every weight type,
// checks that it loads with its tokenizer, that the same seed gives the same
// bytes, and that bench --json reports every field.
func TestSynthTinyRunsAndBenches(t *testing.T) {
	dir := t.TempDir()
	defer kernels.Select("auto") // bench --kernels changes the process-wide choice
	for _, typ := range []string{"i2_s", "tq2_0", "tq1_0"} {
		path := filepath.Join(dir, "tiny-"+typ+".gguf")
		var out, errb bytes.Buffer
		if code := Main([]string{"synth", "--preset", "tiny", "--type", typ, "-o", path, "--seed", "7"}, &out, &errb); code != 0 {
			t.Fatalf("synth %s: exit %d: %s", typ, code, errb.String())
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.Load(f, model.Options{Threads: 1})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		tok, err := tokenizer.FromGGUF(f, tokenizer.Options{})
		if err != nil {
			t.Fatalf("%s: tokenizer: %v", typ, err)
		}
		if ids := tok.Encode("In the beginning", true, true); len(ids) < 3 || tok.Decode(ids[1:]) != "In the beginning" {
			t.Fatalf("%s: tokenizer round trip: %v", typ, ids)
		}
		if m.Config.Dim != 256 || m.Config.VocabSize != 8256 {
			t.Fatalf("%s: config %+v", typ, m.Config)
		}
		m.Close()
		f.Close()

		again := filepath.Join(dir, "again.gguf")
		if code := Main([]string{"synth", "--preset", "tiny", "--type", typ, "-o", again, "--seed", "7"}, &out, &errb); code != 0 {
			t.Fatal(errb.String())
		}
		if hashFile(t, path) != hashFile(t, again) {
			t.Fatalf("%s: same seed, different files", typ)
		}
	}

	var out, errb bytes.Buffer
	path := filepath.Join(dir, "tiny-i2_s.gguf")
	if code := Main([]string{"bench", "-m", path, "-p", "8", "-n", "4", "-r", "2", "-t", "2", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out.String())
	}
	for _, k := range []string{"threads", "prompt_tokens", "gen_tokens", "prompt_tok_s", "prompt_tok_s_sd", "gen_tok_s", "gen_tok_s_sd", "peak_rss_bytes"} {
		if _, ok := r[k]; !ok {
			t.Errorf("bench --json lacks %q: %s", k, out.String())
		}
	}
	if r["threads"].(float64) != 2 || r["prompt_tokens"].(float64) != 8 || r["gen_tokens"].(float64) != 4 || r["gen_tok_s"].(float64) <= 0 {
		t.Errorf("bench --json: %s", out.String())
	}
	out.Reset()
	if code := Main([]string{"bench", "-m", path, "-p", "8", "-n", "4", "-r", "1", "--kernels", "generic"}, &out, &errb); code != 0 || !bytes.Contains(out.Bytes(), []byte("kernels: generic")) {
		t.Fatalf("bench --kernels generic: exit %d: %s %s", code, out.String(), errb.String())
	}
	if code := Main([]string{"bench", "-m", path, "--kernels", "nonsense"}, &out, &errb); code != exitUsage {
		t.Fatalf("bench --kernels nonsense: exit %d", code)
	}
	// A depth and the q8 cache: both reported, the tests run after d tokens.
	out.Reset()
	if code := Main([]string{"bench", "-m", path, "-p", "8", "-n", "4", "-d", "20", "-r", "1", "--kv-type", "q8", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("bench -d 20 --kv-type q8: exit %d: %s", code, errb.String())
	}
	r = nil
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r["kv_type"] != "q8" || r["depth"].(float64) != 20 || r["gen_tok_s"].(float64) <= 0 {
		t.Fatalf("bench -d 20 --kv-type q8 --json: %v %s", err, out.String())
	}
	out.Reset()
	if code := Main([]string{"bench", "-m", path, "-p", "8", "-n", "4", "-d", "3", "-r", "1"}, &out, &errb); code != 0 || !bytes.Contains(out.Bytes(), []byte("tg4 @ d3")) {
		t.Fatalf("bench -d 3: exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, bad := range [][]string{{"--kv-type", "q4"}, {"-d", "-1"}, {"-d", "30", "-p", "8", "--ctx", "32"}} {
		errb.Reset()
		if code := Main(append([]string{"bench", "-m", path}, bad...), &out, &errb); code != exitUsage {
			t.Fatalf("bench %v: exit %d, want usage error (%s)", bad, code, errb.String())
		}
	}
	if code := Main([]string{"synth", "--preset", "3b", "--type", "tq2_0", "-o", filepath.Join(dir, "x")}, &out, &errb); code != exitUsage {
		t.Fatalf("synth 3b tq2_0: exit %d, want usage error", code)
	}
}

func TestMeanSD(t *testing.T) {
	m, sd := meanSD([]float64{1, 2, 3})
	if m != 2 || sd != 1 {
		t.Fatalf("meanSD = %v, %v", m, sd)
	}
}

func hashFile(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
