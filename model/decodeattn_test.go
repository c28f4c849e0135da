package model

import (
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/synth"
	"github.com/bitnet-go/bitnet/kvcache"
)

// TestDecodeAttentionSplits: a lone decoded row splits its scores by key
// ranges and its value sums by 64-column ranges over the pool
// (decodeAttentionJob); every logit must still equal the whole prompt's,
// bit for bit, with f16 and q8 caches. The model has 128-dimension heads
// (two column ranges) and three threads (several key ranges past 64
// positions).
func TestDecodeAttentionSplits(t *testing.T) {
	p := synth.Presets["tiny"]
	p.Name, p.Layers, p.Heads, p.KVHeads = "hd128", 2, 2, 1
	path := filepath.Join(t.TempDir(), "hd128.gguf")
	if _, err := synth.WriteFile(path, synth.Options{Preset: p, Type: gguf.TypeI2_S, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Load(f, Options{Threads: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config.HeadDim != 128 {
		t.Fatalf("head dim %d, want 128", m.Config.HeadDim)
	}
	prompt := make([]int32, 90)
	for i := range prompt {
		prompt[i] = int32(i*7919%8000 + 1)
	}
	V := m.Config.VocabSize
	for _, typ := range []kvcache.Type{kvcache.F16, kvcache.Q8} {
		whole, err := m.NewStateOpts(StateOptions{SeqLen: 128, MaxBatch: 128, KVType: typ})
		if err != nil {
			t.Fatal(err)
		}
		all, err := m.Forward(whole, prompt, true)
		if err != nil {
			t.Fatal(err)
		}
		all = append([]float32(nil), all...)
		st, _ := m.NewStateOpts(StateOptions{SeqLen: 128, MaxBatch: 128, KVType: typ})
		for i, tok := range prompt {
			got, err := m.Forward(st, []int32{tok}, true)
			if err != nil {
				t.Fatal(err)
			}
			want := all[i*V : (i+1)*V]
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("%v cache, position %d logit %d: decoded %v, prompt %v", typ, i, k, got[k], want[k])
				}
			}
		}
	}
}
