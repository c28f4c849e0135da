package tokenizer

import (
	"fmt"
	"strings"
)

// SentencePiece BPE ("llama" vocabularies, spec §5.4), as llama.cpp's
// llm_tokenizer_spm_session runs it on GGUF metadata: no pre-tokenizer and
// no merge list; adjacent symbols merge when their concatenation is a token,
// highest score first.

// spaceMark is SentencePiece's visible space, U+2581 '▁'.
const spaceMark = "\u2581"

// spmVocab is the SentencePiece part of a Tokenizer.
type spmVocab struct {
	ids            map[string]int32 // token text -> id; the last id wins, as in llama.cpp's token_to_id
	scores         []float32        // merge priority by id; higher merges first
	byteTok        [256]int32       // id of <0xXX>, else of the one-byte token, else -1
	addSpacePrefix bool             // tokenizer.ggml.add_space_prefix
}

// spmSymbol is one node of the linked list of symbols of an SPM fragment.
type spmSymbol struct {
	lo, hi     int32 // byte range in the escaped fragment; lo == hi once merged away
	prev, next int32 // neighbours' indices, -1 at the ends
}

// spmBigram is a candidate merge of symbols left and right, whose texts
// together span size bytes and form a token of the given score.
type spmBigram struct {
	score       float32
	left, right int32
	size        int32
}

// before orders the work queue as llm_bigram_spm::comparator does: highest
// score first, then leftmost.
func (a spmBigram) before(b spmBigram) bool {
	return a.score > b.score || (a.score == b.score && a.left < b.left)
}

// initSPM fills the SentencePiece tables and the pieces of every token from
// v, whose token types have already been checked and stored in t.types.
func (t *Tokenizer) initSPM(v Vocab) {
	n := len(v.Tokens)
	s := &spmVocab{
		ids:            make(map[string]int32, n),
		scores:         make([]float32, n),
		addSpacePrefix: !v.NoSpacePrefix,
	}
	if v.Scores != nil {
		copy(s.scores, v.Scores)
	}
	for id, text := range v.Tokens {
		s.ids[text] = int32(id)
		if _, dup := t.otherIDs[text]; !dup {
			t.otherIDs[text] = int32(id)
		}
		typ := t.types[id]
		switch {
		case typ == TypeByte:
			if b, ok := parseByteToken(text); ok {
				t.pieces = append(t.pieces, b)
			} else {
				t.pieces = append(t.pieces, text...)
			}
		case typ == TypeNormal || typ == TypeUnused:
			t.pieces = append(t.pieces, strings.ReplaceAll(text, spaceMark, " ")...)
		default: // control, user-defined, unknown: raw text
			t.pieces = append(t.pieces, text...)
		}
		t.pieceOff[id+1] = uint32(len(t.pieces))
		t.renders[id] = typ != TypeControl && typ != TypeUnknown
	}
	// llama.cpp's byte_to_token: "<0xXX>", else the byte as a string.
	for b := range 256 {
		s.byteTok[b] = -1
		if id, ok := s.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			s.byteTok[b] = id
		} else if id, ok := s.ids[string([]byte{byte(b)})]; ok {
			s.byteTok[b] = id
		}
	}
	t.spm = s
}

