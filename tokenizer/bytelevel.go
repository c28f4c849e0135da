package tokenizer

import "unicode/utf8"

// GPT-2's bytes_to_unicode (spec §5.2): byte-level vocabularies write every
// byte as a printable code point. Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF
// stand for themselves; the other 68 bytes, in increasing order, map to
// U+0100, U+0101, … (space is U+0120 'Ġ', newline U+010A 'Ċ').
var (
	byteToRune [256]rune
	runeToByte [0x100 + 68]int16 // -1 where the code point stands for no byte
)

func init() {
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = 0x100 + n
			n++
		}
		runeToByte[byteToRune[b]] = int16(b)
	}
}

// byteLevelEncode appends the byte-level form of raw to dst.
func byteLevelEncode(dst []byte, raw []byte) []byte {
	for _, b := range raw {
		dst = utf8.AppendRune(dst, byteToRune[b])
	}
	return dst
}

// byteLevelDecode appends the bytes that the byte-level string s stands for
// to dst. It reports false, with dst holding a partial result, if s contains
// a code point outside the 256-symbol alphabet (or invalid UTF-8).
func byteLevelDecode(dst []byte, s string) ([]byte, bool) {
	for _, r := range s {
		if r < 0 || int(r) >= len(runeToByte) || runeToByte[r] < 0 {
			return dst, false
		}
		dst = append(dst, byte(runeToByte[r]))
	}
	return dst, true
}
