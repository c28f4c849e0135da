package tokenizer

import (
	"errors"
	"fmt"
	"math"

	"github.com/bitnet-go/bitnet/gguf"
)

// GGUF keys of the tokenizer (spec §5.1).
const (
	keyModel  = "tokenizer.ggml.model"
	keyPre    = "tokenizer.ggml.pre"
	keyTokens = "tokenizer.ggml.tokens"
	keyTypes  = "tokenizer.ggml.token_type"
	keyScores = "tokenizer.ggml.scores"
	keyMerges = "tokenizer.ggml.merges"
	keyAddBOS = "tokenizer.ggml.add_bos_token"
	keyAddEOS = "tokenizer.ggml.add_eos_token"
	keySpace  = "tokenizer.ggml.add_space_prefix"
)

// Options adjust FromGGUF.
type Options struct {
	// Pre, if not empty, replaces tokenizer.ggml.pre. A file without that
	// key gets the Llama-3 splitter; Pre: "default" reproduces llama.cpp and
	// bitnet.cpp, which use their "default" cascade for such a file.
	Pre string
}

// FromGGUF builds the tokenizer stored in f's tokenizer.* keys. Required:
// tokenizer.ggml.model and tokenizer.ggml.tokens. Missing special ids are -1.
// A missing tokenizer.ggml.add_bos_token means true for the Llama-3
// pre-tokenizer family (as in llama.cpp) and false otherwise. Errors name
// the file and the key.
//
// A SentencePiece ("llama") vocabulary takes llama.cpp's defaults for
// missing keys (spec §5.1): BOS 1, EOS 2, UNK 0, add_bos_token and
// add_space_prefix true; tokenizer.ggml.pre and Options.Pre are ignored.
// FromGGUF reads only metadata, so vocabulary-only files (llama.cpp's
// ggml-vocab-*.gguf, which hold no tensors) work.
func FromGGUF(f *gguf.File, opt Options) (*Tokenizer, error) {
	v := Vocab{BOS: -1, EOS: -1, EOT: -1, UNK: -1, PAD: -1}
	var err error
	if v.Model, err = f.String(keyModel); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if err := checkModel(v.Model); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, f.Name)
	}
	if v.Tokens, err = f.Strings(keyTokens); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	spm := v.Model == "llama"
	if spm {
		v.BOS, v.EOS, v.UNK = 1, 2, 0
	}

	// Optional keys: a missing one leaves the zero value.
	var firstErr error
	optional := func(err error) {
		if err != nil && !errors.Is(err, gguf.ErrKeyNotFound) && firstErr == nil {
			firstErr = err
		}
	}
	v.Pre, err = f.String(keyPre)
	optional(err)
	v.Types, err = f.Int32s(keyTypes)
	optional(err)
	v.Scores, err = f.Float32s(keyScores)
	optional(err)
	v.Merges, err = f.Strings(keyMerges)
	optional(err)
	v.AddEOS, err = f.Bool(keyAddEOS)
	optional(err)
	for _, s := range []struct {
		key string
		dst *int32
	}{
		{"tokenizer.ggml.bos_token_id", &v.BOS},
		{"tokenizer.ggml.eos_token_id", &v.EOS},
		{"tokenizer.ggml.eot_token_id", &v.EOT},
		{"tokenizer.ggml.unknown_token_id", &v.UNK},
		{"tokenizer.ggml.padding_token_id", &v.PAD},
	} {
		id, err := f.Uint(s.key)
		optional(err)
		if err != nil {
			continue
		}
		if id > math.MaxInt32 {
			return nil, fmt.Errorf("tokenizer: %s: key %q: id %d out of range", f.Name, s.key, id)
		}
		*s.dst = int32(id)
	}
	space, err := f.Bool(keySpace)
	optional(err)
	v.NoSpacePrefix = err == nil && !space
	if firstErr != nil {
		return nil, fmt.Errorf("tokenizer: %w", firstErr)
	}

	defaultBOS := spm // llama.cpp's default for SPM
	if !spm {
		if opt.Pre != "" {
			v.Pre = opt.Pre
		}
		pre, _, err := parsePre(v.Pre)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, f.Name)
		}
		defaultBOS = pre == preLlama3 // llama.cpp's default for the llama3 family
	}
	v.AddBOS, err = f.Bool(keyAddBOS)
	if errors.Is(err, gguf.ErrKeyNotFound) {
		v.AddBOS = defaultBOS
	} else if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := New(v)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, f.Name)
	}
	return t, nil
}
