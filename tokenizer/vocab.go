package tokenizer

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Token types, as stored in tokenizer.ggml.token_type (spec §5.1).
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// Vocab is everything needed to build a tokenizer, as stored in GGUF
// (spec §5.1). Token texts and merges of a "gpt2" vocabulary are written in
// the byte-level alphabet (see package doc); control and user-defined token
// texts are raw text.
type Vocab struct {
	Model  string    // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece)
	Pre    string    // tokenizer.ggml.pre, "" if absent (then the Llama-3 splitter is used); unused by "llama"
	Tokens []string  // tokenizer.ggml.tokens, indexed by id
	Types  []int32   // tokenizer.ggml.token_type, len(Tokens) or nil (all normal)
	Scores []float32 // tokenizer.ggml.scores, len(Tokens) or nil (all 0); unused by gpt2
	Merges []string  // tokenizer.ggml.merges, "left right"; rank = index

	BOS, EOS, EOT, UNK, PAD int32 // special ids, -1 when absent

	AddBOS bool // tokenizer.ggml.add_bos_token
	AddEOS bool // tokenizer.ggml.add_eos_token

	// NoSpacePrefix is tokenizer.ggml.add_space_prefix = false: a
	// SentencePiece vocabulary then prepends no space to the text. Unused by
	// "gpt2".
	NoSpacePrefix bool
}

// Pre-tokenizer names accepted in Vocab.Pre (tokenizer.ggml.pre), besides "".
const (
	PreLlama3  = "llama-bpe" // also "llama3", "llama-v3"
	PreDefault = "default"
	PreGPT2    = "gpt-2"
	PreFalcon  = "falcon"
	PreFalcon3 = "falcon3" // also "falcon_e"
	PreQwen2   = "qwen2"   // Qwen2/Qwen3 (spec §10.8)
)

type preKind uint8

const (
	preLlama3  preKind = iota // Llama-3 regex, ignore_merges
	preDefault                // llama.cpp's four-regex cascade
	preGPT2                   // the GPT-2 regex alone
	preFalcon                 // llama.cpp's "falcon" cascade (groups of three digits)
	preFalcon3                // the fork's "falcon3" cascade (single digits), spec §5.5
	preQwen2                  // Qwen2 regex: Llama 3's with single digits, merges always applied (spec §10.8)
)

// parsePre maps a tokenizer.ggml.pre name to a splitter and ignore_merges
// (llama.cpp llm_load_vocab). A missing name selects Llama 3, not llama.cpp's
// "default": BitNet-b1.58-2B-4T's GGUF has no tokenizer.ggml.pre but the model
// was trained with the Llama-3 regex (spec §5.2).
func parsePre(name string) (preKind, bool, error) {
	switch name {
	case "", "llama-bpe", "llama3", "llama-v3":
		return preLlama3, true, nil
	case "default":
		return preDefault, false, nil
	case "gpt-2":
		return preGPT2, false, nil
	case "falcon":
		return preFalcon, false, nil
	case "falcon3", "falcon_e":
		return preFalcon3, false, nil
	case "qwen2":
		return preQwen2, false, nil
	}
	return 0, false, fmt.Errorf("tokenizer: unknown pre-tokenizer %q (tokenizer.ggml.pre)", name)
}

// eogTexts are the token texts llama.cpp adds to the end-of-generation set
// (spec §5.1); all but the last may also become the EOT id.
var eogTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<|eom_id|>"}

