package model

import (
	"errors"
	"testing"

	"github.com/bitnet-go/bitnet/kvcache"
)

// TestForwardBatchMatchesSingle: sequences stepped together in one batch
// (a prefill chunk beside decode rows) get exactly the logits they get when
// run alone, and prefix-shared blocks give the same logits as recomputing.
func TestForwardBatchMatchesSingle(t *testing.T) {
	m := loadEmbedded(t, 2)
	V := m.Config.VocabSize
	prompts := [][]int32{
		kjvPrompt,
		{8000, 3112, 279, 445, 4373, 1071, 653, 998, 386},
		{8000, 644, 279, 7314, 4359, 3549}, // shares a prefix with kjvPrompt
	}
	want := aloneLogits(t, m, prompts, 3)

	for _, typ := range []kvcache.Type{kvcache.F16} {
		pool, err := kvcache.NewPool(m.KVConfig(4, 64, typ))
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.NewStateOpts(StateOptions{SeqLen: 64, MaxBatch: 32, Shared: true})
		if err != nil {
			t.Fatal(err)
		}
		seqs := make([]*kvcache.Seq, len(prompts))
		for i := range seqs {
			seqs[i] = pool.NewSeq(64)
		}
		// Step 1: prompt 0 whole, prompt 1 partly.
		b := &Batch{}
		add := func(seq *kvcache.Seq, toks []int32, lastLogits bool) {
			for i, tk := range toks {
				b.Tokens = append(b.Tokens, tk)
				b.Seqs = append(b.Seqs, seq)
				b.Logits = append(b.Logits, lastLogits && i == len(toks)-1)
			}
		}
		add(seqs[0], prompts[0], true)
		add(seqs[1], prompts[1][:4], false)
		got, err := m.ForwardBatch(st, b)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "prompt 0 prefill", got[:V], want[0][0])
		seqs[0].Publish(prompts[0])

		// Step 2: prompt 0 decodes, prompt 1 finishes, prompt 2 attaches
		// the shared prefix and prefills the rest.
		tok0 := argmax(want[0][0])
		if n := seqs[2].AttachPrefix(prompts[2]); n != 4 {
			t.Fatalf("prompt 2 attached %d positions, want 4", n)
		}
		*b = Batch{}
		add(seqs[0], []int32{tok0}, true)
		add(seqs[1], prompts[1][4:], true)
		add(seqs[2], prompts[2][4:], true)
		got, err = m.ForwardBatch(st, b)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "prompt 0 decode 1", got[:V], want[0][1])
		same(t, "prompt 1 prefill", got[V:2*V], want[1][0])
		same(t, "prompt 2 prefill after shared prefix", got[2*V:3*V], want[2][0])

		// Step 3: all three decode together.
		*b = Batch{}
		toks := []int32{argmax(want[0][1]), argmax(want[1][0]), argmax(want[2][0])}
		for i := range seqs {
			add(seqs[i], toks[i:i+1], true)
		}
		got, err = m.ForwardBatch(st, b)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "prompt 0 decode 2", got[:V], want[0][2])
		same(t, "prompt 1 decode 1", got[V:2*V], want[1][1])
		same(t, "prompt 2 decode 1", got[2*V:3*V], want[2][1])

		// Errors: non-adjacent rows of one sequence; a full pool.
		*b = Batch{}
		add(seqs[0], []int32{1}, false)
		add(seqs[1], []int32{1}, false)
		add(seqs[0], []int32{1}, true)
		if _, err := m.ForwardBatch(st, b); err == nil {
			t.Error("non-adjacent rows of one sequence accepted")
		}
		big := pool.NewSeq(64)
		*b = Batch{}
		add(big, make([]int32, 32), true)
		if err := pool.NewSeq(1).Reserve(pool.Available() * 4); err != nil {
			t.Fatal(err) // fill the pool
		}
		if _, err := m.ForwardBatch(st, b); !errors.Is(err, kvcache.ErrNoSpace) {
			t.Errorf("full pool: %v, want ErrNoSpace", err)
		}
	}
}

// aloneLogits runs each prompt alone on its own State: the logits of its
// last token, then those of steps greedy decoding steps.
func aloneLogits(t *testing.T, m *Model, prompts [][]int32, steps int) [][][]float32 {
	t.Helper()
	want := make([][][]float32, len(prompts))
	for i, p := range prompts {
		st, err := m.NewState(64, 64)
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.Forward(st, p, false)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = append(want[i], append([]float32(nil), l...))
		for range steps {
			tok := argmax(l)
			if l, err = m.Forward(st, []int32{tok}, false); err != nil {
				t.Fatal(err)
			}
			want[i] = append(want[i], append([]float32(nil), l...))
		}
	}
	return want
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: logit %d = %v, alone %v", what, i, got[i], want[i])
		}
	}
}

// TestQ8Cache: the q8 cache stays close to f16 on kjv-tiny (its perplexity
// cost is measured in docs).
func TestQ8Cache(t *testing.T) {
	m := loadEmbedded(t, 2)
	f16, _ := m.NewState(64, 64)
	q8, err := m.NewStateOpts(StateOptions{SeqLen: 64, MaxBatch: 64, KVType: kvcache.Q8})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.Forward(f16, kjvPrompt, true)
	a = append([]float32(nil), a...)
	b, _ := m.Forward(q8, kjvPrompt, true)
	V := m.Config.VocabSize
	agree := 0
	for p := range len(kjvPrompt) {
		if argmax(a[p*V:(p+1)*V]) == argmax(b[p*V:(p+1)*V]) {
			agree++
		}
	}
	if agree < len(kjvPrompt)-1 {
		t.Errorf("q8 cache changes the top token at %d of %d positions", len(kjvPrompt)-agree, len(kjvPrompt))
	}
	if q8.KVBytes() >= f16.KVBytes() {
		t.Errorf("q8 cache %d bytes, not smaller than f16 %d", q8.KVBytes(), f16.KVBytes())
	}
}
