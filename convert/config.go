package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxJSONSize bounds the JSON files read from a model directory
// (tokenizer.json of a 128k vocabulary is about 9 MB).
const maxJSONSize = 256 << 20

// hfConfig is the part of a Hugging Face config.json the converter reads.
type hfConfig struct {
	Architectures      []string        `json:"architectures"`
	ModelType          string          `json:"model_type"`
	HiddenSize         int             `json:"hidden_size"`
	IntermediateSize   int             `json:"intermediate_size"`
	NumLayers          int             `json:"num_hidden_layers"`
	NumHeads           int             `json:"num_attention_heads"`
	NumKVHeads         int             `json:"num_key_value_heads"`
	HeadDim            int             `json:"head_dim"`
	VocabSize          int             `json:"vocab_size"`
	MaxPositions       int             `json:"max_position_embeddings"`
	RMSNormEps         *float64        `json:"rms_norm_eps"`
	RopeTheta          *float64        `json:"rope_theta"`
	RopeScaling        *ropeScaling    `json:"rope_scaling"`
	HiddenAct          string          `json:"hidden_act"`
	HiddenActivation   string          `json:"hidden_activation"`      // Gemma
	QueryPreAttnScalar *float64        `json:"query_pre_attn_scalar"`  // Gemma
	SlidingWindow      *int            `json:"sliding_window"`         // Gemma, Qwen
	AttnSoftcap        *float64        `json:"attn_logit_softcapping"` // Gemma
	TieWordEmbeddings  *bool           `json:"tie_word_embeddings"`
	BOSTokenID         json.RawMessage `json:"bos_token_id"`
	EOSTokenID         json.RawMessage `json:"eos_token_id"`
	PadTokenID         json.RawMessage `json:"pad_token_id"`
	Quantization       *struct {
		QuantMethod      string `json:"quant_method"`
		LinearClass      string `json:"linear_class"`
		QuantizationMode string `json:"quantization_mode"`
	} `json:"quantization_config"`
}

// ropeScaling is config.json's rope_scaling.
type ropeScaling struct {
	Type           string  `json:"type"`
	RopeType       string  `json:"rope_type"`
	Factor         float64 `json:"factor"`
	LowFreqFactor  float64 `json:"low_freq_factor"`
	HighFreqFactor float64 `json:"high_freq_factor"`
	OriginalMaxPos int     `json:"original_max_position_embeddings"`
}

func (r *ropeScaling) kind() string {
	if r.RopeType != "" {
		return r.RopeType
	}
	return r.Type
}

// readJSON decodes the JSON file path into v. A missing file gives an error
// wrapping fs.ErrNotExist.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJSONSize+1))
	if err != nil {
		return fmt.Errorf("convert: %s: %w", path, err)
	}
	if len(b) > maxJSONSize {
		return fmt.Errorf("convert: %s: larger than %d bytes", path, maxJSONSize)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("convert: %s: %w", path, err)
	}
	return nil
}

