package convert

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/safetensors"
)

// source is what Plan needs of a checkpoint: its tensor table.
type source interface {
	Tensor(name string) (*safetensors.TensorInfo, bool)
}

// tensorKind says how an output tensor is produced.
type tensorKind int

const (
	kindFloat     tensorKind = iota // a float source converted element by element (embedding, head, norms)
	kindTernary                     // a projection: ternarised (or unpacked) and encoded as the output type
	kindGenerated                   // values computed by the converter (rope_freqs)
)

// outTensor is one tensor of the output file and where it comes from.
type outTensor struct {
	name string
	typ  gguf.Type
	dims []uint64 // GGUF order: ne0 (cols) first
	kind tensorKind

	src        *safetensors.TensorInfo // the weight (kindFloat, kindTernary)
	rows, cols int                     // logical matrix: rows = out features, cols = in features (ne0)

	// Packed 2-bit checkpoints (spec §2.8).
	packed bool
	scale  *safetensors.TensorInfo // weight_scale
	divide bool                    // W = t / weight_scale (bitlinear), else W = t · weight_scale

	permHeads int // > 0: permute rows for NORM RoPE with this many heads (spec §3.3)

	addOne    bool // kindFloat: write w+1 (Gemma-native norms, spec §10.3)
	exactBeta bool // kindTernary: the I2_S scale is β itself, not float32(1/(1/β)) (spec §10.3)

	values []float32 // kindGenerated
}

// plan is the whole output: metadata keys in order and tensors in order.
type plan struct {
	arch    string
	kvs     []gguf.KV // before the tokenizer keys
	vocab   *vocab
	tensors []*outTensor
	unused  []string // checkpoint tensors not written
}

// fileType is general.file_type of each output type (llama_ftype; I2_S is
// bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S).
var fileType = map[gguf.Type]uint32{
	gguf.TypeF32: 0, gguf.TypeF16: 1, gguf.TypeTQ1_0: 36, gguf.TypeTQ2_0: 37, gguf.TypeI2_S: 40,
}

