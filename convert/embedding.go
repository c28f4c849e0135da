package convert

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bitnet-go/bitnet/gguf"
)

// Embedding architectures (spec §10): BitNet-embedding checkpoints
// (Qwen3 and Gemma3 backbones whose projections carry an input RMSNorm,
// q_proj.norm.weight etc., and latent bf16 weights) and their float
// teachers (the same backbones without those norms). They are recognised by
// config.json's model_type rather than architectures, which names the HF
// class the checkpoint was saved from (Qwen3Model, Qwen3ForCausalLM,
// Gemma3TextModel, Gemma3ForCausalLM).
var embedArchs = []archSpec{
	{hf: "qwen3", gguf: "qwen3", act: "silu", embedding: true},
	{hf: "gemma3_text", gguf: "gemma3", act: "gelu_pytorch_tanh", embedding: true, gemma: true, preferSPM: true},
}

// embedSpec returns the embedding architecture of config.json's model_type,
// or nil.
func embedSpec(modelType string) *archSpec {
	for i := range embedArchs {
		if embedArchs[i].hf == modelType {
			return &embedArchs[i]
		}
	}
	return nil
}

// embedTensor maps one HF tensor name suffix (under layers.N.) to its GGUF
// name (under blk.N.), as BitNet's convert-bitnet-embedding-to-gguf.py
// names them (spec §10.3).
type embedTensor struct {
	hf, gguf string
	role     embedRole
	gemma    int8 // 0 both architectures, 1 Gemma3 only, -1 Qwen3 only
}

// embedRole says what a layer tensor is.
type embedRole uint8

const (
	roleEmbedding  embedRole = iota // token_embd
	roleNorm                        // a block, head or output norm of the backbone (+1 for Gemma, spec §10.3)
	roleNormIn                      // a projection's input norm (*_norm_in; never +1)
	roleProjection                  // a projection matrix
)

// embedLayer is the per-layer tensor table. The order here is irrelevant:
// the output follows the checkpoint's sorted names, as gguf-py's
// safe_open().keys() iteration does.
var embedLayer = []embedTensor{
	{"input_layernorm.weight", "attn_norm.weight", roleNorm, 0},
	{"self_attn.q_proj.weight", "attn_q.weight", roleProjection, 0},
	{"self_attn.k_proj.weight", "attn_k.weight", roleProjection, 0},
	{"self_attn.v_proj.weight", "attn_v.weight", roleProjection, 0},
	{"self_attn.o_proj.weight", "attn_output.weight", roleProjection, 0},
	{"self_attn.q_proj.norm.weight", "attn_q_norm_in.weight", roleNormIn, 0},
	{"self_attn.k_proj.norm.weight", "attn_k_norm_in.weight", roleNormIn, 0},
	{"self_attn.v_proj.norm.weight", "attn_v_norm_in.weight", roleNormIn, 0},
	{"self_attn.o_proj.norm.weight", "attn_output_norm_in.weight", roleNormIn, 0},
	{"self_attn.q_norm.weight", "attn_q_norm.weight", roleNorm, 0},
	{"self_attn.k_norm.weight", "attn_k_norm.weight", roleNorm, 0},
	{"post_attention_layernorm.weight", "ffn_norm.weight", roleNorm, -1},
	{"post_attention_layernorm.weight", "post_attention_norm.weight", roleNorm, 1},
	{"pre_feedforward_layernorm.weight", "ffn_norm.weight", roleNorm, 1},
	{"post_feedforward_layernorm.weight", "post_ffw_norm.weight", roleNorm, 1},
	{"mlp.gate_proj.weight", "ffn_gate.weight", roleProjection, 0},
	{"mlp.up_proj.weight", "ffn_up.weight", roleProjection, 0},
	{"mlp.down_proj.weight", "ffn_down.weight", roleProjection, 0},
	{"mlp.gate_proj.norm.weight", "ffn_gate_norm_in.weight", roleNormIn, 0},
	{"mlp.up_proj.norm.weight", "ffn_up_norm_in.weight", roleNormIn, 0},
	{"mlp.down_proj.norm.weight", "ffn_down_norm_in.weight", roleNormIn, 0},
}

