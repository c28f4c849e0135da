package sample

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// raceEnabled is set under -race, where allocation counts are not
// meaningful.
var raceEnabled bool

var nan = float32(math.NaN())
var inf = float32(math.Inf(1))

func TestGreedy(t *testing.T) {
	tests := []struct {
		name   string
		logits []float32
		want   int32
	}{
		{"simple", []float32{0, 3, 1}, 1},
		{"tie lowest id", []float32{1, 5, 2, 5}, 1},
		{"NaN first", []float32{nan, -1, -2}, 1},
		{"NaN never wins", []float32{1, nan, 2, nan}, 2},
		{"all NaN", []float32{nan, nan}, -1},
		{"empty", nil, -1},
		{"all -Inf", []float32{-inf, -inf}, 0},
		{"+Inf", []float32{1, inf, inf}, 1},
		{"negative", []float32{-3, -1, -2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Greedy(tt.logits); got != tt.want {
				t.Errorf("Greedy(%v) = %d, want %d", tt.logits, got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		p     Params
		field string
	}{
		{"zero value", Params{}, ""},
		{"typical", Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: -1, PresencePenalty: -2, FrequencyPenalty: 2}, ""},
		{"top_p disabled", Params{TopP: -1, TopK: -5}, ""},
		{"negative temperature", Params{Temperature: -0.1}, "Temperature"},
		{"NaN temperature", Params{Temperature: nan}, "Temperature"},
		{"Inf temperature", Params{Temperature: inf}, "Temperature"},
		{"top_p > 1", Params{TopP: 1.5}, "TopP"},
		{"top_p NaN", Params{TopP: nan}, "TopP"},
		{"min_p < 0", Params{MinP: -0.1}, "MinP"},
		{"min_p > 1", Params{MinP: 1.01}, "MinP"},
		{"repeat penalty < 0", Params{RepeatPenalty: -1}, "RepeatPenalty"},
		{"repeat penalty Inf", Params{RepeatPenalty: inf}, "RepeatPenalty"},
		{"repeat last n", Params{RepeatLastN: -2}, "RepeatLastN"},
		{"presence NaN", Params{PresencePenalty: nan}, "PresencePenalty"},
		{"frequency Inf", Params{FrequencyPenalty: -inf}, "FrequencyPenalty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Fatalf("Validate() = %v, want a ParamError for %s", err, tt.field)
			}
			t.Log(err)
		})
	}
}

func randomLogits(rng *rand.Rand, n int) []float32 {
	l := make([]float32, n)
	for i := range l {
		l[i] = float32(rng.NormFloat64() * 3)
	}
	return l
}

func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const vocab, steps = 1000, 50
	seq := make([][]float32, steps)
	for i := range seq {
		seq[i] = randomLogits(rng, vocab)
	}
	run := func(seed uint64) []int32 {
		s := New(Params{Temperature: 1.2, TopK: 100, TopP: 0.9, RepeatPenalty: 1.1, Seed: seed}, vocab)
		var hist []int32
		for _, l := range seq {
			hist = append(hist, s.Sample(l, hist))
		}
		return hist
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Errorf("same seed gave different tokens:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 42 and 43 gave the same %d tokens", steps)
	}
}

// chiSquare returns Σ (observed−expected)²/expected.
func chiSquare(counts []int, probs []float64, n int) float64 {
	var x float64
	for i, p := range probs {
		e := p * float64(n)
		d := float64(counts[i]) - e
		x += d * d / e
	}
	return x
}