// ParseType maps a --type name (i2_s, tq2_0, tq1_0, f16, f32; any case) to
// the projection weight type.
func ParseType(s string) (gguf.Type, error) {
	for t := range fileType {
		if strings.EqualFold(t.String(), s) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("convert: unknown output type %q (want i2_s, tq2_0, tq1_0, f16 or f32)", s)
}

// makePlan decides every key and tensor of the output from the
// configuration and the checkpoint's tensor table. It reads no tensor data.
func makePlan(cfg *hfConfig, spec *archSpec, ck source, names []string, v *vocab, typ gguf.Type, name string) (*plan, error) {
	if _, ok := fileType[typ]; !ok {
		return nil, fmt.Errorf("convert: output type %s is not supported (want I2_S, TQ2_0, TQ1_0, F16 or F32)", typ)
	}
	p := &plan{arch: spec.gguf, vocab: v}
	if len(v.tokens) != cfg.VocabSize {
		return nil, fmt.Errorf("convert: tokenizer has %d tokens, config.json vocab_size is %d", len(v.tokens), cfg.VocabSize)
	}
	p.kvs = metadata(cfg, spec, typ, name)

	headType, normType := gguf.TypeF16, gguf.TypeF32
	if typ == gguf.TypeF32 {
		headType = gguf.TypeF32
	}
	used := map[string]bool{}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	lookup := func(hf string) *safetensors.TensorInfo {
		t, ok := ck.Tensor(hf)
		if !ok {
			fail("tensor %q is missing", hf)
			return nil
		}
		used[hf] = true
		return t
	}
	float := func(gg, hf string, typ gguf.Type, shape ...int64) {
		t := lookup(hf)
		if t == nil {
			return
		}
		if !isFloat(t.DType) {
			fail("tensor %q: dtype %s, want F32, F16 or BF16", hf, t.DType)
			return
		}
		if !slices.Equal(t.Shape, shape) {
			fail("tensor %q: shape %v, want %v from config.json", hf, t.Shape, shape)
			return
		}
		o := &outTensor{name: gg, typ: typ, kind: kindFloat, src: t}
		for i := len(shape) - 1; i >= 0; i-- {
			o.dims = append(o.dims, uint64(shape[i]))
		}
		o.cols = int(shape[len(shape)-1])
		o.rows = int(t.NumElements()) / o.cols
		p.tensors = append(p.tensors, o)
	}
	divide, divErr := cfg.packedDivides()
	proj := func(gg, hf string, rows, cols int, permHeads int) {
		t := lookup(hf + ".weight")
		if t == nil {
			return
		}
		o := &outTensor{name: gg, typ: typ, kind: kindTernary, src: t, rows: rows, cols: cols,
			dims: []uint64{uint64(cols), uint64(rows)}, permHeads: permHeads}
		switch {
		case t.DType == safetensors.U8:
			if rows%4 != 0 || !slices.Equal(t.Shape, []int64{int64(rows / 4), int64(cols)}) {
				fail("tensor %q: packed U8 shape %v, want [%d/4, %d] from config.json", t.Name, t.Shape, rows, cols)
				return
			}
			s, ok := ck.Tensor(hf + ".weight_scale")
			if !ok {
				fail("tensor %q is U8 (2-bit packed) but %q is missing", t.Name, hf+".weight_scale")
				return
			}
			used[s.Name] = true
			if !isFloat(s.DType) || s.NumElements() != 1 {
				fail("tensor %q: %s shape %v, want one F32, F16 or BF16 value", s.Name, s.DType, s.Shape)
				return
			}
			if divErr != nil {
				fail("%v", divErr)
				return
			}
			o.packed, o.scale, o.divide = true, s, divide
		case isFloat(t.DType):
			if !slices.Equal(t.Shape, []int64{int64(rows), int64(cols)}) {
				fail("tensor %q: shape %v, want [%d %d] from config.json", t.Name, t.Shape, rows, cols)
				return
			}
		default:
			fail("tensor %q: dtype %s, want F32, F16, BF16 or U8 (2-bit packed)", t.Name, t.DType)
			return
		}
		switch {
		case typ == gguf.TypeI2_S && cols%128 != 0:
			// TQ2_0 and TQ1_0 need a multiple of 256, so they cannot
			// help either (spec §2.4, §2.5).
			fail("tensor %q: row length %d is not a multiple of 128, which I2_S needs (TQ2_0 and TQ1_0 need 256); convert with --type f16", t.Name, cols)
		case (typ == gguf.TypeTQ2_0 || typ == gguf.TypeTQ1_0) && cols%256 != 0:
			alt := "f16"
			if cols%128 == 0 {
				alt = "i2_s or f16"
			}
			fail("tensor %q: row length %d is not a multiple of 256, which %s needs; convert with --type %s", t.Name, cols, typ, alt)
		}
		p.tensors = append(p.tensors, o)
	}

	D, F, V := cfg.HiddenSize, cfg.IntermediateSize, cfg.VocabSize
	qDim, kvDim := cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
	qPerm, kPerm := 0, 0
	if spec.permute {
		qPerm, kPerm = cfg.NumHeads, cfg.NumKVHeads
	}
	if rs := cfg.RopeScaling; rs != nil && rs.kind() == "llama3" {
		p.tensors = append(p.tensors, &outTensor{name: "rope_freqs.weight", typ: gguf.TypeF32, kind: kindGenerated,
			dims: []uint64{uint64(cfg.HeadDim / 2)}, values: llama3RopeFactors(cfg)})
	}
	float("token_embd.weight", "model.embed_tokens.weight", headType, int64(V), int64(D))
	for l := range cfg.NumLayers {
		hf := fmt.Sprintf("model.layers.%d.", l)
		gg := fmt.Sprintf("blk.%d.", l)
		float(gg+"attn_norm.weight", hf+"input_layernorm.weight", normType, int64(D))
		proj(gg+"attn_q.weight", hf+"self_attn.q_proj", qDim, D, qPerm)
		proj(gg+"attn_k.weight", hf+"self_attn.k_proj", kvDim, D, kPerm)
		proj(gg+"attn_v.weight", hf+"self_attn.v_proj", kvDim, D, 0)
		if spec.subNorms[0] != "" {
			float(gg+"attn_sub_norm.weight", hf+spec.subNorms[0]+".weight", normType, int64(qDim))
		}
		proj(gg+"attn_output.weight", hf+"self_attn.o_proj", D, qDim, 0)
		float(gg+"ffn_norm.weight", hf+"post_attention_layernorm.weight", normType, int64(D))
		proj(gg+"ffn_gate.weight", hf+"mlp.gate_proj", F, D, 0)
		proj(gg+"ffn_up.weight", hf+"mlp.up_proj", F, D, 0)
		if spec.subNorms[1] != "" {
			float(gg+"ffn_sub_norm.weight", hf+spec.subNorms[1]+".weight", normType, int64(F))
		}
		proj(gg+"ffn_down.weight", hf+"mlp.down_proj", D, F, 0)
	}
	float("output_norm.weight", "model.norm.weight", normType, int64(D))
	if _, ok := ck.Tensor("lm_head.weight"); ok && !*cfg.TieWordEmbeddings {
		float("output.weight", "lm_head.weight", headType, int64(V), int64(D))
	} else if !ok && !*cfg.TieWordEmbeddings {
		fail("tensor %q is missing (config.json tie_word_embeddings is false)", "lm_head.weight")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("convert: %d problem(s) with the checkpoint's tensors:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	for _, n := range names {
		if !used[n] {
			p.unused = append(p.unused, n)
		}
	}
	return p, nil
}

// metadata returns the architecture keys in the order of the reference
// files (gguf-py's converter, then llama-quantize's file type).
func metadata(cfg *hfConfig, spec *archSpec, typ gguf.Type, name string) []gguf.KV {
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
	add(a+"vocab_size", uint32(cfg.VocabSize))
	add(a+"context_length", uint32(cfg.MaxPositions))
	add(a+"embedding_length", uint32(cfg.HiddenSize))
	add(a+"block_count", uint32(cfg.NumLayers))
	add(a+"feed_forward_length", uint32(cfg.IntermediateSize))
	add(a+"rope.dimension_count", uint32(cfg.HeadDim))
	add(a+"attention.head_count", uint32(cfg.NumHeads))
	add(a+"attention.head_count_kv", uint32(cfg.NumKVHeads))
	if cfg.HeadDim*cfg.NumHeads != cfg.HiddenSize {
		add(a+"attention.key_length", uint32(cfg.HeadDim))
		add(a+"attention.value_length", uint32(cfg.HeadDim))
	}
	add(a+"attention.layer_norm_rms_epsilon", float32(*cfg.RMSNormEps))
	switch {
	case cfg.RopeTheta != nil:
		add(a+"rope.freq_base", float32(*cfg.RopeTheta))
	case spec.gguf == "bitnet-b1.58":
		add(a+"rope.freq_base", float32(500000)) // transformers' BitNetConfig default
	}
	switch rs := cfg.RopeScaling; {
	case rs != nil && rs.kind() == "linear":
		add(a+"rope.scaling.type", "linear")
		add(a+"rope.scaling.factor", float32(rs.Factor))
	case spec.gguf == "bitnet":
		// bitnet.cpp's BitnetModel writes a no-op linear scaling (spec §3.2).
		add(a+"rope.scaling.type", "linear")
		add(a+"rope.scaling.factor", float32(1))
	}
	if spec.gguf == "bitnet" && cfg.HiddenAct == "relu2" {
		add(a+"hidden_activation", "relu2")
	}
	add("general.file_type", fileType[typ])
	return kvs
}

// llama3RopeFactors computes rope_freqs for rope_scaling type llama3, as
// llama.cpp's LlamaModel.generate_extra_tensors does.
func llama3RopeFactors(cfg *hfConfig) []float32 {
	rs := cfg.RopeScaling
	base := 10000.0
	if cfg.RopeTheta != nil {
		base = *cfg.RopeTheta
	}
	factor, lo, hi, old := rs.Factor, rs.LowFreqFactor, rs.HighFreqFactor, float64(rs.OriginalMaxPos)
	if factor == 0 {
		factor = 8
	}
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		hi = 4
	}
	if old == 0 {
		old = 8192
	}
	dim := cfg.HeadDim
	loWave, hiWave := old/lo, old/hi
	out := make([]float32, dim/2)
	for i := range out {
		// torch: 1 / base ** (arange(0, dim, 2, float32) / dim), in float32.
		freq := float64(float32(1 / float32(math.Pow(base, float64(float32(2*i)/float32(dim))))))
		wave := 2 * math.Pi / freq
		switch {
		case wave < hiWave:
			out[i] = 1
		case wave > loWave:
			out[i] = float32(factor)
		default:
			smooth := (old/wave - lo) / (hi - lo)
			out[i] = float32(1 / ((1-smooth)/factor + smooth))
		}
	}
	return out
}

func isFloat(d safetensors.DType) bool {
	return d == safetensors.F32 || d == safetensors.F16 || d == safetensors.BF16
}

// defaultName is general.name when Options.Name is empty: the model
// directory's name.
func defaultName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return filepath.Base(abs)
}
