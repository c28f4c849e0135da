package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Top-p over the whole vocabulary sorts only the tokens that can matter. A
// histogram of probability mass by distance below the max logit, in bins of
// 1/binsPerNat nats (the last bin holds everything further down), shows
// where the cumulative mass reaches TopP; only tokens down to one bin past
// that point are sorted. The sorted walk still decides the cut exactly, and
// if it falls short the sort is redone over every token.
const (
	binsPerNat = 4
	nBins      = 128
)

// topPMarginBins is how many bins past the one where the mass reaches TopP
// are sorted. A variable so that tests can force the fallback.
var topPMarginBins = 2

// Sampler draws tokens for one sequence. Create it with New; it is not safe
// for concurrent use.
type Sampler struct {
	p     Params
	vocab int

	pcg rand.PCG
	rng *rand.Rand // draws from pcg

	penalize bool
	lastN    int       // penalty window; -1 = whole history
	logits   []float32 // (vocab) penalised copy of the caller's logits
	count    []int32   // (vocab) occurrences in the window; all zero between calls
	seen     []int32   // distinct tokens of the window; cap vocab

	cands []cand         // (vocab) candidate tokens
	probs []float64      // (vocab) unnormalised probabilities of the final candidates
	bins  [nBins]float64 // top-p mass histogram
}

// cand is a candidate token and its (penalised) logit.
type cand struct {
	id    int32
	logit float32
}

// New returns a Sampler for a vocabulary of vocabSize tokens, with its
// scratch buffers allocated and its RNG seeded from p.Seed. New does not
// validate p (see Params.Validate); out-of-range values act as documented
// on each field or, where undocumented, as disabled. It panics if
// vocabSize <= 0.
func New(p Params, vocabSize int) *Sampler {
	if vocabSize <= 0 {
		panic(fmt.Sprintf("sample: New: vocabulary size %d", vocabSize))
	}
	s := &Sampler{p: p, vocab: vocabSize}
	s.pcg.Seed(p.Seed, p.Seed^0x9e3779b97f4a7c15)
	s.rng = rand.New(&s.pcg)
	s.lastN = p.RepeatLastN
	if s.lastN == 0 {
		s.lastN = DefaultRepeatLastN
	}
	s.penalize = (p.RepeatPenalty != 1 && p.RepeatPenalty > 0) || p.PresencePenalty != 0 || p.FrequencyPenalty != 0
	if s.penalize {
		s.logits = make([]float32, vocabSize)
		s.count = make([]int32, vocabSize)
		s.seen = make([]int32, 0, vocabSize)
	}
	if p.Temperature > 0 {
		s.cands = make([]cand, vocabSize)
		s.probs = make([]float64, vocabSize)
	}
	return s
}

// Sample returns the next token for logits (length vocabSize) given the
// sequence so far, history (prompt and generated tokens; ids outside the
// vocabulary are ignored), which only the penalties read. It does not modify
// logits or history and allocates nothing. It returns -1 only when every
// logit is NaN, and panics if len(logits) != vocabSize.
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	if len(logits) != s.vocab {
		panic(fmt.Sprintf("sample: Sample: %d logits for a vocabulary of %d", len(logits), s.vocab))
	}
	l := logits
	if s.penalize {
		copy(s.logits, logits)
		s.applyPenalties(s.logits, history)
		l = s.logits
	}
	if !(s.p.Temperature > 0) || s.p.TopK == 1 {
		return Greedy(l)
	}
	c := s.filter(l)
	switch len(c) {
	case 0:
		return Greedy(l)
	case 1:
		return c[0].id
	}
	return s.draw(c)
}

// Greedy returns the index of the largest logit, the lowest index on ties.
// NaNs never win; it returns -1 if logits is empty or all NaN.
func Greedy(logits []float32) int32 {
	best := int32(-1)
	var bv float32
	for i, v := range logits {
		if v > bv || (best < 0 && v == v) {
			best, bv = int32(i), v
		}
	}
	return best
}

// applyPenalties applies the repetition, frequency and presence penalties
// to l in place, as llama.cpp's penalties sampler does: for every distinct
// token in the window, with c its count,
//
//	l = l <= 0 ? l·repeat : l/repeat
//	l -= c·frequency + presence
func (s *Sampler) applyPenalties(l []float32, history []int32) {
	win := history
	if s.lastN >= 0 && len(win) > s.lastN {
		win = win[len(win)-s.lastN:]
	}
	seen := s.seen[:0]
	for _, tok := range win {
		if tok < 0 || int(tok) >= s.vocab {
			continue
		}
		if s.count[tok] == 0 {
			seen = append(seen, tok)
		}
		s.count[tok]++
	}
	rp := s.p.RepeatPenalty
	if !(rp > 0) {
		rp = 1
	}
	for _, tok := range seen {
		v := l[tok]
		if rp != 1 {
			if v <= 0 {
				v *= rp
			} else {
				v /= rp
			}
		}
		l[tok] = v - (float32(s.count[tok])*s.p.FrequencyPenalty + s.p.PresencePenalty)
		s.count[tok] = 0
	}
	s.seen = seen[:0]
}

// better is the candidate order: higher logit first, lower id on ties.
func better(a, b cand) bool {
	return a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
}

func cmpCand(a, b cand) int {
	switch {
	case better(a, b):
		return -1
	case better(b, a):
		return 1
	}
	return 0
}

