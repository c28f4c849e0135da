package tokenizer

import "unicode/utf8"

// Decode returns the text of ids: the bytes of each normal and user-defined
// token, concatenated. Control and unknown tokens render as nothing (llama.cpp
// token_to_piece with special = false), and ids out of range are skipped. The
// result is invalid UTF-8 only where the ids spell invalid UTF-8 (a token
// sequence cut inside a character, or ids that never came from Encode).
//
// Decode reads ids as a whole text. For a SentencePiece vocabulary with
// AddSpacePrefix it therefore drops the space that Encode prepended: one
// leading space of the first token after an optional leading BOS, as
// llama.cpp's llama_detokenize and Hugging Face's LlamaTokenizer do. To
// decode ids that continue a text, use a Decoder from NewDecoder.
func (t *Tokenizer) Decode(ids []int32) string {
	return string(t.AppendDecode(nil, ids))
}

// AppendDecode appends the bytes of ids to dst, as Decode, and returns the
// extended slice.
func (t *Tokenizer) AppendDecode(dst []byte, ids []int32) []byte {
	strip := t.spmStripIndex(ids)
	for i, id := range ids {
		if t.valid(id) && t.renders[id] {
			p := t.pieces[t.pieceOff[id]:t.pieceOff[id+1]]
			if i == strip && len(p) > 0 && p[0] == ' ' {
				p = p[1:]
			}
			dst = append(dst, p...)
		}
	}
	return dst
}

// A Decoder turns a stream of token ids into text without ever returning
// part of a UTF-8 character: bytes that may still become a character wait
// for the next token. Bytes that cannot become a valid character are returned
// as U+FFFD, one per byte, so that the output is always valid UTF-8. The
// concatenation of every Add and the final Flush equals Decode of all the
// ids, with each invalid byte replaced by U+FFFD as string([]rune(s)) does
// (for a SentencePiece vocabulary: Decode with the prefix space kept, unless
// the Decoder came from NewTextDecoder). Byte-fallback tokens <0xXX> of a
// SentencePiece vocabulary are single bytes, held back like any other part
// of a character. A Decoder is not safe for concurrent use.
type Decoder struct {
	t       *Tokenizer
	pending []byte // bytes of an incomplete character, at most utf8.UTFMax-1
	out     []byte // scratch for the result
	// strip is the number of tokens still to see before the one whose
	// leading space is dropped (SentencePiece prefix space): 0 drops it
	// from the next token, 1 skips a BOS first, -1 never.
	strip, stripInit int8
}

// NewDecoder returns a streaming decoder for ids that continue a text, such
// as generated tokens after a prompt: it keeps every space, including a
// SentencePiece token's leading '▁'.
func (t *Tokenizer) NewDecoder() *Decoder {
	return &Decoder{t: t, pending: make([]byte, 0, 2*utf8.UTFMax), out: make([]byte, 0, 64), strip: -1, stripInit: -1}
}

// NewTextDecoder returns a streaming decoder for ids that start a text, such
// as the output of Encode: like Decode, it drops the space that a
// SentencePiece vocabulary's AddSpacePrefix put before the text. For a
// byte-level vocabulary it is NewDecoder.
func (t *Tokenizer) NewTextDecoder() *Decoder {
	d := t.NewDecoder()
	if t.AddSpacePrefix() {
		d.strip, d.stripInit = 1, 1
	}
	return d
}

// Add decodes one more token and returns the text that is now complete,
// possibly "". Control tokens add nothing (see Decode).
func (d *Decoder) Add(id int32) string {
	t := d.t
	stripHere := false
	switch d.strip {
	case 1:
		d.strip = 0
		if id == t.bos && t.bos >= 0 {
			return ""
		}
		stripHere, d.strip = true, -1
	case 0:
		stripHere, d.strip = true, -1
	}
	if !t.valid(id) || !t.renders[id] || t.pieceOff[id] == t.pieceOff[id+1] {
		return ""
	}
	piece := t.pieces[t.pieceOff[id]:t.pieceOff[id+1]]
	if stripHere && piece[0] == ' ' {
		piece = piece[1:]
		if len(piece) == 0 {
			return ""
		}
	}
	// Fast path: nothing pending and the piece is whole characters.
	if len(d.pending) == 0 && utf8.Valid(piece) {
		return string(piece)
	}
	out := d.out[:0]
	d.pending = append(d.pending, piece...)
	i := 0
	for i < len(d.pending) {
		p := d.pending[i:]
		if p[0] < utf8.RuneSelf {
			out = append(out, p[0])
			i++
			continue
		}
		if !utf8.FullRune(p) {
			break // a prefix of a valid character: wait for more
		}
		r, w := utf8.DecodeRune(p)
		if r == utf8.RuneError && w == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, p[:w]...)
		}
		i += w
	}
	d.pending = append(d.pending[:0], d.pending[i:]...)
	d.out = out
	return string(out)
}

// Flush returns the bytes held back as U+FFFD, one per byte (they were the
// start of a character that never completed), and empties the decoder.
func (d *Decoder) Flush() string {
	out := d.out[:0]
	for range d.pending {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	d.pending = d.pending[:0]
	d.out = out
	return string(out)
}

// Reset discards any held-back bytes and starts over, as a new Decoder of
// the same kind.
func (d *Decoder) Reset() { d.pending, d.strip = d.pending[:0], d.stripInit }