// A Tokenizer encodes text to token ids and decodes ids to text. It is
// immutable after New and safe for concurrent use.
type Tokenizer struct {
	pre          preKind
	ignoreMerges bool
	spm          *spmVocab // non-nil for SentencePiece ("llama") vocabularies

	tokens []string // stored token texts, by id
	types  []uint8  // token type, by id

	// pieces[pieceOff[id]:pieceOff[id+1]] are the bytes of token id: the
	// byte-level decoding of its text, or its raw text where that is not
	// byte-level (control, user-defined and unknown tokens).
	pieces   []byte
	pieceOff []uint32
	renders  []bool // Decode emits the token (normal and user-defined tokens)

	// BPE symbols are byte strings, interned as ids: ids below len(tokens)
	// are tokens; higher ids are strings that occur only in merges.
	symbols  map[string]int32 // raw bytes -> symbol id (first token wins)
	byteSym  [256]int32       // symbol id of each single byte, -1 if none
	byteTok  [256]int32       // token id of each single byte, -1 if none
	merges   map[uint64]merge // pair(left, right) -> merge
	otherIDs map[string]int32 // stored text -> id, for texts that are not byte-level

	specials []int32 // ids split out by parseSpecial, longest text first

	bos, eos, eot, unk, pad int32
	addBOS, addEOS          bool
	eog                     []int32 // end-of-generation ids, sorted
}

// merge is one rule of tokenizer.ggml.merges: the pair becomes result.
type merge struct {
	rank   int32 // index in the merge list; lower merges first
	result int32 // symbol id of the concatenation
}

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// New builds a tokenizer from v. It checks that every special id is a token,
// that the type and score arrays match the token count and that every merge
// is "left right" with both sides non-empty; the error names the field or
// merge index at fault. Duplicate token texts are allowed: the lowest id
// wins when encoding a byte-level vocabulary, the highest (as in llama.cpp)
// when encoding a SentencePiece one. New does not retain v's slices. Merges
// whose sides are not byte-level strings can never apply and are ignored.
func New(v Vocab) (*Tokenizer, error) {
	if err := checkModel(v.Model); err != nil {
		return nil, err
	}
	n := len(v.Tokens)
	if n == 0 {
		return nil, errors.New("tokenizer: empty vocabulary")
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("tokenizer: vocabulary of %d tokens is too large", n)
	}
	if v.Types != nil && len(v.Types) != n {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(v.Types), n)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return nil, fmt.Errorf("tokenizer: %d token scores for %d tokens", len(v.Scores), n)
	}
	var pre preKind
	var ignoreMerges bool
	if v.Model == "gpt2" {
		var err error
		if pre, ignoreMerges, err = parsePre(v.Pre); err != nil {
			return nil, err
		}
	}
	t := &Tokenizer{
		pre:          pre,
		ignoreMerges: ignoreMerges,
		tokens:       slices.Clone(v.Tokens),
		types:        make([]uint8, n),
		renders:      make([]bool, n),
		pieceOff:     make([]uint32, n+1),
		symbols:      make(map[string]int32, n),
		otherIDs:     make(map[string]int32),
		addBOS:       v.AddBOS,
		addEOS:       v.AddEOS,
	}
	for _, s := range []struct {
		name string
		id   int32
		dst  *int32
	}{{"bos", v.BOS, &t.bos}, {"eos", v.EOS, &t.eos}, {"eot", v.EOT, &t.eot}, {"unk", v.UNK, &t.unk}, {"pad", v.PAD, &t.pad}} {
		if s.id < -1 || int(s.id) >= n {
			return nil, fmt.Errorf("tokenizer: %s id %d out of range [0, %d)", s.name, s.id, n)
		}
		*s.dst = s.id
	}

	for id, text := range v.Tokens {
		typ := int32(TypeNormal)
		if v.Types != nil {
			typ = v.Types[id]
		}
		if typ < 0 || typ > TypeByte {
			return nil, fmt.Errorf("tokenizer: token %d %q: type %d out of range", id, text, typ)
		}
		t.types[id] = uint8(typ)
	}
	if v.Model == "llama" {
		t.initSPM(v)
	} else if err := t.initByteLevel(v); err != nil {
		return nil, err
	}
	t.finish(v)
	return t, nil
}