func TestDistribution(t *testing.T) {
	probs := []float64{0.1, 0.2, 0.3, 0.4}
	logits := make([]float32, 4)
	for i, p := range probs {
		logits[i] = float32(math.Log(p)) + 7 // the offset must not matter
	}
	const n = 40000
	for _, tt := range []struct {
		name string
		p    Params
		want []float64
	}{
		{"T=1", Params{Temperature: 1, Seed: 7}, probs},
		// T=0.5 squares the probabilities: 1,4,9,16 over 30.
		{"T=0.5", Params{Temperature: 0.5, Seed: 8}, []float64{1. / 30, 4. / 30, 9. / 30, 16. / 30}},
		// top-p 0.65 keeps 0.4+0.3 (0.7 >= 0.65), renormalised.
		{"top-p", Params{Temperature: 1, TopP: 0.65, Seed: 9}, []float64{0, 0, 3. / 7, 4. / 7}},
		// min-p 0.5 keeps p >= 0.2.
		{"min-p", Params{Temperature: 1, MinP: 0.5, Seed: 10}, []float64{0, 2. / 9, 3. / 9, 4. / 9}},
		// top-k 3 drops token 0.
		{"top-k", Params{Temperature: 1, TopK: 3, Seed: 11}, []float64{0, 2. / 9, 3. / 9, 4. / 9}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.p, 4)
			counts := make([]int, 4)
			for range n {
				counts[s.Sample(logits, nil)]++
			}
			var ps []float64
			var cs []int
			for i, w := range tt.want {
				if w == 0 {
					if counts[i] != 0 {
						t.Errorf("token %d drawn %d times, want never", i, counts[i])
					}
					continue
				}
				ps, cs = append(ps, w), append(cs, counts[i])
			}
			// 3 degrees of freedom at most: P(χ² > 20) < 0.0002. The seed is
			// fixed, so this cannot flake.
			if x := chiSquare(cs, ps, n); x > 20 {
				t.Errorf("counts %v vs probabilities %v: χ² = %.1f", counts, tt.want, x)
			}
		})
	}
}

func TestTopKOneAndTinyTopPAreGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range 200 {
		l := randomLogits(rng, 500)
		if i%3 == 0 {
			// A tie at the top: the lowest id must win.
			j := Greedy(l)
			l[j/2] = l[j]
		}
		want := Greedy(l)
		for _, p := range []Params{
			{Temperature: 1, TopK: 1, Seed: uint64(i)},
			{Temperature: 5, TopP: 1e-6, Seed: uint64(i)},
			{Temperature: 5, TopK: 50, TopP: 1e-6, Seed: uint64(i)},
		} {
			if got := New(p, 500).Sample(l, nil); got != want {
				t.Fatalf("%+v: Sample = %d, want greedy %d", p, got, want)
			}
		}
		// Min-p 1 keeps only the maximum (all tied maxima, so only
		// without a tie).
		if i%3 != 0 {
			if got := New(Params{Temperature: 5, MinP: 1, Seed: uint64(i)}, 500).Sample(l, nil); got != want {
				t.Fatalf("min-p 1: Sample = %d, want greedy %d", got, want)
			}
		}
	}
}

// refFilter is the straightforward definition of filter: sort everything,
// then truncate for top-k, top-p and min-p in chain order.
func refFilter(p Params, l []float32) []cand {
	var c []cand
	for i, v := range l {
		if v == v {
			c = append(c, cand{int32(i), v})
		}
	}
	if len(c) == 0 {
		return nil
	}
	lmax := slices.MaxFunc(c, func(a, b cand) int { return -cmpCand(a, b) }).logit
	if math.IsInf(float64(lmax), -1) {
		return nil // Sample falls back to Greedy
	}
	sorted := p.TopK > 0 && p.TopK < len(c) || p.TopP > 0 && p.TopP < 1
	if sorted {
		slices.SortFunc(c, cmpCand)
	}
	if p.TopK > 0 && p.TopK < len(c) {
		c = c[:p.TopK]
	}
	if p.TopP > 0 && p.TopP < 1 {
		// The normaliser in id order, as filter sums it.
		var z float64
		if p.TopK > 0 && p.TopK < len(l) {
			for _, x := range c {
				z += math.Exp(float64(x.logit - lmax))
			}
		} else {
			for _, v := range l {
				if v == v {
					z += math.Exp(float64(v - lmax))
				}
			}
		}
		n, _ := topPLen(c, lmax, float64(p.TopP)*z)
		c = c[:n]
	}
	if p.MinP > 0 {
		cut := lmax + float32(math.Log(float64(p.MinP)))
		c = slices.DeleteFunc(c, func(x cand) bool { return x.logit < cut })
	}
	return c
}

