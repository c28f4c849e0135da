package convert

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/testutil"
	"github.com/bitnet-go/bitnet/safetensors"
)

// TestBadInput checks that each kind of bad input gets one clear error
// naming the file, tensor or field, and that nothing is left behind.
func TestBadInput(t *testing.T) {
	nan := tensor{safetensors.BF16, []int64{512, 256}, func(w io.Writer) error {
		b := make([]byte, 512*256*2)
		b[2*1000], b[2*1000+1] = 0xc0, 0x7f // element 1000 is NaN
		_, err := w.Write(b)
		return err
	}}
	tests := []struct {
		name   string
		synth  func(s *synth)
		mangle func(t *testing.T, dir string)
		typ    gguf.Type
		want   []string
	}{
		{name: "missing config", mangle: remove("config.json"), want: []string{"config.json", "no such file"}},
		{name: "missing weights", mangle: remove("model.safetensors"), want: []string{"model.safetensors", "model.safetensors.index.json"}},
		{name: "missing tokenizer", mangle: remove("tokenizer.json"), want: []string{"no tokenizer.json or tokenizer.model"}},
		{name: "unknown architecture", synth: func(s *synth) { s.config = map[string]any{"architectures": []string{"GPT2LMHeadModel"}} },
			want: []string{"config.json", `unknown architecture "GPT2LMHeadModel"`}},
		{name: "missing field", synth: func(s *synth) { s.config = map[string]any{"hidden_size": nil} }, want: []string{"config.json", "hidden_size"}},
		{name: "bad activation", synth: func(s *synth) { s.config = map[string]any{"hidden_act": "gelu"} }, want: []string{"hidden_act", "gelu"}},
		{name: "row not multiple of 128", synth: func(s *synth) { s.ff = 320 }, typ: gguf.TypeI2_S,
			want: []string{`"model.layers.0.mlp.down_proj.weight"`, "row length 320", "multiple of 128", "--type f16"}},
		{name: "tq row not multiple of 256", synth: func(s *synth) { s.ff = 384 }, typ: gguf.TypeTQ2_0,
			want: []string{`"model.layers.0.mlp.down_proj.weight"`, "row length 384", "--type i2_s or f16"}},
		{name: "shape mismatch", synth: func(s *synth) {
			s.override = map[string]tensor{"model.layers.1.self_attn.k_proj.weight": {safetensors.BF16, []int64{64, 256}, zeros(64 * 256 * 2)}}
		}, want: []string{`"model.layers.1.self_attn.k_proj.weight"`, "shape [64 256]", "want [128 256]"}},
		{name: "dtype mismatch", synth: func(s *synth) {
			s.override = map[string]tensor{"model.norm.weight": {safetensors.I32, []int64{256}, zeros(256 * 4)}}
		}, want: []string{`"model.norm.weight"`, "dtype I32"}},
		{name: "missing tensor", synth: func(s *synth) { s.skipTensors = map[string]bool{"model.layers.1.mlp.ffn_sub_norm.weight": true} },
			want: []string{`"model.layers.1.mlp.ffn_sub_norm.weight" is missing`}},
		{name: "packed without scale", synth: func(s *synth) {
			s.override = map[string]tensor{"model.layers.0.mlp.up_proj.weight": {safetensors.U8, []int64{128, 256}, zeros(128 * 256)}}
		}, want: []string{`"model.layers.0.mlp.up_proj.weight_scale" is missing`}},
		{name: "non-finite weight", synth: func(s *synth) { s.override = map[string]tensor{"model.layers.1.mlp.gate_proj.weight": nan} },
			want: []string{`"model.layers.1.mlp.gate_proj.weight"`, "non-finite value NaN at element 1000"}},
		{name: "truncated safetensors", mangle: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			st, _ := os.Stat(p)
			if err := os.Truncate(p, st.Size()-10); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"model.safetensors", "run past the end of the data section", "truncated"}},
		{name: "malformed header", mangle: func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, "model.safetensors"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte("[[["), 8)
			f.Close()
		}, want: []string{"model.safetensors", "malformed", "does not start with '{'"}},
		{name: "bad tokenizer", mangle: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{"model":{"type":"Unigram"}}`), 0o644)
		}, want: []string{"tokenizer.json", `model type "Unigram"`}},
		{name: "vocab size mismatch", synth: func(s *synth) { s.config = map[string]any{"vocab_size": 200} },
			want: []string{"tokenizer.json", "outside config.json vocab_size 200"}},
		{name: "bad linear class", synth: func(s *synth) {
			s.config = map[string]any{"quantization_config": map[string]any{"linear_class": "foo"}}
			s.override = map[string]tensor{"model.layers.0.mlp.up_proj.weight": {safetensors.U8, []int64{128, 256}, zeros(128 * 256)}}
			s.extra = []safetensors.NewTensor{{Name: "model.layers.0.mlp.up_proj.weight_scale", DType: safetensors.F32, Shape: []int64{1}, Data: safetensors.Bytes(f32le(1))}}
		}, want: []string{"linear_class", `"foo"`}},
		{name: "packed code 3", synth: func(s *synth) {
			s.override = map[string]tensor{"model.layers.0.mlp.up_proj.weight": {safetensors.U8, []int64{128, 256}, func(w io.Writer) error {
				b := make([]byte, 128*256)
				for i := range b {
					b[i] = 0x55
				}
				b[300] = 0x57 // row 0·P+1, column 44: code 3
				_, err := w.Write(b)
				return err
			}}}
			s.extra = []safetensors.NewTensor{{Name: "model.layers.0.mlp.up_proj.weight_scale", DType: safetensors.F32, Shape: []int64{1}, Data: safetensors.Bytes(f32le(1))}}
		}, want: []string{`"model.layers.0.mlp.up_proj.weight"`, "packed code 3", "row 1, column 44"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := small()
			if tt.synth != nil {
				tt.synth(s)
			}
			dir := t.TempDir()
			s.write(t, dir)
			if tt.mangle != nil {
				tt.mangle(t, dir)
			}
			typ := tt.typ
			if typ == 0 {
				typ = gguf.TypeI2_S
			}
			outDir := t.TempDir()
			_, err := Convert(context.Background(), dir, filepath.Join(outDir, "out.gguf"), Options{Type: typ})
			if err == nil {
				t.Fatalf("Convert succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
				t.Errorf("failed conversion left %d file(s) behind", len(ents))
			}
		})
	}
}

func remove(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func zeros(n int) func(io.Writer) error { return safetensors.Bytes(make([]byte, n)) }

// TestWriteFailureLeavesNothing injects a write failure at several points
// and checks that Convert stops with that error, leaves no file in the
// output directory and keeps an existing output untouched.
func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	small().write(t, dir)
	for _, n := range []int{0, 100, 100_000, 300_000} {
		outDir := t.TempDir()
		out := filepath.Join(outDir, "out.gguf")
		if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Convert(context.Background(), dir, out, Options{Type: gguf.TypeI2_S,
			wrap: func(w io.Writer) io.Writer { return &testutil.LimitWriter{W: w, N: n} }})
		if !errors.Is(err, testutil.ErrWriteLimit) {
			t.Errorf("fail after %d bytes: error %v, want the injected one", n, err)
		}
		ents, _ := os.ReadDir(outDir)
		if b, _ := os.ReadFile(out); len(ents) != 1 || string(b) != "old" {
			t.Errorf("fail after %d bytes: directory holds %d entries, out.gguf has %d bytes", n, len(ents), len(b))
		}
	}
}

// TestCancel cancels a conversion from its progress callback, as an
// interrupt does, and checks that nothing is left behind.
func TestCancel(t *testing.T) {
	dir := t.TempDir()
	small().write(t, dir)
	outDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	_, err := Convert(ctx, dir, filepath.Join(outDir, "out.gguf"), Options{Type: gguf.TypeI2_S,
		Progress: func(done, total int64) {
			if calls++; done > total/2 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 || calls == 0 {
		t.Errorf("cancelled conversion left %d file(s); %d progress calls", len(ents), calls)
	}
}

// TestVerifyDetectsCorruption corrupts one code of a written file and
// checks that verification names the tensor and element.
func TestVerifyDetectsCorruption(t *testing.T) {
	dir := t.TempDir()
	small().write(t, dir)
	cfg, spec, err := loadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	v, err := loadVocab(dir, spec, cfg, "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(cfg, spec, ck, nil, v, gguf.TypeI2_S, "m")
	if err != nil {
		t.Fatal(err)
	}
	out := mustConvert(t, dir, Options{Type: gguf.TypeI2_S, Name: "m"})
	if err := verify(context.Background(), out, "out", p, ck); err != nil {
		t.Fatalf("verify of a good file: %v", err)
	}
	f, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	ti, _ := f.Tensor("blk.1.ffn_up.weight")
	off := int64(f.DataOffset + ti.Offset + 5)
	f.Close()
	fh, err := os.OpenFile(out, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	fh.ReadAt(b[:], off)
	b[0] ^= 0x40 // flip element 5+32 of block 0 between codes 0 and 1, or 2 and 3... keep it ternary:
	if b[0]>>6&3 == 3 {
		b[0] ^= 0xc0
	}
	fh.WriteAt(b[:], off)
	fh.Close()
	err = verify(context.Background(), out, "out", p, ck)
	if err == nil || !strings.Contains(err.Error(), `"blk.1.ffn_up.weight"`) || !strings.Contains(err.Error(), "element 5 ") {
		t.Errorf("verify of a corrupted file: %v", err)
	}
}