// embedShape returns the PyTorch shape (outermost first) of a layer tensor.
func embedShape(cfg *hfConfig, hfName string) []int64 {
	D, F := int64(cfg.HiddenSize), int64(cfg.IntermediateSize)
	q, kv, hd := int64(cfg.NumHeads*cfg.HeadDim), int64(cfg.NumKVHeads*cfg.HeadDim), int64(cfg.HeadDim)
	switch hfName {
	case "self_attn.q_proj.weight":
		return []int64{q, D}
	case "self_attn.k_proj.weight", "self_attn.v_proj.weight":
		return []int64{kv, D}
	case "self_attn.o_proj.weight":
		return []int64{D, q}
	case "self_attn.o_proj.norm.weight":
		return []int64{q}
	case "self_attn.q_norm.weight", "self_attn.k_norm.weight":
		return []int64{hd}
	case "mlp.gate_proj.weight", "mlp.up_proj.weight":
		return []int64{F, D}
	case "mlp.down_proj.weight":
		return []int64{D, F}
	case "mlp.down_proj.norm.weight":
		return []int64{F}
	}
	return []int64{D}
}

// embedName maps a checkpoint tensor name (without the "model." prefix) to
// its table entry and layer; ok is false for names outside the model.
func embedName(spec *archSpec, name string) (e embedTensor, layer int, ok bool) {
	switch name {
	case "embed_tokens.weight":
		return embedTensor{hf: name, gguf: "token_embd.weight", role: roleEmbedding}, -1, true
	case "norm.weight":
		return embedTensor{hf: name, gguf: "output_norm.weight", role: roleNorm}, -1, true
	}
	rest, found := strings.CutPrefix(name, "layers.")
	if !found {
		return e, 0, false
	}
	num, suffix, found := strings.Cut(rest, ".")
	l, err := strconv.Atoi(num)
	if !found || err != nil || l < 0 || strconv.Itoa(l) != num {
		return e, 0, false
	}
	for _, t := range embedLayer {
		if t.hf == suffix && (t.gemma == 0 || (t.gemma == 1) == spec.gemma) {
			return t, l, true
		}
	}
	return e, 0, false
}