func TestFilterMatchesReference(t *testing.T) {
	t.Run("binned", func(t *testing.T) { testFilterMatchesReference(t, 3000) })
	// A negative margin sorts too few tokens, so every top-p-only case
	// takes the full-sort fallback.
	defer func(m int) { topPMarginBins = m }(topPMarginBins)
	topPMarginBins = -1000
	t.Run("fallback", func(t *testing.T) { testFilterMatchesReference(t, 1000) })
}

func testFilterMatchesReference(t *testing.T, cases int) {
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range cases {
		vocab := 1 + rng.IntN(300)
		if i%50 == 0 {
			vocab = 20000 // wide enough to spread over many bins
		}
		l := randomLogits(rng, vocab)
		switch i % 5 {
		case 1: // coarse values: many ties
			for j := range l {
				l[j] = float32(math.Round(float64(l[j])))
			}
		case 2: // a peaked distribution, with a tail past the last bin
			for j := range l {
				l[j] *= 10
			}
		case 3: // NaNs and infinities
			l[rng.IntN(vocab)] = nan
			l[rng.IntN(vocab)] = -inf
		case 4: // nearly flat
			for j := range l {
				l[j] *= 0.01
			}
		}
		p := Params{Temperature: 1}
		if rng.IntN(2) == 0 {
			p.TopK = rng.IntN(vocab + 2)
		}
		if rng.IntN(2) == 0 {
			p.TopP = []float32{1e-6, 0.5, 0.9, 0.99, 0.9999999, 1}[rng.IntN(6)]
		}
		if rng.IntN(2) == 0 {
			p.MinP = []float32{1e-12, 0.01, 0.1, 0.5, 1}[rng.IntN(5)]
		}
		s := New(p, vocab)
		got := slices.Clone(s.filter(l))
		want := refFilter(p, l)
		if !(p.TopK > 0 && p.TopK < vocab) && !(p.TopP > 0 && p.TopP < 1) {
			slices.SortFunc(got, cmpCand) // unsorted result: compare as sets
			slices.SortFunc(want, cmpCand)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("case %d, %+v, vocab %d:\nfilter = %v\nref    = %v", i, p, vocab, got, want)
		}
	}
}

func TestFilterTopPTail(t *testing.T) {
	// One dominant token and a tail 16–17 nats below it: top-p 0.9999999
	// needs nearly all of the tail's mass.
	l := make([]float32, 100)
	for i := range l {
		l[i] = -16 - float32(i)*0.01
	}
	l[42] = 0
	for _, p := range []Params{
		{Temperature: 1, TopP: 0.9999999},
		{Temperature: 1, TopP: 0.99},
	} {
		got := New(p, len(l)).filter(l)
		want := refFilter(p, l)
		if !slices.Equal(got, want) {
			t.Fatalf("%+v: filter = %v\nwant %v", p, got, want)
		}
		t.Logf("top-p %v keeps %d tokens", p.TopP, len(got))
	}
}

func TestPenalties(t *testing.T) {
	base := []float32{2, -2, 0.5, 3, 0}
	tests := []struct {
		name string
		p    Params
		hist []int32
		want []float32
	}{
		{"repeat", Params{RepeatPenalty: 2}, []int32{0, 1, 1, 2, 4}, []float32{1, -4, 0.25, 3, 0}},
		{"repeat counts once", Params{RepeatPenalty: 2}, []int32{0, 0, 0}, []float32{1, -2, 0.5, 3, 0}},
		{"presence and frequency", Params{PresencePenalty: 0.5, FrequencyPenalty: 0.25}, []int32{1, 1, 3},
			[]float32{2, -2 - 0.5 - 0.5, 0.5, 3 - 0.25 - 0.5, 0}},
		{"all three", Params{RepeatPenalty: 2, PresencePenalty: 1, FrequencyPenalty: 1}, []int32{0, 0, 1},
			[]float32{1 - 2 - 1, -4 - 1 - 1, 0.5, 3, 0}},
		{"window", Params{RepeatPenalty: 2, RepeatLastN: 2}, []int32{0, 1, 2}, []float32{2, -4, 0.25, 3, 0}},
		{"whole history", Params{RepeatPenalty: 2, RepeatLastN: -1}, []int32{0, 1, 2}, []float32{1, -4, 0.25, 3, 0}},
		{"out of range ids ignored", Params{RepeatPenalty: 2}, []int32{-1, 5, 99, 3}, []float32{2, -2, 0.5, 1.5, 0}},
		{"penalty below 1 boosts", Params{RepeatPenalty: 0.5}, []int32{0, 1}, []float32{4, -1, 0.5, 3, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.p, len(base))
			l := slices.Clone(base)
			s.applyPenalties(l, tt.hist)
			if !slices.Equal(l, tt.want) {
				t.Errorf("penalised = %v, want %v", l, tt.want)
			}
			// The counts are cleared for the next call.
			for i, c := range s.count {
				if c != 0 {
					t.Fatalf("count[%d] = %d after the call", i, c)
				}
			}
		})
	}
	// The default window is 64 tokens.
	hist := append([]int32{0}, make([]int32, 64)...)
	for i := range hist[1:] {
		hist[1+i] = 4
	}
	s := New(Params{RepeatPenalty: 2}, len(base))
	l := slices.Clone(base)
	s.applyPenalties(l, hist)
	if l[0] != 2 {
		t.Errorf("token 0, 65 tokens back, was penalised: %v", l[0])
	}
}

