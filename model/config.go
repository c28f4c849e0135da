package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/bitnet-go/bitnet/gguf"
)

// Activation is the FFN gate non-linearity.
type Activation int

const (
	ReluSqr Activation = iota // relu(x)², BitNet-b1.58-2B-4T
	SiLU                      // x·sigmoid(x), 1bitLLM and llama
)

func (a Activation) String() string {
	if a == ReluSqr {
		return "relu²"
	}
	return "silu"
}

// RopeStyle says which element pairs RoPE rotates (spec §3.4).
type RopeStyle int

const (
	RopeNeoX RopeStyle = iota // pairs (i, i+nRot/2)
	RopeNorm                  // pairs (2i, 2i+1)
)

func (r RopeStyle) String() string {
	if r == RopeNeoX {
		return "neox"
	}
	return "norm"
}

// Config is the blueprint of a model: every hyperparameter, read once from
// GGUF metadata, plus the derived sizes the forward pass uses. It is
// immutable after Load.
type Config struct {
	Arch      string // general.architecture as stored
	Name      string // general.name, "" if absent
	Dim       int    // embedding_length
	HiddenDim int    // feed_forward_length
	NLayers   int    // block_count
	NHeads    int    // attention.head_count
	NKVHeads  int    // attention.head_count_kv
	HeadDim   int    // attention.key_length, or Dim/NHeads
	NRot      int    // rope.dimension_count, or HeadDim
	VocabSize int    // vocab_size, or len(tokenizer.ggml.tokens)
	SeqLen    int    // context_length (training context)
	RopeBase  float32
	RopeScale float32 // linear scaling factor; positions are multiplied by 1/RopeScale
	NormEps   float32

	Act      Activation
	Rope     RopeStyle
	SubNorms bool // attn_sub_norm before wo, ffn_sub_norm before w_down
	TiedHead bool // logits use token_embd (output.weight ignored if present)

	// Derived.
	KVDim int // NKVHeads · HeadDim
	KVMul int // NHeads / NKVHeads: query heads per KV head
	QDim  int // NHeads · HeadDim (= Dim for every model in scope)
}

// archSpec describes how an architecture name maps to its graph.
type archSpec struct {
	act        Activation
	rope       RopeStyle
	subNorms   bool
	tiedHead   bool // always tied, whatever tensors exist
	epsKey     bool // rms epsilon required
	ropeBase   float32
	allowI2S   bool
	ropeEqHead bool
}

var archs = map[string]archSpec{
	// spec §3.1: bitnet.cpp maps both names to build_bitnet_158.
	"bitnet-b1.58": {act: ReluSqr, rope: RopeNeoX, subNorms: true, tiedHead: true, epsKey: true, ropeBase: 10000, allowI2S: true, ropeEqHead: true},
	"bitnet-25":    {act: ReluSqr, rope: RopeNeoX, subNorms: true, tiedHead: true, epsKey: true, ropeBase: 10000, allowI2S: true, ropeEqHead: true},
	// spec §3.2.
	"bitnet": {act: SiLU, rope: RopeNeoX, subNorms: true, tiedHead: true, epsKey: true, ropeBase: 10000, allowI2S: true},
	// spec §3.3: bitnet.cpp writes I2_S for Llama3-8B-1.58 and Falcon3-1.58bit.
	"llama": {act: SiLU, rope: RopeNorm, subNorms: false, tiedHead: false, epsKey: false, ropeBase: 10000, allowI2S: true, ropeEqHead: true},
}

// Architectures lists the supported general.architecture values.
func Architectures() []string { return []string{"bitnet-b1.58", "bitnet-25", "bitnet", "llama"} }

// ErrUnsupportedArch is returned (wrapped) for an architecture not in Architectures.
var ErrUnsupportedArch = errors.New("model: unsupported architecture")

