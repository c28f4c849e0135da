package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/crossval"
	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/model"
)

// TestConvertCrossval converts kjv-tiny's HF checkpoint with the command
// line, to I2_S, TQ2_0 and TQ1_0, and runs each result against bitnet.cpp's
// reference logits for the file of the same type.
func TestConvertCrossval(t *testing.T) {
	hf := filepath.Join(shareddata.Path(t), "models", "kjv-tiny", "hf")
	for _, typ := range []string{"i2_s", "tq2_0", "tq1_0"} {
		t.Run(typ, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.gguf")
			code, stdout, stderr := bitnet(t, "convert", "--type", typ, "-o", out, "--verify", "--name", "kjv-tiny", hf)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "verified") || stderr != "" {
				t.Errorf("stdout %q, stderr %q", stdout, stderr)
			}
			f, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.Load(f, model.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			ref, err := crossval.Load(filepath.Join(shareddata.Path(t), "crossval", "kjv-tiny-"+typ))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := crossval.Run(m, ref, crossval.Options{Greedy: true})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Pass {
				t.Errorf("crossval failed: %v", rep.Failures)
			}
			t.Logf("%s: top1 %.4f, min mean cos %.6f, max rel RMS %.4f", typ, rep.Top1, rep.MinMean, rep.MaxRelRMS)
		})
	}
}

func TestConvertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert"},
		{"convert", "a", "b"},
		{"convert", "--type", "q4_0", "dir"},
	} {
		if code, _, stderr := bitnet(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
	dir := t.TempDir()
	code, _, stderr := bitnet(t, "convert", "-o", filepath.Join(dir, "x.gguf"), dir)
	if code != exitError || !strings.Contains(stderr, "config.json") {
		t.Errorf("empty dir: exit %d, stderr %q", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed conversion left %v", ents)
	}
}
