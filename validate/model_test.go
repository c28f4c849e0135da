package validate

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/internal/gguftest"
	"github.com/bitnet-go/bitnet/model"
)

// dataOffset returns the absolute offset of a tensor's data.
func dataOffset(t *testing.T, b []byte, name string) int {
	t.Helper()
	f, err := gguf.FromBytes(b, "x")
	if err != nil {
		t.Fatal(err)
	}
	ti, ok := f.Tensor(name)
	if !ok {
		t.Fatalf("no tensor %q", name)
	}
	return int(f.DataOffset + ti.Offset)
}

// without rebuilds the embedded model without the metadata key drop.
func without(t *testing.T, drop string) []byte {
	t.Helper()
	f, err := defaultmodel.Open()
	if err != nil {
		t.Fatal(err)
	}
	w := gguf.NewWriter()
	if err := w.CopyFrom(f, func(key string) bool { return key != drop }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGoodModel(t *testing.T) {
	r := Bytes(defaultmodel.Bytes(), defaultmodel.Name, Options{Context: 512})
	for _, f := range r.Findings {
		t.Log(f)
		if f.Status != Pass {
			t.Errorf("unexpected finding on the embedded model: %v", f)
		}
	}
	for _, check := range []string{"container", "metadata", "types", "tensors", "i2s", "nan", "tokenizer", "memory", "forward"} {
		found := false
		for _, f := range r.Findings {
			found = found || f.Check == check
		}
		if !found {
			t.Errorf("no %s finding", check)
		}
	}
	if r.ExitCode() != 0 {
		t.Errorf("exit code %d", r.ExitCode())
	}
}

// TestCorruptModels checks that each corruption is reported by the check
// responsible for it, naming the object at fault.
func TestCorruptModels(t *testing.T) {
	orig := defaultmodel.Bytes()
	type want struct{ check, object, msg string }
	cases := []struct {
		name   string
		build  func(t *testing.T) []byte
		want   []want
		absent []string // checks that must not fail
	}{
		{"truncated", func(t *testing.T) []byte { return bytes.Clone(orig[:len(orig)/2]) },
			[]want{{"container", "", "token_embd.weight"}}, nil},
		{"truncated header", func(t *testing.T) []byte { return bytes.Clone(orig[:1000]) },
			[]want{{"container", "", ""}}, nil},
		{"flipped type id", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "blk.2.ffn_up.weight", 2):], uint32(gguf.TypeTQ2_0))
			return b
		}, []want{{"tensors", "blk.2.ffn_up.weight", "TQ2_0"}}, nil},
		{"unsupported type id", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			binary.LittleEndian.PutUint32(b[gguftest.TypeFieldOffset(t, b, "blk.0.attn_v.weight", 2):], uint32(gguf.TypeTL2))
			return b
		}, []want{{"types", "blk.0.attn_v.weight", "TL2"}, {"tensors", "blk.0.attn_v.weight", "TL2"}}, nil},
		{"NaN in a norm", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			off := dataOffset(t, b, "blk.1.attn_norm.weight")
			binary.LittleEndian.PutUint32(b[off+4*3:], math.Float32bits(float32(math.NaN())))
			return b
		}, []want{{"nan", "blk.1.attn_norm.weight", "1 NaN and 0 infinite values (first at element 3)"}, {"tensors", "blk.1.attn_norm.weight", "NaN"}},
			[]string{"i2s", "tokenizer", "metadata"}},
		{"Inf in the embedding", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			off := dataOffset(t, b, "token_embd.weight")
			binary.LittleEndian.PutUint16(b[off+2*100:], 0x7c00)
			return b
		}, []want{{"nan", "token_embd.weight", "0 NaN and 1 infinite values (first at element 100)"}}, []string{"tensors"}},
		{"code 3 in I2_S", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			b[dataOffset(t, b, "blk.4.attn_output.weight")+7] = 0xFF
			return b
		}, []want{{"i2s", "blk.4.attn_output.weight", "3"}, {"tensors", "blk.4.attn_output.weight", ""}},
			[]string{"nan", "tokenizer"}},
		{"bad I2_S scale", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			off := dataOffset(t, b, "blk.3.ffn_down.weight")
			binary.LittleEndian.PutUint32(b[off+768*256/4:], math.Float32bits(-1))
			return b
		}, []want{{"i2s", "blk.3.ffn_down.weight", "scale"}}, nil},
		{"missing EOS key", func(t *testing.T) []byte { return without(t, "tokenizer.ggml.eos_token_id") },
			[]want{{"tokenizer", "tokenizer.ggml.eos_token_id", "no EOS"}}, []string{"tensors", "forward", "nan"}},
		{"missing tokens key", func(t *testing.T) []byte { return without(t, "tokenizer.ggml.tokens") },
			[]want{{"tokenizer", "tokenizer.ggml.tokens", "missing"}}, []string{"tensors", "forward"}},
		{"missing block count", func(t *testing.T) []byte { return without(t, "bitnet-b1.58.block_count") },
			[]want{{"metadata", "bitnet-b1.58.block_count", "block_count"}}, nil},
		{"special id out of range", func(t *testing.T) []byte {
			b := bytes.Clone(orig)
			key := "tokenizer.ggml.bos_token_id"
			i := bytes.Index(b, []byte(key))
			binary.LittleEndian.PutUint32(b[i+len(key)+4:], 99999)
			return b
		}, []want{{"tokenizer", "tokenizer.ggml.bos_token_id", "out of range"}}, []string{"tensors"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Bytes(tc.build(t), "corrupt.gguf", Options{})
			if r.Worst() != Fail || r.ExitCode() != 2 {
				t.Errorf("worst %v, exit %d; want fail, 2", r.Worst(), r.ExitCode())
			}
			for _, w := range tc.want {
				ok := false
				for _, f := range r.Findings {
					ok = ok || f.Status == Fail && f.Check == w.check &&
						(w.object == "" || f.Object == w.object || strings.Contains(f.Message, w.object)) &&
						strings.Contains(f.Message, w.msg)
				}
				if !ok {
					t.Errorf("no %s failure about %q mentioning %q", w.check, w.object, w.msg)
				}
			}
			for _, c := range tc.absent {
				for _, f := range r.Findings {
					if f.Check == c && f.Status == Fail {
						t.Errorf("unexpected %s failure: %v", c, f)
					}
				}
			}
			if t.Failed() || testing.Verbose() {
				for _, f := range r.Findings {
					t.Log(f)
				}
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	f, _ := defaultmodel.Open()
	c, err := model.NewConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// kjv-tiny: 6 layers, KV dim 64: 2 B × 2 × 6 × 512 × 64.
	e := Estimate(c, f.Size(), 512, 1, 1, "f16", "f16")
	if e.KV != 2*2*6*512*64 || e.Head != 0 || e.Total != e.Weights+e.KV+e.Scratch || e.Weights != f.Size() {
		t.Errorf("f16: %+v", e)
	}
	q := Estimate(c, f.Size(), 0, 1, 1, "q8", "q8")
	if q.Context != 2048 || q.KV != 2*6*2048*(64+4*2) || q.Head != 8256*256+4*8256 {
		t.Errorf("q8: %+v", q)
	}
}
