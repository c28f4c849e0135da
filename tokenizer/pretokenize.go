package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// A span is the byte range [lo, hi) of one pre-token ("word") in a fragment.
type span struct{ lo, hi int }

// Character classes of the pre-tokenizer regexes: \p{L}, \p{N}, \s (the
// Unicode White_Space property, as in Rust's regex, Oniguruma and PCRE) and
// everything else. Invalid UTF-8 bytes are classOther, each on its own, as
// llama.cpp treats them (it decodes them as U+FFFD).
type class uint8

const (
	classOther class = iota
	classLetter
	classNumber
	classSpace
)

var asciiClass [utf8.RuneSelf]class

func init() {
	for r := range rune(utf8.RuneSelf) {
		asciiClass[r] = classOfRune(r)
	}
}

func classOfRune(r rune) class {
	switch {
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r): // category N: Nd, Nl, No
		return classNumber
	case unicode.IsSpace(r): // White_Space: \t..\r, ' ', U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000
		return classSpace
	}
	return classOther
}

// runeAt decodes the rune at s[i:] and returns it, its width and its class.
// At the end of s it returns width 0 and classOther.
func runeAt(s string, i int) (rune, int, class) {
	if i >= len(s) {
		return -1, 0, classOther
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1, asciiClass[c]
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && w == 1 {
		return r, 1, classOther
	}
	return r, w, classOfRune(r)
}

// spanOfClass returns the end of the run of runes of class c starting at i.
func spanOfClass(s string, i int, c class) int {
	for i < len(s) {
		_, w, ci := runeAt(s, i)
		if ci != c {
			break
		}
		i += w
	}
	return i
}

// splitLlama3 appends to dst the words of s (whose first byte is at offset
// off in the fragment) under the Llama-3 pre-tokenizer regex (spec §5.2):
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Alternatives are tried in order at each position, as a backtracking engine
// (tiktoken's fancy-regex, Hugging Face's Oniguruma) does; every character is
// matched by one of them, so the words tile s.
func splitLlama3(s string, off int, dst []span) []span {
	return splitLlamaFamily(s, off, dst, 3, true)
}

// splitQwen2 appends to dst the words of s under llama.cpp's QWEN2
// pre-tokenizer regex (spec §10.8), which differs from Llama 3's only in
// taking one digit per piece and in its ASCII-only contraction classes:
//
//	(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitQwen2(s string, off int, dst []span) []span {
	return splitLlamaFamily(s, off, dst, 1, false)
}

// splitLlamaFamily is the scanner behind splitLlama3 and splitQwen2: runs
// of numbers are cut into pieces of at most maxDigits, and fold selects
// Unicode simple case folding for the contractions (see contraction).
func splitLlamaFamily(s string, off int, dst []span, maxDigits int, fold bool) []span {
	for i := 0; i < len(s); {
		r, w, c := runeAt(s, i)
		j := i + w

		// (?i:'s|'t|'re|'ve|'m|'ll|'d)
		if r == '\'' {
			if n := contraction(s[j:], fold); n > 0 {
				dst = append(dst, span{off + i, off + j + n})
				i = j + n
				continue
			}
		}
		_, wn, cn := runeAt(s, j)
		switch {
		case c == classLetter:
			// [^\r\n\p{L}\p{N}]?\p{L}+ without the optional character.
			j = spanOfClass(s, j, classLetter)
		case c != classNumber && r != '\r' && r != '\n' && cn == classLetter:
			// [^\r\n\p{L}\p{N}]?\p{L}+ with it.
			j = spanOfClass(s, j+wn, classLetter)
		case c == classNumber:
			// \p{N}{1,3} (Llama 3) or \p{N} (Qwen2)
			for k := 1; k < maxDigits && cn == classNumber; k++ {
				j += wn
				_, wn, cn = runeAt(s, j)
			}
		case c == classOther || (r == ' ' && wn > 0 && cn == classOther):
			// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
			if c != classOther {
				j += wn
			}
			j = spanOfClass(s, j, classOther)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
		default:
			// Whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+
			j = whitespace(s, i, true)
		}
		dst = append(dst, span{off + i, off + j})
		i = j
	}
	return dst
}