// filter applies top-k, top-p and min-p to l and returns the surviving
// candidates (a view of s.cands). The result is sorted by cmpCand when
// top-k or top-p is active, else in id order.
//
// Min-p keeps the logits >= max + ln(MinP). The max survives top-k and
// top-p, so that set does not depend on them and can be cut first; only
// top-p's normaliser must still include the tokens min-p removes.
func (s *Sampler) filter(l []float32) []cand {
	lmax := float32(math.Inf(-1))
	valid := 0
	for _, v := range l {
		if v == v {
			valid++
			lmax = max(lmax, v)
		}
	}
	if valid == 0 || math.IsInf(float64(lmax), -1) {
		return nil
	}
	if math.IsInf(float64(lmax), 1) {
		// +Inf outweighs everything: draw uniformly among those tokens.
		c := s.cands[:0]
		for i, v := range l {
			if v == lmax {
				c = append(c, cand{int32(i), 0})
			}
		}
		return c
	}
	cut := float32(math.Inf(-1))
	if s.p.MinP > 0 && s.p.MinP <= 1 {
		cut = lmax + float32(math.Log(float64(s.p.MinP)))
	}
	topP := s.p.TopP > 0 && s.p.TopP < 1
	if k := s.p.TopK; k > 0 && k < valid {
		c := s.topK(l, k)
		n := len(c)
		if topP {
			var z float64
			for _, x := range c {
				z += math.Exp(float64(x.logit - lmax))
			}
			n, _ = topPLen(c, lmax, float64(s.p.TopP)*z)
		}
		for n > 1 && c[n-1].logit < cut {
			n--
		}
		return c[:n]
	}
	if !topP {
		return s.collect(l, cut)
	}
	// Top-p over the whole vocabulary: normalise over every valid token,
	// in id order, and histogram the mass to find how deep to sort.
	var z float64
	clear(s.bins[:])
	for _, v := range l {
		if v != v {
			continue
		}
		d := lmax - v
		e := math.Exp(float64(-d))
		z += e
		b := nBins - 1
		if d < (nBins-1)/binsPerNat {
			b = int(d * binsPerNat)
		}
		s.bins[b] += e
	}
	target := float64(s.p.TopP) * z
	var cum float64
	b := 0
	for ; b < nBins-1; b++ {
		if cum += s.bins[b]; cum >= target {
			break
		}
	}
	prune := cut
	if b+topPMarginBins < nBins-1 {
		prune = max(cut, lmax-float32(b+topPMarginBins)/binsPerNat)
	}
	c := s.collect(l, prune)
	slices.SortFunc(c, cmpCand)
	if n, ok := topPLen(c, lmax, target); ok || prune == cut {
		// Either top-p stopped inside the sorted set, which is a prefix
		// of the full order, or min-p cuts at least as deep.
		return c[:n]
	}
	c = s.collect(l, cut)
	slices.SortFunc(c, cmpCand)
	n, _ := topPLen(c, lmax, target)
	return c[:n]
}

// topPLen returns how many of the sorted candidates c top-p keeps: through
// the first one at which the running sum of exp(logit−lmax) reaches target
// (ok), or all of them (!ok).
func topPLen(c []cand, lmax float32, target float64) (n int, ok bool) {
	var cum float64
	for i, x := range c {
		cum += math.Exp(float64(x.logit - lmax))
		if cum >= target {
			return i + 1, true
		}
	}
	return len(c), false
}

// collect puts the tokens with logit >= cut (NaN never) into s.cands in id
// order.
func (s *Sampler) collect(l []float32, cut float32) []cand {
	c := s.cands[:0]
	for i, v := range l {
		if v >= cut {
			c = append(c, cand{int32(i), v})
		}
	}
	return c
}

// topK selects the k best candidates of l (k < number of non-NaN logits)
// with a min-heap whose root is the worst kept candidate, then sorts them.
func (s *Sampler) topK(l []float32, k int) []cand {
	h := s.cands[:0]
	for i, v := range l {
		if v != v {
			continue
		}
		x := cand{int32(i), v}
		if len(h) < k {
			h = append(h, x)
			siftUp(h, len(h)-1)
			continue
		}
		if better(x, h[0]) {
			h[0] = x
			siftDown(h, 0)
		}
	}
	slices.SortFunc(h, cmpCand)
	return h
}

// siftUp and siftDown maintain h as a heap with the worst candidate at the
// root.
func siftUp(h []cand, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func siftDown(h []cand, i int) {
	for {
		w := i
		if c := 2*i + 1; c < len(h) && better(h[w], h[c]) {
			w = c
		}
		if c := 2*i + 2; c < len(h) && better(h[w], h[c]) {
			w = c
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// draw applies the temperature, forms the softmax weights
// exp((logit−max)/T) and draws one candidate with probability proportional
// to its weight.
func (s *Sampler) draw(c []cand) int32 {
	lmax := c[0].logit
	for _, x := range c {
		lmax = max(lmax, x.logit)
	}
	invT := 1 / float64(s.p.Temperature)
	w := s.probs[:len(c)]
	var sum float64
	for i, x := range c {
		w[i] = math.Exp(float64(x.logit-lmax) * invT)
		sum += w[i]
	}
	u := s.rng.Float64() * sum
	for i, x := range c {
		u -= w[i]
		if u < 0 {
			return x.id
		}
	}
	// Rounding left u >= 0 after the last weight: take the last token
	// with a nonzero weight.
	for i := len(c) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return c[i].id
		}
	}
	return c[0].id
}
