package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestPlot(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "r.jsonl")
	os.WriteFile(in, []byte(`{"model":"/tmp/2b4t.gguf","threads":1,"head":"f16","prompt_tok_s":103,"prompt_tok_s_sd":1,"gen_tok_s":18.7,"gen_tok_s_sd":0.3,"reference":{"prompt_tok_s":52,"gen_tok_s":23}}
{"label":"2b4t t2","threads":2,"prompt_tok_s":194,"gen_tok_s":30}
`), 0o644)
	rs, err := read(in)
	if err != nil || len(rs) != 2 {
		t.Fatalf("read: %v %d", err, len(rs))
	}
	if rs[0].label() != "2B4T T1" || rs[1].label() != "2B4T T2" {
		t.Errorf("labels %q %q", rs[0].label(), rs[1].label())
	}
	out := filepath.Join(dir, "p.png")
	if err := writePNG(out, draw(rs, "TEST")); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("decoded %v %v", img, err)
	}
	for _, v := range []float64{0.3, 7, 38.7, 194, 1200} {
		if m := niceMax(v); m < v || m > 5*v {
			t.Errorf("niceMax(%v) = %v", v, m)
		}
	}
}