// whitespace returns the end of the whitespace word that starts at s[i], a
// whitespace character. With newlines (the Llama-3 regex), \s*[\r\n]+ is
// tried first: it ends after the run's last '\r' or '\n'. Then \s+(?!\S): a
// run followed by a non-space gives its last character to the next word,
// unless it has only one; a run at the end is taken whole.
func whitespace(s string, i int, newlines bool) int {
	end, last, afterNL := i, i, -1
	for end < len(s) {
		r, w, c := runeAt(s, end)
		if c != classSpace {
			break
		}
		last = end
		end += w
		if r == '\r' || r == '\n' {
			afterNL = end
		}
	}
	switch {
	case newlines && afterNL >= 0:
		return afterNL
	case end < len(s) && last > i:
		return last
	}
	return end
}

// contraction returns the length in bytes of the contraction suffix
// s, t, re, ve, m, ll or d at the start of s (the text after an apostrophe),
// or 0. With fold, letters match case-insensitively under Unicode simple case
// folding, as (?i:…) does in tiktoken and Hugging Face: 'ſ' (U+017F) matches
// 's'. llama.cpp's own scanner lower-cases instead and misses 'ſ'.
func contraction(s string, fold bool) int {
	if len(s) == 0 {
		return 0
	}
	lower := func(c byte) byte {
		if fold && 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	switch lower(s[0]) {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if len(s) > 1 && lower(s[1]) == 'e' {
			return 2
		}
	case 'l':
		if len(s) > 1 && lower(s[1]) == 'l' {
			return 2
		}
	}
	if fold && len(s) >= 2 && s[0] == 0xC5 && s[1] == 0xBF { // ſ
		return 2
	}
	return 0
}

// splitGPT2 appends the words of s under the GPT-2 regex, reproducing
// llama.cpp's unicode_regex_split_custom_gpt2:
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// The contractions are case-sensitive here.
func splitGPT2(s string, off int, dst []span) []span {
	for i := 0; i < len(s); {
		r, w, c := runeAt(s, i)
		j := i + w
		if r == '\'' {
			if n := contraction(s[j:], false); n > 0 {
				dst = append(dst, span{off + i, off + j + n})
				i = j + n
				continue
			}
		}
		// ' ?' belongs to the class of the character after the space.
		c2, start := c, i
		if r == ' ' {
			_, wn, cn := runeAt(s, j)
			if wn > 0 && cn != classSpace {
				c2, start = cn, j
			}
		}
		if c2 != classSpace {
			j = spanOfClass(s, start, c2)
		} else {
			j = whitespace(s, i, false)
		}
		dst = append(dst, span{off + i, off + j})
		i = j
	}
	return dst
}

// splitPunct appends the pieces of s under the first regex of llama.cpp's
// "default" cascade, [\p{P}\$\+<=>\^~\|]+: runs of punctuation (every ASCII
// punctuation or symbol character except '`'; category P beyond ASCII) and the
// gaps between them.
func splitPunct(s string, off int, dst []span) []span {
	return splitRuns(s, off, dst, func(r rune) bool {
		if r < utf8.RuneSelf {
			return r > ' ' && r < 0x7F && r != '`' && asciiClass[r] == classOther
		}
		return r != utf8.RuneError && unicode.IsPunct(r)
	})
}

// splitPunctTick is splitPunct with '`' in the class, the first regex of
// the "falcon" and "falcon3" cascades: [\p{P}\$\+<=>\^~\|`]+.
func splitPunctTick(s string, off int, dst []span) []span {
	return splitRuns(s, off, dst, func(r rune) bool {
		if r < utf8.RuneSelf {
			return r > ' ' && r < 0x7F && asciiClass[r] == classOther
		}
		return r != utf8.RuneError && unicode.IsPunct(r)
	})
}

// splitDigits appends the pieces of s under [0-9]: each ASCII digit on its
// own, and the runs between them.
func splitDigits(s string, off int, dst []span) []span {
	lo := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			if i > lo {
				dst = append(dst, span{off + lo, off + i})
			}
			dst = append(dst, span{off + i, off + i + 1})
			lo = i + 1
		}
	}
	if lo < len(s) {
		dst = append(dst, span{off + lo, off + len(s)})
	}
	return dst
}

