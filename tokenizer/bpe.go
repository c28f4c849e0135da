package tokenizer

import "slices"

// symbol is one node of the doubly linked list of a word's BPE symbols.
type symbol struct {
	id         int32 // symbol id (a token id if below VocabSize), -1 if none, deadSymbol once merged away
	prev, next int32 // neighbours' indices, -1 at the ends
	lo, hi     int32 // byte range in the word
}

const deadSymbol = -2

// A bigram is a candidate merge of the symbol at index left with its right
// neighbour, packed as rank<<32 | left so that a plain integer comparison
// orders the queue by lowest rank, then leftmost
// (llm_bigram_bpe::comparator). Each rank belongs to one pair of symbol ids,
// so a popped bigram is still current exactly when the pair now at left has
// its rank.
type bigram uint64

func newBigram(rank, left int32) bigram {
	return bigram(uint64(uint32(rank))<<32 | uint64(uint32(left)))
}

func (b bigram) rank() int32 { return int32(b >> 32) }
func (b bigram) left() int32 { return int32(uint32(b)) }

// bpe appends the token ids of one pre-token word (raw bytes) to dst
// (spec §5.2 steps 4–5, llama.cpp llm_tokenizer_bpe_session::tokenize).
func (t *Tokenizer) bpe(dst []int32, word string, st *encodeState) []int32 {
	n := int32(len(t.tokens))
	if len(word) == 1 {
		return t.appendBytes(dst, word)
	}
	if t.ignoreMerges {
		if id, ok := t.symbols[word]; ok && id < n {
			return append(dst, id)
		}
	}

	syms := slices.Grow(st.syms[:0], len(word))
	for i := range len(word) {
		syms = append(syms, symbol{id: t.byteSym[word[i]], prev: int32(i) - 1, next: int32(i) + 1, lo: int32(i), hi: int32(i) + 1})
	}
	syms[len(syms)-1].next = -1
	q := slices.Grow(st.queue[:0], len(word))
	for i := 1; i < len(syms); i++ {
		q = t.pushBigram(q, syms, int32(i-1), int32(i))
	}
	for len(q) > 0 {
		var b bigram
		b, q = heapPop(q)
		left := b.left()
		l := &syms[left]
		if l.id == deadSymbol || l.next < 0 {
			continue // stale
		}
		right := l.next
		r := &syms[right]
		m, ok := t.merges[pairKey(l.id, r.id)]
		if !ok || m.rank != b.rank() {
			continue // stale
		}
		l.id = m.result
		l.hi = r.hi
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = left
		}
		r.id = deadSymbol
		q = t.pushBigram(q, syms, l.prev, left)
		q = t.pushBigram(q, syms, left, l.next)
	}

	for i := int32(0); i >= 0; i = syms[i].next {
		s := syms[i]
		if s.id >= 0 && s.id < n {
			dst = append(dst, s.id)
		} else {
			dst = t.appendBytes(dst, word[s.lo:s.hi])
		}
	}
	st.syms, st.queue = syms, q
	return dst
}

// appendBytes appends each byte's single-byte token; a byte without one
// becomes UNK, or nothing if there is no UNK.
func (t *Tokenizer) appendBytes(dst []int32, b string) []int32 {
	for i := range len(b) {
		if id := t.byteTok[b[i]]; id >= 0 {
			dst = append(dst, id)
		} else if t.unk >= 0 {
			dst = append(dst, t.unk)
		}
	}
	return dst
}

// pushBigram queues the merge of symbols left and right if the merge list
// has their pair.
func (t *Tokenizer) pushBigram(q []bigram, syms []symbol, left, right int32) []bigram {
	if left < 0 || right < 0 {
		return q
	}
	lid, rid := syms[left].id, syms[right].id
	if lid < 0 || rid < 0 {
		return q
	}
	m, ok := t.merges[pairKey(lid, rid)]
	if !ok {
		return q
	}
	return heapPush(q, newBigram(m.rank, left))
}

// before orders the BPE queue: lowest merge rank first, leftmost on ties
// (the rank sits in the high bits, the position in the low bits).
func (a bigram) before(b bigram) bool { return a < b }
