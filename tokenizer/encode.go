package tokenizer

import (
	"strings"
	"sync"
)

// encodeState is the scratch space of one Encode call.
type encodeState struct {
	frags, tmpFrags []fragment
	words, tmp      []span
	syms            []symbol
	queue           []bigram
	spmSyms         []spmSymbol
	spmQueue        []spmBigram
}

var encodeStates = sync.Pool{New: func() any { return new(encodeState) }}

// maxPooledScratch bounds the length of the scratch buffers that go back to
// the pool, so that one huge input does not pin them.
const maxPooledScratch = 1 << 16

// fragment is a piece of the input: a special token (id >= 0) or the text
// [lo, hi) to pre-tokenize.
type fragment struct {
	lo, hi int
	id     int32
}

// Encode returns the token ids of text. With addBOS it prepends BOS (if the
// vocabulary has one); callers normally pass t.AddBOS(). With parseSpecial,
// occurrences of control, user-defined and unknown token texts (such as
// "<|eot_id|>") become those tokens; otherwise all text is ordinary text.
// Encode never appends EOS. Invalid UTF-8 is encoded byte by byte, so
// Decode(Encode(s)) == s for every s without special-token texts (and, for
// SentencePiece, without U+2581 '▁', which decodes as a space).
//
// A SentencePiece vocabulary with AddSpacePrefix prepends a space to the
// text, and to each text fragment that follows a special token, as
// llama.cpp does; Decode drops the first of these spaces again.
func (t *Tokenizer) Encode(text string, addBOS, parseSpecial bool) []int32 {
	return t.AppendEncode(nil, text, addBOS, parseSpecial)
}

// EncodeInput returns the token ids of one text input to an embedding
// model, built as llama-embedding and llama-server build them (spec
// §10.8): BOS when AddBOS, the text encoded with parseSpecial (a literal
// "<|endoftext|>" becomes that control token), then EOS when AddEOS, so
// that last-token pooling reads the EOS row. An absent BOS or EOS id (−1)
// is not added.
func (t *Tokenizer) EncodeInput(text string) []int32 {
	ids := t.AppendEncode(nil, text, t.addBOS, true)
	if t.addEOS && t.eos >= 0 {
		ids = append(ids, t.eos)
	}
	return ids
}

// AppendEncode appends the token ids of text to dst, as Encode, and returns
// the extended slice.
func (t *Tokenizer) AppendEncode(dst []int32, text string, addBOS, parseSpecial bool) []int32 {
	if addBOS && t.bos >= 0 {
		dst = append(dst, t.bos)
	}
	st := encodeStates.Get().(*encodeState)
	if t.spm != nil {
		dst = t.appendEncodeSPM(dst, text, parseSpecial, st)
	} else if parseSpecial {
		st.frags = t.partition(text, st)
		for _, f := range st.frags {
			if f.id >= 0 {
				dst = append(dst, f.id)
			} else {
				dst = t.encodeText(dst, text[f.lo:f.hi], st)
			}
		}
	} else {
		dst = t.encodeText(dst, text, st)
	}
	if max(cap(st.words), cap(st.tmp), cap(st.frags), cap(st.tmpFrags), cap(st.syms), cap(st.queue), cap(st.spmSyms), cap(st.spmQueue)) > maxPooledScratch {
		*st = encodeState{}
	}
	encodeStates.Put(st)
	return dst
}

// encodeText appends the ids of a text fragment without special tokens.
func (t *Tokenizer) encodeText(dst []int32, s string, st *encodeState) []int32 {
	st.words, st.tmp = t.pretokenize(s, st.words[:0], st.tmp[:0])
	for _, w := range st.words {
		dst = t.bpe(dst, s[w.lo:w.hi], st)
	}
	return dst
}

// partition splits text at occurrences of special-token texts, trying the
// longest texts first over the whole text, as llama.cpp's
// tokenizer_st_partition does (spec §5.2 step 1).
func (t *Tokenizer) partition(text string, st *encodeState) []fragment {
	frags := append(st.frags[:0], fragment{0, len(text), -1})
	if text == "" {
		return frags[:0]
	}
	for _, id := range t.specials {
		sp := t.tokens[id]
		if !strings.Contains(text, sp) {
			continue
		}
		st.tmpFrags = append(st.tmpFrags[:0], frags...)
		frags = frags[:0]
		for _, f := range st.tmpFrags {
			if f.id >= 0 {
				frags = append(frags, f)
				continue
			}
			lo := f.lo
			for {
				k := strings.Index(text[lo:f.hi], sp)
				if k < 0 {
					break
				}
				if k > 0 {
					frags = append(frags, fragment{lo, lo + k, -1})
				}
				frags = append(frags, fragment{lo + k, lo + k + len(sp), id})
				lo += k + len(sp)
			}
			if lo < f.hi {
				frags = append(frags, fragment{lo, f.hi, -1})
			}
		}
	}
	return frags
}