// splitNumbers appends the pieces of s under \p{N}+: runs of numbers and the
// gaps between them.
func splitNumbers(s string, off int, dst []span) []span {
	return splitRuns(s, off, dst, unicode.IsNumber)
}

// splitRuns appends maximal runs of runes that satisfy in, and the runs that
// do not, as alternating pieces.
func splitRuns(s string, off int, dst []span, in func(rune) bool) []span {
	lo, prev := 0, false
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		cur := in(r) && !(r == utf8.RuneError && w == 1)
		if cur != prev && i > lo {
			dst = append(dst, span{off + lo, off + i})
			lo = i
		}
		prev = cur
		i += w
	}
	if lo < len(s) {
		dst = append(dst, span{off + lo, off + len(s)})
	}
	return dst
}

// splitDigits3 appends the pieces of s under [0-9][0-9][0-9]: each leftmost
// group of three ASCII digits, and the gaps between them.
func splitDigits3(s string, off int, dst []span) []span {
	lo := 0
	for i := 0; i+3 <= len(s); {
		if isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
			if i > lo {
				dst = append(dst, span{off + lo, off + i})
			}
			dst = append(dst, span{off + i, off + i + 3})
			i += 3
			lo = i
			continue
		}
		i++
	}
	if lo < len(s) {
		dst = append(dst, span{off + lo, off + len(s)})
	}
	return dst
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// A splitter appends the pieces of s, whose first byte is at offset off.
type splitter func(s string, off int, dst []span) []span

// defaultCascade is llama.cpp's "default" pre-tokenizer (spec §5.2): each
// regex re-splits every piece the previous one produced.
var defaultCascade = []splitter{splitPunct, splitGPT2, splitNumbers, splitDigits3}

// falconCascade is llama.cpp's "falcon" pre-tokenizer:
//
//	[\p{P}\$\+<=>\^~\|`]+
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
//	[0-9][0-9][0-9]
var falconCascade = []splitter{splitPunctTick, splitGPT2, splitDigits3}

// falcon3Cascade is bitnet.cpp's "falcon3" and "falcon_e" pre-tokenizer
// (spec §5.5): like "falcon", but digits are split one by one.
//
//	[\p{P}\$\+<=>\^~\|`]+
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
//	[0-9]
var falcon3Cascade = []splitter{splitPunctTick, splitGPT2, splitDigits}

// pretokenize appends the words of fragment s to dst, using tmp as scratch
// for the cascade; it returns both buffers for reuse.
func (t *Tokenizer) pretokenize(s string, dst, tmp []span) ([]span, []span) {
	switch t.pre {
	case preLlama3:
		return splitLlama3(s, 0, dst), tmp
	case preQwen2:
		return splitQwen2(s, 0, dst), tmp
	case preGPT2:
		return splitGPT2(s, 0, dst), tmp
	}
	cascade := defaultCascade
	switch t.pre {
	case preFalcon:
		cascade = falconCascade
	case preFalcon3:
		cascade = falcon3Cascade
	}
	base := len(dst)
	dst = append(dst, span{0, len(s)})
	for _, split := range cascade {
		tmp = append(tmp[:0], dst[base:]...)
		dst = dst[:base]
		for _, p := range tmp {
			dst = split(s[p.lo:p.hi], p.lo, dst)
		}
	}
	return dst, tmp
}