// initByteLevel fills the byte-level BPE tables and the pieces of every
// token from v, whose token types are already in t.types.
func (t *Tokenizer) initByteLevel(v Vocab) error {
	n := len(v.Tokens)
	var raw []byte
	for id, text := range v.Tokens {
		typ := int32(t.types[id])
		var byteLevel bool
		raw, byteLevel = byteLevelDecode(raw[:0], text)
		if byteLevel {
			if _, dup := t.symbols[string(raw)]; !dup {
				t.symbols[string(raw)] = int32(id)
			}
		} else if _, dup := t.otherIDs[text]; !dup {
			t.otherIDs[text] = int32(id)
		}
		// Control, user-defined and unknown texts are raw text, as is any
		// text outside the byte-level alphabet.
		if byteLevel && typ != TypeControl && typ != TypeUserDefined && typ != TypeUnknown {
			t.pieces = append(t.pieces, raw...)
		} else {
			t.pieces = append(t.pieces, text...)
		}
		if uint64(len(t.pieces)) > math.MaxUint32 {
			return errors.New("tokenizer: token texts exceed 4 GiB")
		}
		t.pieceOff[id+1] = uint32(len(t.pieces))
		t.renders[id] = typ != TypeControl && typ != TypeUnknown
	}

	if err := t.buildMerges(v.Merges); err != nil {
		return err
	}
	for b := range 256 {
		t.byteSym[b], t.byteTok[b] = -1, -1
		if id, ok := t.symbols[string([]byte{byte(b)})]; ok {
			t.byteSym[b] = id
			if int(id) < n {
				t.byteTok[b] = id
			}
		}
	}
	return nil
}

// finish collects the special tokens, EOT and the end-of-generation set.
func (t *Tokenizer) finish(v Vocab) {
	for id := range v.Tokens {
		switch t.types[id] {
		case TypeControl, TypeUserDefined, TypeUnknown:
			if v.Tokens[id] != "" {
				t.specials = append(t.specials, int32(id))
			}
		}
	}
	// llama.cpp's cache_special_tokens: longest text first (ties by id here).
	slices.SortStableFunc(t.specials, func(a, b int32) int {
		return cmp.Compare(len(v.Tokens[b]), len(v.Tokens[a]))
	})

	if t.eot < 0 {
		for _, text := range eogTexts[:len(eogTexts)-1] {
			if id, ok := t.Lookup(text); ok {
				t.eot = id
				break
			}
		}
	}
	for _, id := range []int32{t.eos, t.eot} {
		if id >= 0 {
			t.eog = append(t.eog, id)
		}
	}
	for _, text := range eogTexts {
		if id, ok := t.Lookup(text); ok {
			t.eog = append(t.eog, id)
		}
	}
	slices.Sort(t.eog)
	t.eog = slices.Compact(t.eog)
}

// checkModel accepts the tokenizer.ggml.model values this package handles.
func checkModel(model string) error {
	switch model {
	case "gpt2", "llama":
		return nil
	}
	return fmt.Errorf("tokenizer: model %q not supported", model)
}

// buildMerges parses the merge list into t.merges, interning merge sides
// that are not tokens as extra symbols.
func (t *Tokenizer) buildMerges(list []string) error {
	t.merges = make(map[uint64]merge, len(list))
	next := int32(len(t.tokens))
	intern := func(b []byte) int32 {
		if id, ok := t.symbols[string(b)]; ok {
			return id
		}
		id := next
		next++
		t.symbols[string(b)] = id
		return id
	}
	var buf []byte
	for i, m := range list {
		// llama.cpp splits at the first space after position 0.
		sp := strings.IndexByte(m[min(1, len(m)):], ' ') + min(1, len(m))
		if sp <= 0 || sp == len(m)-1 || strings.IndexByte(m[sp+1:], ' ') >= 0 {
			return fmt.Errorf("tokenizer: merge %d %q: want \"left right\"", i, m)
		}
		var okL, okR bool
		buf, okL = byteLevelDecode(buf[:0], m[:sp])
		nl := len(buf)
		buf, okR = byteLevelDecode(buf, m[sp+1:])
		if !okL || !okR {
			continue // unreachable from byte-level words
		}
		if next < 0 {
			return errors.New("tokenizer: too many merge symbols")
		}
		l, r := intern(buf[:nl]), intern(buf[nl:])
		key := pairKey(l, r)
		if _, dup := t.merges[key]; dup {
			continue // the lower rank wins
		}
		t.merges[key] = merge{rank: int32(i), result: intern(buf)}
	}
	return nil
}