// parseByteToken parses a byte token's text "<0xXX>".
func parseByteToken(text string) (byte, bool) {
	if len(text) != 6 || text[:3] != "<0x" || text[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range []byte(text[3:5]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		b = b<<4 | c
	}
	return b, true
}

// appendEncodeSPM is AppendEncode for SentencePiece vocabularies
// (llama_tokenize_internal, SPM branch): a space is prepended to every text
// fragment that starts the text or follows a special token, spaces become
// '▁', and each fragment is merged on its own.
func (t *Tokenizer) appendEncodeSPM(dst []int32, text string, parseSpecial bool, st *encodeState) []int32 {
	if text == "" {
		return dst
	}
	prevSpecial := true
	if parseSpecial {
		st.frags = t.partition(text, st)
	} else {
		st.frags = append(st.frags[:0], fragment{0, len(text), -1})
	}
	for _, f := range st.frags {
		if f.id >= 0 {
			dst = append(dst, f.id)
			prevSpecial = true
			continue
		}
		frag := text[f.lo:f.hi]
		if t.spm.addSpacePrefix && prevSpecial {
			frag = " " + frag
		}
		dst = t.spmMerge(dst, strings.ReplaceAll(frag, " ", spaceMark), st)
		prevSpecial = false
	}
	return dst
}

// spmMerge appends the ids of one escaped fragment (llm_tokenizer_spm_session
// tokenize): split into UTF-8 characters by their lead byte, merge the
// best-scoring adjacent pair that forms a token until none does, then emit
// each symbol as its token or, failing that, as byte tokens.
func (t *Tokenizer) spmMerge(dst []int32, s string, st *encodeState) []int32 {
	syms := st.spmSyms[:0]
	for i := 0; i < len(s); {
		n := min(utf8LenByLead(s[i]), len(s)-i)
		syms = append(syms, spmSymbol{lo: int32(i), hi: int32(i + n), prev: int32(len(syms)) - 1, next: int32(len(syms)) + 1})
		i += n
	}
	if len(syms) == 0 {
		return dst
	}
	syms[len(syms)-1].next = -1
	q := st.spmQueue[:0]
	for i := 1; i < len(syms); i++ {
		q = t.spmPush(q, s, syms, int32(i-1), int32(i))
	}
	for len(q) > 0 {
		var b spmBigram
		b, q = heapPop(q)
		l, r := &syms[b.left], &syms[b.right]
		// Skip a bigram whose symbols changed since it was queued.
		if l.lo == l.hi || r.lo == r.hi || (l.hi-l.lo)+(r.hi-r.lo) != b.size {
			continue
		}
		l.hi = r.hi
		r.hi = r.lo
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		q = t.spmPush(q, s, syms, l.prev, b.left)
		q = t.spmPush(q, s, syms, b.left, l.next)
	}
	for i := int32(0); i >= 0; i = syms[i].next {
		text := s[syms[i].lo:syms[i].hi]
		if id, ok := t.spm.ids[text]; ok {
			dst = append(dst, id)
			continue
		}
		for j := range len(text) {
			if id := t.spm.byteTok[text[j]]; id >= 0 {
				dst = append(dst, id)
			} else if t.unk >= 0 {
				dst = append(dst, t.unk)
			}
		}
	}
	st.spmSyms, st.spmQueue = syms, q
	return dst
}

// utf8LenByLead is llama.cpp's unicode_len_utf8: the length of a UTF-8
// sequence judged by its first byte alone (1 for ASCII and stray
// continuation bytes).
func utf8LenByLead(c byte) int {
	switch {
	case c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	}
	return 4
}

// spmPush queues the merge of symbols left and right if their
// concatenation is a token.
func (t *Tokenizer) spmPush(q []spmBigram, s string, syms []spmSymbol, left, right int32) []spmBigram {
	if left < 0 || right < 0 {
		return q
	}
	text := s[syms[left].lo:syms[right].hi]
	id, ok := t.spm.ids[text]
	if !ok {
		return q
	}
	return heapPush(q, spmBigram{score: t.spm.scores[id], left: left, right: right, size: int32(len(text))})
}

// spmStripIndex returns the index in ids of the token whose leading space
// Decode drops, or -1: llama_detokenize skips a leading BOS and strips the
// add-space-prefix space from the next token.
func (t *Tokenizer) spmStripIndex(ids []int32) int {
	if t.spm == nil || !t.spm.addSpacePrefix || len(ids) == 0 {
		return -1
	}
	if ids[0] == t.bos && t.bos >= 0 {
		if len(ids) == 1 {
			return -1
		}
		return 1
	}
	return 0
}
