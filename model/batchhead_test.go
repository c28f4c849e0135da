package model

import (
	"fmt"
	"testing"

	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/kvcache"
)

// TestBatchedDecodeHeads: six sequences prefilled in one batch and decoded
// together produce, bit for bit, the logits each produces alone, with the
// f16 head and with the q8 head (both multiply tiles of four tokens when a
// step has four or more).
func TestBatchedDecodeHeads(t *testing.T) {
	for _, q8 := range []bool{false, true} {
		t.Run(fmt.Sprintf("q8=%v", q8), func(t *testing.T) {
			f, err := defaultmodel.Open()
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(f, Options{Threads: 2, HeadQ8: q8})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			V := m.Config.VocabSize
			prompts := [][]int32{
				kjvPrompt,
				{8000, 3112, 279, 445, 4373, 1071, 653, 998, 386},
				{8000, 644, 279, 7314},
				{791, 4775},
				{644, 279, 7314, 4359, 3549, 279, 2070},
				{3112},
			}
			const steps = 3
			want := make([][][]float32, len(prompts))
			for i, p := range prompts {
				st, _ := m.NewState(64, 64)
				l, err := m.Forward(st, p, false)
				if err != nil {
					t.Fatal(err)
				}
				want[i] = append(want[i], append([]float32(nil), l...))
				for range steps {
					if l, err = m.Forward(st, []int32{argmax(l)}, false); err != nil {
						t.Fatal(err)
					}
					want[i] = append(want[i], append([]float32(nil), l...))
				}
			}
			pool, err := kvcache.NewPool(m.KVConfig(4, 256, kvcache.F16))
			if err != nil {
				t.Fatal(err)
			}
			st, err := m.NewStateOpts(StateOptions{SeqLen: 64, MaxBatch: 64, Shared: true})
			if err != nil {
				t.Fatal(err)
			}
			seqs := make([]*kvcache.Seq, len(prompts))
			b := &Batch{}
			for i, p := range prompts {
				seqs[i] = pool.NewSeq(64)
				for j, tk := range p {
					b.Tokens, b.Seqs = append(b.Tokens, tk), append(b.Seqs, seqs[i])
					b.Logits = append(b.Logits, j == len(p)-1)
				}
			}
			for step := 0; step <= steps; step++ {
				got, err := m.ForwardBatch(st, b)
				if err != nil {
					t.Fatal(err)
				}
				*b = Batch{}
				for i := range prompts {
					same(t, fmt.Sprintf("step %d sequence %d", step, i), got[i*V:(i+1)*V], want[i][step])
					b.Tokens, b.Seqs = append(b.Tokens, argmax(want[i][step])), append(b.Seqs, seqs[i])
					b.Logits = append(b.Logits, true)
				}
			}
		})
	}
}
