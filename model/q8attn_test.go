package model

import (
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/kvcache"
)

// TestPrefillEqualsDecodeQ8: with a q8 KV cache too, the whole prompt in
// one step and the same prompt in pieces (then one token at a time) give
// bit-identical logits at every position, on every kernel set: the q8
// attention kernels' outputs do not depend on how rows, heads or key
// blocks are grouped.
func TestPrefillEqualsDecodeQ8(t *testing.T) {
	m := loadEmbedded(t, 2)
	V := m.Config.VocabSize
	// 42 tokens: three 16-row query blocks in one step, key blocks of 16
	// that start inside a block when the prompt comes in pieces.
	prompt := slices.Concat(kjvPrompt, kjvPrompt, kjvPrompt)
	opts := StateOptions{SeqLen: 64, MaxBatch: 64, KVType: kvcache.Q8}
	names, avail := kernels.Implementations()
	defer kernels.Select("auto")
	for i, name := range names {
		if !avail[i] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if err := kernels.Select(name); err != nil {
				t.Fatal(err)
			}
			batch, err := m.NewStateOpts(opts)
			if err != nil {
				t.Fatal(err)
			}
			all, err := m.Forward(batch, prompt, true)
			if err != nil {
				t.Fatal(err)
			}
			all = append([]float32(nil), all...)
			for _, split := range [][]int{{1}, {5}, {5, 37}, {19, 3, 17}} {
				st, err := m.NewStateOpts(opts)
				if err != nil {
					t.Fatal(err)
				}
				for i, step := 0, 0; i < len(prompt); step++ {
					n := 1
					if step < len(split) {
						n = split[step]
					}
					got, err := m.Forward(st, prompt[i:i+n], true)
					if err != nil {
						t.Fatal(err)
					}
					for j := range n {
						row, want := got[j*V:(j+1)*V], all[(i+j)*V:(i+j+1)*V]
						for k := range row {
							if row[k] != want[k] {
								t.Fatalf("split %v: position %d logit %d: in pieces %v, whole prompt %v", split, i+j, k, row[k], want[k])
							}
						}
					}
					i += n
				}
			}
		})
	}
}

// TestForwardQ8AllocatesNothing: decoding and prefill with a q8 cache
// allocate nothing either.
func TestForwardQ8AllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	m := loadEmbedded(t, 2)
	st, err := m.NewStateOpts(StateOptions{SeqLen: 512, MaxBatch: 16, KVType: kvcache.Q8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forward(st, kjvPrompt, false); err != nil {
		t.Fatal(err)
	}
	tok := []int32{279}
	if allocs := testing.AllocsPerRun(50, func() {
		if _, err := m.Forward(st, tok, false); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("decoding one token allocates %v times, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(5, func() {
		st.Truncate(len(kjvPrompt))
		if _, err := m.Forward(st, kjvPrompt[:12], true); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("a 12-token prefill allocates %v times, want 0", allocs)
	}
}
