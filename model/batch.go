package model

import (
	"fmt"

	"github.com/bitnet-go/bitnet/kvcache"
)

// Batch is one forward step over rows drawn from one or more sequences
// (continuous batching: prefill chunks and single decode tokens together).
// The rows of one sequence must be adjacent and in order; they take the
// positions following what the sequence already holds.
//
// The bookkeeping of a step is the same on every backend (the CPU's
// Model.ForwardBatch and gpu/cuda's): Prepare checks the batch, reserves
// its KV blocks and numbers its rows; the backend computes the rows; then
// Advance moves each sequence past them.
type Batch struct {
	Tokens []int32        // (rows) token of each row
	Seqs   []*kvcache.Seq // (rows) sequence of each row
	Logits []bool         // (rows) whether to return the row's logits
}

// StateSize resolves the size of a State as NewStateOpts does for every
// backend: seqLen <= 0 means the training context, which seqLen may not
// exceed (a *ContextError), maxBatch <= 0 means 64, and maxBatch is
// clamped to [1, seqLen].
func (c *Config) StateSize(seqLen, maxBatch int) (int, int, error) {
	if maxBatch <= 0 {
		maxBatch = 64
	}
	if seqLen <= 0 {
		seqLen = c.SeqLen
	}
	if seqLen > c.SeqLen {
		return 0, 0, &ContextError{Have: 0, Add: seqLen, Max: c.SeqLen}
	}
	return seqLen, max(1, min(maxBatch, seqLen)), nil
}

// CheckForward checks the arguments of a Forward call on a State that
// holds pos positions of at most seqLen and steps at most maxBatch rows:
// at least one token, no more than maxBatch when all logits are wanted,
// and room in the context (a *ContextError).
func CheckForward(tokens []int32, all bool, pos, maxBatch, seqLen int) error {
	if len(tokens) == 0 {
		return fmt.Errorf("model: Forward called with no tokens")
	}
	if all && len(tokens) > maxBatch {
		return fmt.Errorf("model: %d tokens exceed the batch size %d when all logits are requested", len(tokens), maxBatch)
	}
	if pos+len(tokens) > seqLen {
		return &ContextError{Have: pos, Add: len(tokens), Max: seqLen}
	}
	return nil
}

// Fill makes b the next step of Forward over tokens for sequence seq (nil
// for a backend that numbers its own sequence): the first min(len(tokens),
// maxBatch) tokens, with logits for all of them when all is set, else only
// for the last token of the input. It returns the number of tokens taken.
// It reuses b's slices and allocates nothing once they hold maxBatch rows.
func (b *Batch) Fill(tokens []int32, seq *kvcache.Seq, all bool, maxBatch int) int {
	n := min(len(tokens), maxBatch)
	b.Tokens, b.Seqs, b.Logits = b.Tokens[:0], b.Seqs[:0], b.Logits[:0]
	for i, t := range tokens[:n] {
		b.Tokens = append(b.Tokens, t)
		if seq != nil {
			b.Seqs = append(b.Seqs, seq)
		}
		b.Logits = append(b.Logits, all || (i == n-1 && n == len(tokens)))
	}
	return n
}

// Prepare readies b for a step of a State with room for maxBatch rows
// and seqLen positions per sequence over a vocabulary of vocab tokens.
// It checks the shape (one sequence and one logit flag per row), every
// token, that each sequence's rows are adjacent and that they fit its
// context (a *ContextError), all before it changes anything; then it
// reserves each sequence's new KV blocks (kvcache.ErrNoSpace when the
// pool is short) and stores row r's position in pos[r]. len(pos) must be
// at least the number of rows.
func (b *Batch) Prepare(maxBatch, seqLen, vocab int, pos []int) error {
	T := len(b.Tokens)
	if T == 0 {
		return fmt.Errorf("model: ForwardBatch called with no rows")
	}
	if T > maxBatch || len(b.Seqs) != T || len(b.Logits) != T {
		return fmt.Errorf("model: batch of %d tokens, %d sequences, %d logit flags (batch size %d)", T, len(b.Seqs), len(b.Logits), maxBatch)
	}
	for r, tok := range b.Tokens {
		if tok < 0 || int(tok) >= vocab {
			return fmt.Errorf("model: token %d (at row %d) is outside the vocabulary [0, %d)", tok, r, vocab)
		}
		if b.Seqs[r] == nil {
			return fmt.Errorf("model: row %d has no sequence", r)
		}
	}
	for r0, r1 := 0, 0; r0 < T; r0 = r1 {
		seq := b.Seqs[r0]
		r1 = b.runEnd(r0)
		for r := range r0 {
			if b.Seqs[r] == seq {
				return fmt.Errorf("model: the rows of a sequence must be adjacent (rows %d and %d)", r, r0)
			}
		}
		if have := seq.Len(); have+r1-r0 > seqLen {
			return &ContextError{Have: have, Add: r1 - r0, Max: seqLen}
		}
	}
	for r0, r1 := 0, 0; r0 < T; r0 = r1 {
		seq := b.Seqs[r0]
		r1 = b.runEnd(r0)
		if err := seq.Reserve(r1 - r0); err != nil {
			return err
		}
		for r := r0; r < r1; r++ {
			pos[r] = seq.Len() + r - r0
		}
	}
	return nil
}

// Advance moves each sequence of b past its rows once the step has stored
// their keys and values; pos is what Prepare filled.
func (b *Batch) Advance(pos []int) {
	T := len(b.Tokens)
	for r := range T {
		if r == T-1 || b.Seqs[r+1] != b.Seqs[r] {
			b.Seqs[r].Advance(pos[r] + 1)
		}
	}
}

// runEnd is the row after the run of rows of b.Seqs[r0] that starts at r0.
func (b *Batch) runEnd(r0 int) int {
	r1 := r0 + 1
	for r1 < len(b.Seqs) && b.Seqs[r1] == b.Seqs[r0] {
		r1++
	}
	return r1
}