// NewConfig reads and checks the hyperparameters of f. Every missing or
// inconsistent key is an error naming the key (and both values when two
// keys disagree).
func NewConfig(f *gguf.File) (*Config, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	spec, ok := archs[arch]
	if !ok {
		hint := ""
		for _, t := range f.Tensors {
			if t.Type >= gguf.TypeI2_S && t.Type <= gguf.TypeTL2 {
				hint = fmt.Sprintf("; tensor %q has type id %d, which means %s only in bitnet.cpp's files for BitNet architectures (upstream ggml used ids 36-38 for since-removed IQ4_NL repack types and 39 for MXFP4), so it is refused here", t.Name, uint32(t.Type), t.Type)
				break
			}
		}
		return nil, fmt.Errorf("%w %q in %s (supported: bitnet-b1.58, bitnet-25, bitnet, llama)%s", ErrUnsupportedArch, arch, f.Name, hint)
	}
	c := &Config{Arch: arch, Act: spec.act, Rope: spec.rope, SubNorms: spec.subNorms, TiedHead: spec.tiedHead}
	c.Name, _ = f.String("general.name")
	k := func(s string) string { return arch + "." + s }

	req := func(key string, dst *int) {
		if err != nil {
			return
		}
		var v uint64
		v, err = f.Uint(key)
		if err != nil {
			err = fmt.Errorf("model: required key missing or invalid: %w", err)
			return
		}
		if v == 0 || v > 1<<24 {
			err = fmt.Errorf("model: %s: key %q = %d is out of range [1, %d]", f.Name, key, v, 1<<24)
			return
		}
		*dst = int(v)
	}
	opt := func(key string, dst *int, def int) {
		if err != nil {
			return
		}
		v, e := f.Uint(key)
		switch {
		case errors.Is(e, gguf.ErrKeyNotFound):
			*dst = def
		case e != nil:
			err = fmt.Errorf("model: %w", e)
		case v == 0 || v > 1<<24:
			err = fmt.Errorf("model: %s: key %q = %d is out of range [1, %d]", f.Name, key, v, 1<<24)
		default:
			*dst = int(v)
		}
	}
	// Per-layer arrays (feed_forward_length, head_count) must be uniform here.
	uniform := func(key string, dst *int, required bool, def int) {
		if err != nil {
			return
		}
		vs, e := f.Uints(key)
		if errors.Is(e, gguf.ErrKeyNotFound) && !required {
			*dst = def
			return
		}
		if e != nil {
			err = fmt.Errorf("model: required key missing or invalid: %w", e)
			return
		}
		if len(vs) == 0 {
			err = fmt.Errorf("model: %s: key %q is an empty array", f.Name, key)
			return
		}
		for i, v := range vs {
			if v != vs[0] {
				err = fmt.Errorf("model: %s: key %q: per-layer values differ (layer 0: %d, layer %d: %d); only uniform layers are supported", f.Name, key, vs[0], i, v)
				return
			}
		}
		if vs[0] == 0 || vs[0] > 1<<24 {
			err = fmt.Errorf("model: %s: key %q = %d is out of range [1, %d]", f.Name, key, vs[0], 1<<24)
			return
		}
		*dst = int(vs[0])
	}

	req(k("embedding_length"), &c.Dim)
	req(k("block_count"), &c.NLayers)
	req(k("context_length"), &c.SeqLen)
	uniform(k("feed_forward_length"), &c.HiddenDim, true, 0)
	uniform(k("attention.head_count"), &c.NHeads, true, 0)
	uniform(k("attention.head_count_kv"), &c.NKVHeads, false, c.NHeads)
	if err != nil {
		return nil, err
	}
	opt(k("attention.key_length"), &c.HeadDim, c.Dim/c.NHeads)
	var valueLen int
	opt(k("attention.value_length"), &valueLen, c.HeadDim)
	opt(k("rope.dimension_count"), &c.NRot, c.HeadDim)
	if err != nil {
		return nil, err
	}
	if c.Dim%c.NHeads != 0 && c.HeadDim == 0 {
		return nil, fmt.Errorf("model: %s: %s = %d is not a multiple of %s = %d", f.Name, k("embedding_length"), c.Dim, k("attention.head_count"), c.NHeads)
	}
	if valueLen != c.HeadDim {
		return nil, fmt.Errorf("model: %s: %s = %d differs from %s = %d; separate key and value head sizes are not supported", f.Name, k("attention.value_length"), valueLen, k("attention.key_length"), c.HeadDim)
	}
	if c.NHeads%c.NKVHeads != 0 {
		return nil, fmt.Errorf("model: %s: %s = %d is not a multiple of %s = %d", f.Name, k("attention.head_count"), c.NHeads, k("attention.head_count_kv"), c.NKVHeads)
	}
	if c.NRot > c.HeadDim || c.NRot%2 != 0 {
		return nil, fmt.Errorf("model: %s: %s = %d must be even and at most the head size %d", f.Name, k("rope.dimension_count"), c.NRot, c.HeadDim)
	}
	if spec.ropeEqHead && c.NRot != c.HeadDim {
		return nil, fmt.Errorf("model: %s: %s = %d must equal the head size %d for architecture %s", f.Name, k("rope.dimension_count"), c.NRot, c.HeadDim, arch)
	}

	// Vocabulary size: the key, else the token list (spec §3.0).
	if v, e := f.Uint(k("vocab_size")); e == nil {
		c.VocabSize = int(v)
		if toks, e := f.Strings("tokenizer.ggml.tokens"); e == nil && len(toks) != c.VocabSize {
			return nil, fmt.Errorf("model: %s: %s = %d but tokenizer.ggml.tokens has %d entries", f.Name, k("vocab_size"), v, len(toks))
		}
	} else if errors.Is(e, gguf.ErrKeyNotFound) {
		toks, e := f.Strings("tokenizer.ggml.tokens")
		if e != nil {
			return nil, fmt.Errorf("model: %s: neither %s nor tokenizer.ggml.tokens gives the vocabulary size: %w", f.Name, k("vocab_size"), e)
		}
		c.VocabSize = len(toks)
	} else {
		return nil, fmt.Errorf("model: %w", e)
	}
	if c.VocabSize <= 0 || c.VocabSize > 1<<24 {
		return nil, fmt.Errorf("model: %s: vocabulary size %d out of range", f.Name, c.VocabSize)
	}

	// Floats.
	fl := func(key string, required bool, def float64) float32 {
		if err != nil {
			return 0
		}
		v, e := f.Float(key)
		if errors.Is(e, gguf.ErrKeyNotFound) && !required {
			return float32(def)
		}
		if e != nil {
			err = fmt.Errorf("model: required key missing or invalid: %w", e)
			return 0
		}
		return float32(v)
	}
	c.NormEps = fl(k("attention.layer_norm_rms_epsilon"), spec.epsKey, 1e-5)
	c.RopeBase = fl(k("rope.freq_base"), false, float64(spec.ropeBase))
	c.RopeScale = 1
	if err != nil {
		return nil, err
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		return nil, fmt.Errorf("model: %s: %s = %g is out of range (0, 1)", f.Name, k("attention.layer_norm_rms_epsilon"), c.NormEps)
	}
	if !(c.RopeBase > 1) || math.IsInf(float64(c.RopeBase), 0) {
		return nil, fmt.Errorf("model: %s: %s = %g must be a finite number > 1", f.Name, k("rope.freq_base"), c.RopeBase)
	}
	if typ, e := f.String(k("rope.scaling.type")); e == nil && typ != "none" {
		if typ != "linear" {
			return nil, fmt.Errorf("model: %s: %s = %q is not supported (want \"none\" or \"linear\")", f.Name, k("rope.scaling.type"), typ)
		}
		if fac, e := f.Float(k("rope.scaling.factor")); e == nil && fac != 0 {
			if !(fac > 0) {
				return nil, fmt.Errorf("model: %s: %s = %g must be > 0", f.Name, k("rope.scaling.factor"), fac)
			}
			c.RopeScale = float32(fac)
		}
	}
	if arch == "bitnet" {
		if act, e := f.String("bitnet.hidden_activation"); e == nil {
			switch act {
			case "relu2":
				c.Act = ReluSqr
			case "silu":
				c.Act = SiLU
			default:
				return nil, fmt.Errorf("model: %s: bitnet.hidden_activation = %q is not supported (want \"relu2\" or \"silu\")", f.Name, act)
			}
		}
	}

	c.KVDim = c.NKVHeads * c.HeadDim
	c.KVMul = c.NHeads / c.NKVHeads
	c.QDim = c.NHeads * c.HeadDim
	return c, nil
}

// String summarises the configuration on one line.
func (c *Config) String() string {
	return fmt.Sprintf("%s: dim %d, %d layers, %d heads (%d KV, head %d), ffn %d (%s), vocab %d, ctx %d, rope %s θ=%g, eps %g, sub-norms %v, tied head %v",
		c.Arch, c.Dim, c.NLayers, c.NHeads, c.NKVHeads, c.HeadDim, c.HiddenDim, c.Act, c.VocabSize, c.SeqLen, c.Rope, c.RopeBase, c.NormEps, c.SubNorms, c.TiedHead)
}
