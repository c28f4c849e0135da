package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bitnet-go/bitnet/gguf"
)

// GGUF token types (spec §5.1).
const (
	tokNormal      = 1
	tokUnknown     = 2
	tokControl     = 3
	tokUserDefined = 4
	tokUnused      = 5
	tokByte        = 6
)

// llama3Regex is the pre-tokenizer split pattern of Llama 3's
// tokenizer.json; a tokenizer.json that uses it gets tokenizer.ggml.pre =
// "llama-bpe", as llama.cpp's converter detects it (spec §5.2, §5.5).
const llama3Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// qwen2Regex is the split pattern of Qwen2's and Qwen3's tokenizer.json:
// Llama 3's with one digit per piece (\p{N} for \p{N}{1,3}); it gets
// tokenizer.ggml.pre = "qwen2" (spec §10.8). qwen2RegexLlamaCpp is the same
// pattern as llama.cpp spells it, with ASCII case classes for the
// contractions; both are recognised.
const (
	qwen2Regex         = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2RegexLlamaCpp = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// vocab is the tokenizer metadata of the output, in the key order of the
// reference files (gguf-py's SpecialVocab.add_to_gguf).
type vocab struct {
	model          string // "gpt2" or "llama"
	pre            string
	tokens         []string
	scores         []float32 // nil for gpt2
	types          []int32
	merges         []string // nil for llama
	special        []specialID
	addBOS, addEOS *bool
	addSpacePrefix *bool // llama only
	chatTemplate   string

	// spaceFirst writes add_space_prefix right after the token types, as
	// BitNet's embedding converter does, instead of after the special ids.
	spaceFirst bool
}

// specialID is one tokenizer.ggml.<kind>_token_id.
type specialID struct {
	kind string // bos, eos, unk, sep, pad, cls, mask
	id   uint32
}

// specialKinds is gguf-py's SpecialVocab.special_token_types order.
var specialKinds = []string{"bos", "eos", "unk", "sep", "pad", "cls", "mask"}

// specialKeys names each kind's GGUF key, tokenizer.ggml.<name>_token_id
// (gguf-py's Keys.Tokenizer, "seperator" as spelled there).
var specialKeys = map[string]string{
	"bos": "bos", "eos": "eos", "unk": "unknown", "sep": "seperator", "pad": "padding", "cls": "cls", "mask": "mask",
}

// add writes the tokenizer keys to w.
func (v *vocab) add(w *gguf.Writer) {
	w.AddString("tokenizer.ggml.model", v.model)
	w.AddString("tokenizer.ggml.pre", v.pre)
	w.AddStrings("tokenizer.ggml.tokens", v.tokens)
	if v.scores != nil {
		w.AddFloat32s("tokenizer.ggml.scores", v.scores)
	}
	w.AddInt32s("tokenizer.ggml.token_type", v.types)
	if v.addSpacePrefix != nil && v.spaceFirst {
		w.AddBool("tokenizer.ggml.add_space_prefix", *v.addSpacePrefix)
	}
	if v.merges != nil {
		w.AddStrings("tokenizer.ggml.merges", v.merges)
	}
	for _, s := range v.special {
		w.AddUint32("tokenizer.ggml."+specialKeys[s.kind]+"_token_id", s.id)
	}
	if v.addBOS != nil {
		w.AddBool("tokenizer.ggml.add_bos_token", *v.addBOS)
	}
	if v.addEOS != nil {
		w.AddBool("tokenizer.ggml.add_eos_token", *v.addEOS)
	}
	if v.addSpacePrefix != nil && !v.spaceFirst {
		w.AddBool("tokenizer.ggml.add_space_prefix", *v.addSpacePrefix)
	}
	if v.chatTemplate != "" {
		w.AddString("tokenizer.chat_template", v.chatTemplate)
	}
}

// hfTokenizer is the part of a Hugging Face tokenizer.json the converter reads.
type hfTokenizer struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Model        struct {
		Type   string            `json:"type"`
		Vocab  map[string]int    `json:"vocab"`
		Merges []json.RawMessage `json:"merges"`
	} `json:"model"`
}