// VocabSize returns the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// BOS returns the beginning-of-sequence id, or -1.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence id, or -1.
func (t *Tokenizer) EOS() int32 { return t.eos }

// EOT returns the end-of-turn id, or -1: tokenizer.ggml.eot_token_id, else
// the first of <|eot_id|>, <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>,
// <EOT> that is a token.
func (t *Tokenizer) EOT() int32 { return t.eot }

// UNK returns the unknown-token id, or -1.
func (t *Tokenizer) UNK() int32 { return t.unk }

// PAD returns the padding id, or -1.
func (t *Tokenizer) PAD() int32 { return t.pad }

// AddBOS reports whether callers should prepend BOS when encoding a prompt
// (tokenizer.ggml.add_bos_token).
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddEOS reports tokenizer.ggml.add_eos_token. Encode never appends EOS; a
// caller that honours this flag appends EOS() itself.
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// PreTokenizer returns the splitter in use: "llama-bpe", "default", "gpt-2",
// "falcon", "falcon3" (which "falcon_e" selects too) or "qwen2", or "" for a
// SentencePiece vocabulary, which has none.
func (t *Tokenizer) PreTokenizer() string {
	if t.spm != nil {
		return ""
	}
	switch t.pre {
	case preDefault:
		return PreDefault
	case preGPT2:
		return PreGPT2
	case preFalcon:
		return PreFalcon
	case preFalcon3:
		return PreFalcon3
	case preQwen2:
		return PreQwen2
	}
	return PreLlama3
}

// Model returns the vocabulary kind, tokenizer.ggml.model: "gpt2" for
// byte-level BPE or "llama" for SentencePiece.
func (t *Tokenizer) Model() string {
	if t.spm != nil {
		return "llama"
	}
	return "gpt2"
}

// AddSpacePrefix reports whether encoding prepends a space to the text
// (SentencePiece with tokenizer.ggml.add_space_prefix, the default) and
// Decode drops it again. It is false for byte-level vocabularies.
func (t *Tokenizer) AddSpacePrefix() bool { return t.spm != nil && t.spm.addSpacePrefix }

// IsEOG reports whether id ends generation: EOS, EOT, or a token whose text
// is one of <|eot_id|>, <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>,
// <|eom_id|>, <EOT> (llama.cpp, spec §5.1).
func (t *Tokenizer) IsEOG(id int32) bool {
	_, found := slices.BinarySearch(t.eog, id)
	return found
}

// IsControl reports whether id is a control token (type 3). It reports false
// for ids out of range.
func (t *Tokenizer) IsControl(id int32) bool {
	return t.valid(id) && t.types[id] == TypeControl
}

// TokenType returns the type of token id (TypeNormal, TypeControl, …), or 0
// for an id out of range.
func (t *Tokenizer) TokenType(id int32) int {
	if !t.valid(id) {
		return 0
	}
	return int(t.types[id])
}

// TokenText returns the stored text of token id (byte-level form for normal
// tokens), or "" for an id out of range.
func (t *Tokenizer) TokenText(id int32) string {
	if !t.valid(id) {
		return ""
	}
	return t.tokens[id]
}

// Piece returns the bytes token id stands for: the decoded bytes of a normal
// token, the text of a control, user-defined or unknown token (so
// Piece(eot) is "<|eot_id|>"). It returns nil for an id out of range. The
// result aliases internal storage and must not be modified.
func (t *Tokenizer) Piece(id int32) []byte {
	if !t.valid(id) {
		return nil
	}
	return t.pieces[t.pieceOff[id]:t.pieceOff[id+1]:t.pieceOff[id+1]]
}

// Lookup returns the id of the token whose stored text is text (the lowest
// such id).
func (t *Tokenizer) Lookup(text string) (int32, bool) {
	var buf [64]byte
	if raw, ok := byteLevelDecode(buf[:0], text); ok {
		id, found := t.symbols[string(raw)]
		if found && int(id) < len(t.tokens) && t.tokens[id] == text {
			return id, true
		}
	}
	id, found := t.otherIDs[text]
	return id, found
}

func (t *Tokenizer) valid(id int32) bool { return id >= 0 && int(id) < len(t.tokens) }