// optionalJSON is readJSON that reports a missing file as ok = false.
func optionalJSON(path string, v any) (ok bool, err error) {
	err = readJSON(path, v)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// archSpec describes one supported Hugging Face architecture.
type archSpec struct {
	hf       string    // config.json architectures[0]
	gguf     string    // general.architecture
	subNorms [2]string // HF names of the attention and FFN sub-norms, under layers.N.; empty when none
	permute  bool      // permute q and k rows for NORM RoPE (spec §3.3)
	act      string    // the activation the GGUF graph uses by default

	embedding bool // a BitNet-embedding architecture (spec §10), matched by config.json model_type
	gemma     bool // Gemma3 tensor names and +1 norms
	preferSPM bool // read tokenizer.model even when tokenizer.json is BPE
}

var archs = []archSpec{
	{hf: "BitNetForCausalLM", gguf: "bitnet-b1.58", subNorms: [2]string{"self_attn.attn_sub_norm", "mlp.ffn_sub_norm"}, act: "relu2"},
	{hf: "BitnetForCausalLM", gguf: "bitnet", subNorms: [2]string{"self_attn.inner_attn_ln", "mlp.ffn_layernorm"}, act: "silu"},
	{hf: "LlamaForCausalLM", gguf: "llama", permute: true, act: "silu"},
}

// loadConfig reads and checks dir/config.json.
func loadConfig(dir string) (*hfConfig, *archSpec, error) {
	path := filepath.Join(dir, "config.json")
	var c hfConfig
	if err := readJSON(path, &c); err != nil {
		return nil, nil, err
	}
	if len(c.Architectures) == 0 {
		return nil, nil, fmt.Errorf("convert: %s: no \"architectures\" entry", path)
	}
	spec := embedSpec(c.ModelType)
	for i := range archs {
		if spec == nil && archs[i].hf == c.Architectures[0] {
			spec = &archs[i]
		}
	}
	if spec == nil {
		return nil, nil, fmt.Errorf("convert: %s: unknown architecture %q, model_type %q (supported: BitNetForCausalLM, BitnetForCausalLM, LlamaForCausalLM, model_type qwen3 or gemma3_text)", path, c.Architectures[0], c.ModelType)
	}
	if c.NumKVHeads == 0 {
		c.NumKVHeads = c.NumHeads
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumLayers}, {"num_attention_heads", c.NumHeads},
		{"num_key_value_heads", c.NumKVHeads}, {"vocab_size", c.VocabSize},
		{"max_position_embeddings", c.MaxPositions},
	} {
		if f.v <= 0 || f.v > 1<<24 {
			return nil, nil, fmt.Errorf("convert: %s: %s = %d, want a positive integer", path, f.name, f.v)
		}
	}
	if c.HeadDim == 0 {
		if c.HiddenSize%c.NumHeads != 0 {
			return nil, nil, fmt.Errorf("convert: %s: hidden_size %d is not a multiple of num_attention_heads %d", path, c.HiddenSize, c.NumHeads)
		}
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return nil, nil, fmt.Errorf("convert: %s: num_attention_heads %d is not a multiple of num_key_value_heads %d", path, c.NumHeads, c.NumKVHeads)
	}
	if spec.permute && c.HeadDim%2 != 0 {
		return nil, nil, fmt.Errorf("convert: %s: head_dim %d is odd", path, c.HeadDim)
	}
	if c.RMSNormEps == nil {
		return nil, nil, fmt.Errorf("convert: %s: missing rms_norm_eps", path)
	}
	if spec.embedding {
		return &c, spec, checkEmbedConfig(path, &c, spec)
	}
	if c.TieWordEmbeddings == nil {
		// transformers' PretrainedConfig default.
		t := true
		c.TieWordEmbeddings = &t
	}
	switch c.HiddenAct {
	case "", spec.act:
	case "relu2", "silu":
		if spec.gguf != "bitnet" {
			return nil, nil, fmt.Errorf("convert: %s: hidden_act %q is not supported for %s (want %q)", path, c.HiddenAct, spec.hf, spec.act)
		}
	default:
		return nil, nil, fmt.Errorf("convert: %s: hidden_act %q is not supported (want %q)", path, c.HiddenAct, spec.act)
	}
	if rs := c.RopeScaling; rs != nil {
		switch rs.kind() {
		case "", "none", "default":
		case "linear":
			if rs.Factor <= 0 {
				return nil, nil, fmt.Errorf("convert: %s: rope_scaling linear with factor %v", path, rs.Factor)
			}
		case "llama3":
			if spec.gguf != "llama" {
				return nil, nil, fmt.Errorf("convert: %s: rope_scaling type llama3 is only supported for LlamaForCausalLM", path)
			}
		default:
			return nil, nil, fmt.Errorf("convert: %s: rope_scaling type %q is not supported (none, linear, llama3)", path, rs.kind())
		}
	}
	return &c, spec, nil
}

// packedDivides reports whether a packed checkpoint's weight_scale divides
// the ternary values (BitLinear, W = t/weight_scale) rather than multiplying
// them (AutoBitLinear, W = t·weight_scale); spec §2.8. transformers'
// BitNetQuantConfig defaults linear_class to "bitlinear".
func (c *hfConfig) packedDivides() (bool, error) {
	lc := "bitlinear"
	if c.Quantization != nil && c.Quantization.LinearClass != "" {
		lc = c.Quantization.LinearClass
	}
	switch lc {
	case "bitlinear":
		return true, nil
	case "autobitlinear":
		return false, nil
	}
	return false, fmt.Errorf("convert: config.json: quantization_config.linear_class %q is not supported (bitlinear or autobitlinear)", lc)
}
