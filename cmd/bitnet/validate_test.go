package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidateEmbedded(t *testing.T) {
	code, out, errOut := bitnet(t, "validate", "--ctx", "512")
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{"container", "metadata", "types", "tensors", "i2s", "nan", "tokenizer", "memory", "at context 512", "forward", "finite logits", "9 passed, 0 warnings, 0 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = bitnet(t, "validate", "--json", "--no-forward")
	var r struct {
		Findings []struct{ Check, Status string }
	}
	if code != exitOK || json.Unmarshal([]byte(out), &r) != nil || len(r.Findings) != 9 || r.Findings[8].Status != "skip" {
		t.Errorf("--json: exit %d %s", code, out)
	}
}

func TestValidateCorrupt(t *testing.T) {
	for _, c := range corruptions {
		t.Run(c.kind, func(t *testing.T) {
			path := corruptModel(t, c.kind)
			code, out, errOut := bitnet(t, "validate", path)
			if code != exitError || !strings.Contains(errOut, "problem(s) found") {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			ok := false
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				ok = ok || len(f) > 2 && f[0] == "fail" && f[1] == c.check && strings.Contains(line, c.object) && strings.Contains(line, c.msg)
			}
			if !ok {
				t.Errorf("no %s failure naming %s and %q:\n%s", c.check, c.object, c.msg, out)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"validate", "/nonexistent.gguf"}, exitError, "/nonexistent.gguf"},
		{[]string{"validate", "--kv-type", "q4"}, exitUsage, "q4"},
		{[]string{"validate", "a", "b"}, exitUsage, "at most one"},
	} {
		code, _, errOut := bitnet(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("bitnet %v: exit %d %q", tc.args, code, errOut)
		}
	}
}