// tokenizerConfig is the part of tokenizer_config.json the converter reads.
type tokenizerConfig struct {
	AddBOS       *bool           `json:"add_bos_token"`
	AddEOS       *bool           `json:"add_eos_token"`
	ChatTemplate json.RawMessage `json:"chat_template"`
	AddedDecoder map[string]struct {
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens_decoder"`
}

// loadVocab builds the output vocabulary from the tokenizer files in dir:
// tokenizer.json (byte-level BPE) for BitNetForCausalLM and Llama models,
// tokenizer.model (SentencePiece) for BitnetForCausalLM or when it is the only
// tokenizer file. vocabSize is config.json's vocab_size; shorter
// vocabularies are padded with [PADn] tokens as llama.cpp's converters do.
func loadVocab(dir string, spec *archSpec, cfg *hfConfig, pre string, logf func(string, ...any)) (*vocab, error) {
	jsonPath := filepath.Join(dir, "tokenizer.json")
	spmPath := filepath.Join(dir, "tokenizer.model")
	hasJSON, hasSPM := exists(jsonPath), exists(spmPath)
	var tj *hfTokenizer
	if hasJSON {
		tj = new(hfTokenizer)
		if err := readJSON(jsonPath, tj); err != nil {
			return nil, err
		}
	}
	var v *vocab
	var err error
	switch {
	case hasSPM && (spec.gguf == "bitnet" || spec.preferSPM || !hasJSON || tj.Model.Type != "BPE"):
		v, err = spmVocab(spmPath, dir, cfg.VocabSize, logf)
	case hasJSON:
		v, err = bpeVocab(jsonPath, tj, cfg.VocabSize, logf)
	default:
		return nil, fmt.Errorf("convert: %s: no tokenizer.json or tokenizer.model", dir)
	}
	if err != nil {
		return nil, err
	}
	if pre != "" {
		v.pre = pre
	}
	v.spaceFirst = spec.embedding
	if err := v.addSpecials(dir, tj, cfg, logf); err != nil {
		return nil, err
	}
	return v, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// bpeVocab reads a byte-level BPE tokenizer.json, as llama.cpp's
// get_vocab_base does: tokens by id (added tokens raw, type control when
// special, else user-defined), [PADn] for missing ids, and the merge list.
func bpeVocab(path string, tj *hfTokenizer, vocabSize int, logf func(string, ...any)) (*vocab, error) {
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("convert: %s: model type %q is not supported (want BPE)", path, tj.Model.Type)
	}
	n := vocabSize
	for _, id := range tj.Model.Vocab {
		if id < 0 || id >= vocabSize {
			return nil, fmt.Errorf("convert: %s: token id %d outside config.json vocab_size %d", path, id, vocabSize)
		}
	}
	tokens := make([]string, n)
	types := make([]int32, n)
	have := make([]bool, n)
	for text, id := range tj.Model.Vocab {
		if have[id] {
			return nil, fmt.Errorf("convert: %s: token id %d appears twice in the vocabulary (%q and %q)", path, id, tokens[id], text)
		}
		tokens[id], types[id], have[id] = text, tokNormal, true
	}
	for _, a := range tj.AddedTokens {
		if a.ID < 0 || a.ID >= vocabSize {
			return nil, fmt.Errorf("convert: %s: added token %q has id %d outside config.json vocab_size %d", path, a.Content, a.ID, vocabSize)
		}
		tokens[a.ID], have[a.ID] = a.Content, true
		types[a.ID] = tokUserDefined
		if a.Special {
			types[a.ID] = tokControl
		}
	}
	pad := 0
	for id := range tokens {
		if !have[id] {
			tokens[id], types[id] = fmt.Sprintf("[PAD%d]", id), tokUnused
			pad++
		}
	}
	if pad > 0 {
		logf("tokenizer: %d ids below vocab_size %d have no token; padded with [PADn]", pad, vocabSize)
	}
	merges := make([]string, len(tj.Model.Merges))
	for i, m := range tj.Model.Merges {
		var s string
		if err := json.Unmarshal(m, &s); err == nil {
			merges[i] = s
			continue
		}
		var pair []string
		if err := json.Unmarshal(m, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("convert: %s: merge %d is %s, want \"a b\" or [\"a\", \"b\"]", path, i, m)
		}
		merges[i] = pair[0] + " " + pair[1]
	}
	return &vocab{model: "gpt2", pre: detectPre(tj.PreTokenizer, logf), tokens: tokens, types: types, merges: merges}, nil
}

// detectPre names the pre-tokenizer of a tokenizer.json (spec §5.2, §5.5,
// §10.8) from its split pattern, never from the vocabulary, so that new and
// truncated vocabularies convert: the Llama-3 pattern, the Qwen2 pattern
// and plain GPT-2 byte-level splitting are recognised; anything else gets
// "default" with a warning (override with Options.Pre).
func detectPre(raw json.RawMessage, logf func(string, ...any)) string {
	var p struct {
		Type          string `json:"type"`
		UseRegex      *bool  `json:"use_regex"`
		Pretokenizers []struct {
			Type    string `json:"type"`
			Pattern struct {
				Regex string `json:"Regex"`
			} `json:"pattern"`
			UseRegex *bool `json:"use_regex"`
		} `json:"pretokenizers"`
	}
	_ = json.Unmarshal(raw, &p)
	for _, s := range p.Pretokenizers {
		if s.Type != "Split" {
			continue
		}
		switch s.Pattern.Regex {
		case llama3Regex:
			return "llama-bpe"
		case qwen2Regex, qwen2RegexLlamaCpp:
			return "qwen2"
		}
	}
	if p.Type == "ByteLevel" && (p.UseRegex == nil || *p.UseRegex) {
		return "gpt-2"
	}
	logf("tokenizer: pre-tokenizer not recognised; writing tokenizer.ggml.pre = \"default\" (set --pre to override)")
	return "default"
}

// spmVocab reads a SentencePiece tokenizer.model as llama.cpp's
// _create_vocab_sentencepiece does, then added_tokens.json and
// tokenizer_config.json's added_tokens_decoder.
func spmVocab(path, dir string, vocabSize int, logf func(string, ...any)) (*vocab, error) {
	m, err := readSPM(path)
	if err != nil {
		return nil, err
	}
	if len(m.pieces) > vocabSize {
		return nil, fmt.Errorf("convert: %s: %d pieces, more than config.json vocab_size %d", path, len(m.pieces), vocabSize)
	}
	v := &vocab{model: "llama", pre: "default",
		tokens: make([]string, vocabSize), scores: make([]float32, vocabSize), types: make([]int32, vocabSize)}
	for i := range v.tokens {
		v.tokens[i], v.scores[i], v.types[i] = fmt.Sprintf("[PAD%d]", i), -10000, tokUnused
	}
	for i, p := range m.pieces {
		v.tokens[i], v.scores[i] = p.text, p.score
		switch p.typ {
		case spmUnknown:
			v.types[i] = tokUnknown
		case spmControl:
			v.types[i] = tokControl
		case spmUnused:
			v.types[i] = tokUnused
		case spmByte:
			v.types[i] = tokByte
		default: // normal and user-defined pieces
			v.types[i] = tokNormal
		}
	}
	var added map[string]int
	if ok, err := optionalJSON(filepath.Join(dir, "added_tokens.json"), &added); err != nil {
		return nil, err
	} else if ok {
		for text, id := range added {
			if id < 0 || id >= vocabSize {
				logf("tokenizer: added_tokens.json: %q has id %d outside vocab_size %d; ignored", text, id, vocabSize)
				continue
			}
			v.tokens[id], v.scores[id], v.types[id] = text, -1000, tokUserDefined
		}
	}
	var tc tokenizerConfig
	if _, err := optionalJSON(filepath.Join(dir, "tokenizer_config.json"), &tc); err != nil {
		return nil, err
	}
	for key, a := range tc.AddedDecoder {
		id, err := strconv.Atoi(key)
		if err != nil || id < 0 || id >= vocabSize {
			return nil, fmt.Errorf("convert: %s: added_tokens_decoder key %q is not a token id below vocab_size %d", filepath.Join(dir, "tokenizer_config.json"), key, vocabSize)
		}
		if v.types[id] != tokUnused {
			continue // already a SentencePiece piece
		}
		v.scores[id] = -1000
		if a.Special || looksSpecial(a.Content) {
			v.tokens[id], v.types[id] = a.Content, tokControl
		} else {
			v.tokens[id], v.types[id] = strings.ReplaceAll(a.Content, "\u2581", " "), tokUserDefined
		}
	}
	asp := m.addDummyPrefix
	v.addSpacePrefix = &asp
	return v, nil
}

// looksSpecial is llama.cpp's does_token_look_special.
func looksSpecial(s string) bool {
	switch s {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return (strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>")) ||
		(strings.HasPrefix(s, "<｜") && strings.HasSuffix(s, "｜>")) ||
		(strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")) ||
		(strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">"))
}

// addSpecials fills the special ids, add_bos/add_eos and the chat template
// the way gguf-py's SpecialVocab does: ids named by tokenizer_config.json's
// <kind>_token (looked up among tokenizer.json's added tokens, or in the
// vocabulary), then config.json's <kind>_token_id, then the first of
// generation_config.json's eos_token_id for a still missing eos.
func (v *vocab) addSpecials(dir string, tj *hfTokenizer, cfg *hfConfig, logf func(string, ...any)) error {
	tcPath := filepath.Join(dir, "tokenizer_config.json")
	var raw map[string]json.RawMessage
	if _, err := optionalJSON(tcPath, &raw); err != nil {
		return err
	}
	ids := map[string]int{}
	// A <kind>_token that tokenizer_config.json sets to null says the model
	// has no such token (Qwen's bos_token): config.json's id is not used.
	none := map[string]bool{}
	for _, kind := range specialKinds {
		if r, ok := raw[kind+"_token"]; ok && string(r) == "null" {
			none[kind] = true
		}
		text, ok := tokenText(raw[kind+"_token"])
		if !ok {
			continue
		}
		id := -1
		if tj != nil {
			for _, a := range tj.AddedTokens {
				if a.Content == text {
					id = a.ID
				}
			}
		}
		if id < 0 && tj == nil {
			for i, t := range v.tokens {
				if t == text {
					id = i
					break
				}
			}
		}
		if id >= 0 {
			ids[kind] = id
		}
	}
	fromConfig := map[string]json.RawMessage{"bos": cfg.BOSTokenID, "eos": cfg.EOSTokenID, "pad": cfg.PadTokenID}
	for _, kind := range []string{"bos", "eos", "pad"} {
		if _, ok := ids[kind]; ok || none[kind] {
			continue
		}
		if id, ok := firstID(fromConfig[kind]); ok {
			ids[kind] = id
		}
	}
	if _, ok := ids["eos"]; !ok && !none["eos"] {
		var gen struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if ok, err := optionalJSON(filepath.Join(dir, "generation_config.json"), &gen); err != nil {
			return err
		} else if ok {
			if id, ok := firstID(gen.EOS); ok {
				ids["eos"] = id
			}
		}
	}
	for _, kind := range specialKinds {
		id, ok := ids[kind]
		if !ok {
			continue
		}
		if id < 0 || id >= len(v.tokens) {
			logf("tokenizer: %s token id %d is outside the vocabulary of %d; not written", kind, id, len(v.tokens))
			continue
		}
		v.special = append(v.special, specialID{kind, uint32(id)})
	}
	for _, k := range []struct {
		key string
		dst **bool
	}{{"add_bos_token", &v.addBOS}, {"add_eos_token", &v.addEOS}} {
		var b bool
		if r, ok := raw[k.key]; ok && json.Unmarshal(r, &b) == nil {
			*k.dst = &b
		}
	}
	if r, ok := raw["chat_template"]; ok {
		tmpl, err := chatTemplate(r)
		if err != nil {
			return fmt.Errorf("convert: %s: chat_template: %w", tcPath, err)
		}
		v.chatTemplate = tmpl
	}
	return nil
}

// tokenText reads a tokenizer_config.json <kind>_token entry: a string or
// an AddedToken object with "content".
func tokenText(r json.RawMessage) (string, bool) {
	if r == nil {
		return "", false
	}
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s, s != ""
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(r, &o) == nil && o.Content != "" {
		return o.Content, true
	}
	return "", false
}

// firstID reads a token id that may be an integer or a list of integers.
func firstID(r json.RawMessage) (int, bool) {
	if r == nil {
		return 0, false
	}
	var id int
	if json.Unmarshal(r, &id) == nil {
		return id, true
	}
	var ids []int
	if json.Unmarshal(r, &ids) == nil && len(ids) > 0 {
		return ids[0], true
	}
	return 0, false
}

// chatTemplate reads chat_template: a string, or a list of named templates
// of which "default" is taken (gguf-py writes the others under
// tokenizer.chat_template.<name>, which is not needed here).
func chatTemplate(r json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(r, &list); err != nil {
		return "", errors.New("neither a string nor a list of {name, template}")
	}
	for _, t := range list {
		if t.Name == "default" {
			return t.Template, nil
		}
	}
	return "", nil
}