func TestSamplePenaltyChangesGreedy(t *testing.T) {
	logits := []float32{1, 2, 1.5}
	s := New(Params{RepeatPenalty: 2}, 3)
	if got := s.Sample(logits, []int32{1}); got != 2 {
		t.Errorf("Sample = %d, want 2 (token 1 penalised to 1)", got)
	}
	if !slices.Equal(logits, []float32{1, 2, 1.5}) {
		t.Errorf("Sample modified logits: %v", logits)
	}
	if got := New(Params{}, 3).Sample(logits, []int32{1}); got != 1 {
		t.Errorf("Sample without penalty = %d, want 1", got)
	}
}

func TestSampleEdgeCases(t *testing.T) {
	p := Params{Temperature: 1, Seed: 1}
	if got := New(p, 3).Sample([]float32{nan, nan, nan}, nil); got != -1 {
		t.Errorf("all NaN: %d, want -1", got)
	}
	if got := New(p, 3).Sample([]float32{-inf, -inf, -inf}, nil); got != 0 {
		t.Errorf("all -Inf: %d, want 0", got)
	}
	s := New(p, 4)
	for range 100 {
		if got := s.Sample([]float32{0, inf, nan, inf}, nil); got != 1 && got != 3 {
			t.Fatalf("+Inf logits: drew %d", got)
		}
	}
	for range 100 {
		if got := s.Sample([]float32{nan, -inf, 5, nan}, nil); got != 2 {
			t.Fatalf("single finite logit: drew %d", got)
		}
	}
}

func TestSampleAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	const vocab = 5000
	l := randomLogits(rng, vocab)
	hist := make([]int32, 200)
	for i := range hist {
		hist[i] = int32(rng.IntN(vocab))
	}
	for _, p := range []Params{
		{},
		{Temperature: 0.8},
		{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1},
		{Temperature: 0.8, TopP: 0.9, RepeatLastN: -1, PresencePenalty: 0.5, FrequencyPenalty: 0.5},
		{Temperature: 0.8, MinP: 0.1},
	} {
		s := New(p, vocab)
		s.Sample(l, hist)
		if a := testing.AllocsPerRun(50, func() { s.Sample(l, hist) }); a != 0 {
			t.Errorf("%+v: %v allocations per Sample, want 0", p, a)
		}
	}
}

func BenchmarkSample(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	const vocab = 128256
	l := randomLogits(rng, vocab)
	hist := make([]int32, 512)
	for i := range hist {
		hist[i] = int32(rng.IntN(vocab))
	}
	for _, bc := range []struct {
		name string
		p    Params
	}{
		{"greedy", Params{}},
		{"temperature", Params{Temperature: 0.8}},
		{"topk40", Params{Temperature: 0.8, TopK: 40}},
		{"topp0.9", Params{Temperature: 0.8, TopP: 0.9}},
		{"llama.cpp-default", Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := New(bc.p, vocab)
			b.ReportAllocs()
			for b.Loop() {
				s.Sample(l, hist)
			}
		})
	}
}
