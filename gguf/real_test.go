package gguf

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/internal/shareddata"
)

// TestRealModels opens every model of the crossval sets (which include the
// kjv-tiny files) and checks its metadata against reference.json, its
// tensor table against the 2B-4T layout and every tensor's data range.
func TestRealModels(t *testing.T) {
	dir := shareddata.Path(t)
	refs, err := filepath.Glob(filepath.Join(dir, "crossval", "*", "reference.json"))
	if err != nil || len(refs) == 0 {
		t.Fatalf("no crossval sets in %s: %v", dir, err)
	}
	for _, ref := range refs {
		var meta struct {
			Model, Arch, Type string
			Shape             struct {
				Layers int `json:"num_hidden_layers"`
			}
		}
		raw, err := os.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		path := filepath.Join(filepath.Dir(ref), meta.Model)
		t.Run(filepath.Base(filepath.Dir(ref)), func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Version != 3 || f.Alignment != 32 || f.DataOffset%32 != 0 {
				t.Errorf("version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
			}
			arch, err := f.String("general.architecture")
			if err != nil || arch != meta.Arch {
				t.Fatalf("general.architecture = %q, %v; want %q", arch, err, meta.Arch)
			}
			layers, err := f.Uint(arch + ".block_count")
			if err != nil || int(layers) != meta.Shape.Layers {
				t.Fatalf("block_count = %d, %v; want %d", layers, err, meta.Shape.Layers)
			}
			// token_embd, output_norm, and 11 tensors per layer (tied head).
			if want := 2 + 11*int(layers); len(f.Tensors) != want {
				t.Errorf("%d tensors, want %d", len(f.Tensors), want)
			}
			q, ok := f.Tensor("blk.0.attn_q.weight")
			if !ok || !strings.EqualFold(q.Type.String(), meta.Type) {
				t.Errorf("blk.0.attn_q.weight = %+v, want type %s", q, meta.Type)
			}
			if e, ok := f.Tensor("token_embd.weight"); !ok || e.Type != TypeF16 {
				t.Errorf("token_embd.weight = %+v, want F16", e)
			}
			vocab, err := f.Strings("tokenizer.ggml.tokens")
			if err != nil || len(vocab) != 8256 {
				t.Errorf("tokenizer.ggml.tokens: %d entries, %v; want 8256", len(vocab), err)
			}
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				want, err := TensorSize(ti.Type, ti.Dims)
				if err != nil || want != ti.Size {
					t.Fatalf("tensor %q size %d, TensorSize %d, %v", ti.Name, ti.Size, want, err)
				}
				b, err := f.TensorData(ti)
				if err != nil || uint64(len(b)) != ti.Size {
					t.Fatalf("TensorData(%q) = %d bytes, %v; want %d", ti.Name, len(b), err, ti.Size)
				}
			}
			checkRewrite(t, path, f)
		})
	}
}

// checkRewrite rewrites f with the Writer. Files written by llama-quantize
// lay tensors out exactly as the Writer does, so the result must equal the
// original byte for byte.
func checkRewrite(t *testing.T, path string, f *File) {
	t.Helper()
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := rewrite(t, f)
	if !bytes.Equal(got, orig) {
		n := 0
		for n < min(len(got), len(orig)) && got[n] == orig[n] {
			n++
		}
		t.Fatalf("rewritten file (%d bytes) differs from the original (%d bytes) at offset %d", len(got), len(orig), n)
	}
}

// rewrite writes f's metadata and tensors again with a Writer.
func rewrite(t testing.TB, f *File) []byte {
	t.Helper()
	w := NewWriter()
	if err := w.CopyFrom(f, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRealVocabOnly reads a vocabulary-only GGUF (no tensors). Its writer
// put no padding after the header, so DataOffset lies past the end of the
// file, which must be accepted.
func TestRealVocabOnly(t *testing.T) {
	path := filepath.Join(shareddata.Path(t), "data", "tokenizer-tests", "ggml-vocab-llama-spm.gguf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for mode, f := range readModes(t, b) {
		t.Run(mode, func(t *testing.T) {
			if arch, err := f.String("general.architecture"); arch != "llama" || err != nil {
				t.Errorf("general.architecture = %q, %v", arch, err)
			}
			if len(f.Tensors) != 0 {
				t.Errorf("%d tensors, want 0", len(f.Tensors))
			}
			tokens, err := f.Strings("tokenizer.ggml.tokens")
			if err != nil || len(tokens) != 32000 || tokens[0] != "<unk>" {
				t.Errorf("tokens: %d, %v", len(tokens), err)
			}
			scores, err := f.Float32s("tokenizer.ggml.scores")
			if err != nil || len(scores) != 32000 {
				t.Errorf("scores: %d, %v", len(scores), err)
			}
			types, err := f.Int32s("tokenizer.ggml.token_type")
			if err != nil || len(types) != 32000 || types[0] != 2 {
				t.Errorf("token_type: %d, %v", len(types), err)
			}
			if add, err := f.Bool("tokenizer.ggml.add_bos_token"); !add || err != nil {
				t.Errorf("add_bos_token = %v, %v", add, err)
			}
		})
	}
}

func TestReadFileMatchesOpen(t *testing.T) {
	path := filepath.Join(shareddata.Path(t), "models", "kjv-tiny", "kjv-tiny-i2_s.gguf")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tensors) != len(b.Tensors) || len(a.KV) != len(b.KV) {
		t.Fatalf("ReadFile: %d tensors %d keys, Open: %d and %d", len(b.Tensors), len(b.KV), len(a.Tensors), len(a.KV))
	}
	for i := range a.Tensors {
		da, _ := a.TensorData(&a.Tensors[i])
		db, err := b.TensorData(&b.Tensors[i])
		if err != nil || !bytes.Equal(da, db) {
			t.Fatalf("tensor %s differs (%v)", a.Tensors[i].Name, err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.gguf")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}