// makeEmbeddingPlan is makePlan for the embedding architectures. A
// checkpoint with *_norm_in tensors is a BitNet student: --type i2_s
// ternarises its latent projections by absmean (spec §4.1) with the I2_S
// scale β = max(mean|W|, 1e-5) written as is (spec §10.3); --type f16/f32
// writes them un-ternarised (spec §10.7). A checkpoint without them is a
// float teacher and converts to f16 or f32 only. The token embedding and
// the norms are F16, or F32 with --type f32; Gemma-native norms get +1.
func makeEmbeddingPlan(cfg *hfConfig, spec *archSpec, ck source, names []string, v *vocab, typ gguf.Type, name string, pooling uint32) (*plan, error) {
	switch typ {
	case gguf.TypeI2_S, gguf.TypeF16, gguf.TypeF32:
	default:
		return nil, fmt.Errorf("convert: output type %s is not supported for %s embedding models (want i2_s, f16 or f32)", typ, spec.gguf)
	}
	if len(v.tokens) != cfg.VocabSize {
		return nil, fmt.Errorf("convert: tokenizer has %d tokens, config.json vocab_size is %d", len(v.tokens), cfg.VocabSize)
	}
	prefix := ""
	if _, ok := ck.Tensor("model.embed_tokens.weight"); ok {
		prefix = "model." // *ForCausalLM checkpoints
	}
	floatType := gguf.TypeF16
	if typ == gguf.TypeF32 {
		floatType = gguf.TypeF32
	}
	p := &plan{arch: spec.gguf, vocab: v, kvs: embeddingMetadata(cfg, spec, typ, name, pooling)}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	normIn := 0
	sorted := slices.Sorted(slices.Values(names))
	for _, n := range sorted {
		e, l, ok := embedName(spec, strings.TrimPrefix(n, prefix))
		if !ok || !strings.HasPrefix(n, prefix) || l >= cfg.NumLayers {
			p.unused = append(p.unused, n)
			continue
		}
		t, _ := ck.Tensor(n)
		gg, shape := e.gguf, []int64{int64(cfg.VocabSize), int64(cfg.HiddenSize)}
		if l >= 0 {
			gg, shape = fmt.Sprintf("blk.%d.%s", l, e.gguf), embedShape(cfg, e.hf)
		} else if e.gguf == "output_norm.weight" {
			shape = []int64{int64(cfg.HiddenSize)}
		}
		seen[gg] = true
		if e.role == roleNormIn {
			normIn++
		}
		if !isFloat(t.DType) {
			fail("tensor %q: dtype %s, want F32, F16 or BF16", n, t.DType)
			continue
		}
		if !slices.Equal(t.Shape, shape) {
			fail("tensor %q: shape %v, want %v from config.json", n, t.Shape, shape)
			continue
		}
		o := &outTensor{name: gg, typ: floatType, kind: kindFloat, src: t,
			rows: int(shape[0]), cols: int(shape[len(shape)-1]),
			addOne: spec.gemma && e.role == roleNorm}
		for i := len(shape) - 1; i >= 0; i-- {
			o.dims = append(o.dims, uint64(shape[i]))
		}
		if e.role == roleProjection && typ == gguf.TypeI2_S {
			o.kind, o.typ, o.exactBeta = kindTernary, gguf.TypeI2_S, true
			if o.cols%128 != 0 {
				fail("tensor %q: row length %d is not a multiple of 128, which I2_S needs; convert with --type f16", n, o.cols)
			}
		}
		p.tensors = append(p.tensors, o)
	}
	student := normIn > 0
	for _, m := range missingEmbedTensors(cfg, spec, seen, student) {
		fail("tensor %q is missing", m)
	}
	if !student && typ == gguf.TypeI2_S {
		fail("the checkpoint has no *.norm.weight projection input norms, so it is a float teacher, not a BitNet student; convert it with --type f16 or f32 (i2_s would ternarise weights that were never trained ternary)")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("convert: %d problem(s) with the checkpoint's tensors:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return p, nil
}

// missingEmbedTensors lists the GGUF names the plan lacks: every backbone
// tensor, and for a student all seven *_norm_in of every layer (spec §10.3).
func missingEmbedTensors(cfg *hfConfig, spec *archSpec, seen map[string]bool, student bool) []string {
	var missing []string
	for _, n := range []string{"token_embd.weight", "output_norm.weight"} {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	for l := range cfg.NumLayers {
		for _, e := range embedLayer {
			if e.gemma != 0 && (e.gemma == 1) != spec.gemma || e.role == roleNormIn && !student {
				continue
			}
			if n := fmt.Sprintf("blk.%d.%s", l, e.gguf); !seen[n] {
				missing = append(missing, n)
			}
		}
	}
	return missing
}

// embeddingMetadata returns the architecture keys in the order of BitNet's
// embedding converter (the reference files in shared/embeddings).
// key_length and value_length are always written: both published models
// have key_length ≠ n_embd/n_head (spec §10.2). The sliding window of a
// Gemma3 configuration is not written, as in the published 270M file, so
// every layer is global (spec §10.6, §10.15 item 1).
func embeddingMetadata(cfg *hfConfig, spec *archSpec, typ gguf.Type, name string, pooling uint32) []gguf.KV {
	var kvs []gguf.KV
	add := func(key string, v any) {
		val, err := gguf.NewValue(v)
		if err != nil {
			panic(fmt.Sprintf("convert: metadata %s: %v", key, err)) // our own bug
		}
		kvs = append(kvs, gguf.KV{Key: key, Value: val})
	}
	a := spec.gguf + "."
	add("general.architecture", spec.gguf)
	add("general.name", name)
	add(a+"block_count", uint32(cfg.NumLayers))
	add(a+"context_length", uint32(cfg.MaxPositions))
	add(a+"embedding_length", uint32(cfg.HiddenSize))
	add(a+"feed_forward_length", uint32(cfg.IntermediateSize))
	add(a+"attention.head_count", uint32(cfg.NumHeads))
	add(a+"attention.head_count_kv", uint32(cfg.NumKVHeads))
	add(a+"vocab_size", uint32(cfg.VocabSize))
	add(a+"rope.dimension_count", uint32(cfg.HeadDim))
	add(a+"attention.key_length", uint32(cfg.HeadDim))
	add(a+"attention.value_length", uint32(cfg.HeadDim))
	theta := 10000.0
	if cfg.RopeTheta != nil {
		theta = *cfg.RopeTheta
	}
	add(a+"rope.freq_base", float32(theta))
	add(a+"attention.layer_norm_rms_epsilon", float32(*cfg.RMSNormEps))
	add("general.file_type", fileType[typ])
	add(a+"pooling_type", pooling)
	return kvs
}

// checkEmbedConfig checks the config.json entries that only the embedding
// architectures have: the activation, and for Gemma3 the attention scale
// (query_pre_attn_scalar must equal head_dim, because the GGUF derives the
// scale from key_length, spec §10.6) and the absence of attention-logit
// softcapping, which the graph does not apply.
func checkEmbedConfig(path string, c *hfConfig, spec *archSpec) error {
	act := c.HiddenAct
	if spec.gemma && c.HiddenActivation != "" {
		act = c.HiddenActivation
	}
	ok := act == spec.act || act == "" || spec.gemma && (act == "gelu_tanh" || act == "gelu_pytorch_tanh")
	if !ok {
		return fmt.Errorf("convert: %s: activation %q is not supported for %s (want %q)", path, act, spec.hf, spec.act)
	}
	if rs := c.RopeScaling; rs != nil && rs.kind() != "" && rs.kind() != "none" && rs.kind() != "default" {
		return fmt.Errorf("convert: %s: rope_scaling type %q is not supported for %s", path, rs.kind(), spec.hf)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("convert: %s: head_dim %d is odd (NEOX RoPE needs pairs)", path, c.HeadDim)
	}
	if !spec.gemma {
		return nil
	}
	if s := c.QueryPreAttnScalar; s != nil && *s != float64(c.HeadDim) {
		return fmt.Errorf("convert: %s: query_pre_attn_scalar %v differs from head_dim %d, which a gemma3 GGUF cannot express (its q scale is 1/sqrt(key_length))", path, *s, c.HeadDim)
	}
	if s := c.AttnSoftcap; s != nil && *s != 0 {
		return fmt.Errorf("convert: %s: attn_logit_softcapping %v is not supported for gemma3 (the graph applies none)", path, *s)
	}
	return nil
}

// poolingType reads the sentence-transformers pooling configuration of dir
// (modules.json, then the Pooling module's config.json) as llama.cpp's
// converter does, and returns {arch}.pooling_type: 1 MEAN, 2 CLS or 3 LAST.
// A directory without a Pooling module gives MEAN (1), the fallback of
// BitNet's converter that the published files carry (spec §10.9).
func poolingType(dir string) (uint32, error) {
	var modules []struct {
		Type string `json:"type"`
		Path string `json:"path"`
	}
	modPath := filepath.Join(dir, "modules.json")
	if ok, err := optionalJSON(modPath, &modules); err != nil || !ok {
		return 1, err
	}
	for _, m := range modules {
		if m.Type != "sentence_transformers.models.Pooling" {
			continue
		}
		if m.Path == "" || filepath.IsAbs(m.Path) || strings.Contains(m.Path, "..") {
			return 0, fmt.Errorf("convert: %s: Pooling module path %q is not a subdirectory", modPath, m.Path)
		}
		cfgPath := filepath.Join(dir, m.Path, "config.json")
		var pc map[string]any
		if err := readJSON(cfgPath, &pc); err != nil {
			return 0, err
		}
		var modes []string
		for k, v := range pc {
			if b, _ := v.(bool); b && strings.HasPrefix(k, "pooling_mode_") {
				modes = append(modes, k)
			}
		}
		if len(modes) != 1 {
			slices.Sort(modes)
			return 0, fmt.Errorf("convert: %s: %d pooling modes set (%s), want exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token, pooling_mode_lasttoken", cfgPath, len(modes), strings.Join(modes, ", "))
		}
		switch modes[0] {
		case "pooling_mode_mean_tokens":
			return 1, nil
		case "pooling_mode_cls_token":
			return 2, nil
		case "pooling_mode_lasttoken":
			return 3, nil
		}
		return 0, fmt.Errorf("convert: %s: %s is not supported (mean, cls or lasttoken)", cfgPath, modes[0])
	}
	return 1, nil
}
