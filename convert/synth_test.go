package convert

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/safetensors"
)

// synth describes a synthetic Hugging Face checkpoint for tests.
type synth struct {
	arch                   string // config.json architectures[0]
	dim, ff, layers, heads int
	kvHeads, vocab         int
	seed                   uint64
	spm                    bool                    // write tokenizer.model instead of tokenizer.json
	config                 map[string]any          // extra or replaced config.json entries
	skipTensors            map[string]bool         // tensors to leave out
	override               map[string]tensor       // tensors to replace
	extra                  []safetensors.NewTensor // tensors appended at the end
}

// tensor is one synthetic tensor: a dtype, a shape and its bytes.
type tensor struct {
	dtype safetensors.DType
	shape []int64
	data  func(io.Writer) error
}

// rng is a xorshift generator: fast enough for gigabytes of weights.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = rng(x)
	return x
}

// bf16Data writes n pseudo-random bf16 weights of magnitude about 0.01..0.06
// with both signs, in 64 kB pieces.
func bf16Data(n int64, seed uint64) func(io.Writer) error {
	return func(w io.Writer) error {
		r := rng(seed*0x9E3779B97F4A7C15 | 1)
		buf := make([]byte, 0, 64<<10)
		for i := int64(0); i < n; i++ {
			x := r.next()
			// sign | exponent 2^-7..2^-4 | 7 random mantissa bits
			h := uint16(x>>63)<<15 | uint16(0x78+x>>40&3)<<7 | uint16(x&0x7f)
			buf = binary.LittleEndian.AppendUint16(buf, h)
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		_, err := w.Write(buf)
		return err
	}
}

// onesData writes n bf16 values near 1 (norm weights).
func onesData(n int64, seed uint64) func(io.Writer) error {
	return func(w io.Writer) error {
		r := rng(seed | 1)
		b := make([]byte, 2*n)
		for i := range n {
			binary.LittleEndian.PutUint16(b[2*i:], 0x3f80+uint16(r.next()&0x1f))
		}
		_, err := w.Write(b)
		return err
	}
}

// tensors returns the checkpoint's tensors in HF order.
func (s *synth) tensors() []safetensors.NewTensor {
	hd := s.dim / s.heads
	kv := int64(s.kvHeads * hd)
	D, F := int64(s.dim), int64(s.ff)
	var out []safetensors.NewTensor
	seed := s.seed
	add := func(name string, norm bool, shape ...int64) {
		seed++
		n := int64(1)
		for _, d := range shape {
			n *= d
		}
		t := tensor{safetensors.BF16, shape, bf16Data(n, seed)}
		if norm {
			t.data = onesData(n, seed)
		}
		if o, ok := s.override[name]; ok {
			t = o
		}
		if !s.skipTensors[name] {
			out = append(out, safetensors.NewTensor{Name: name, DType: t.dtype, Shape: t.shape, Data: t.data})
		}
	}
	subA, subF := "self_attn.attn_sub_norm", "mlp.ffn_sub_norm"
	if s.arch == "BitnetForCausalLM" {
		subA, subF = "self_attn.inner_attn_ln", "mlp.ffn_layernorm"
	}
	add("model.embed_tokens.weight", false, int64(s.vocab), D)
	for l := range s.layers {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", true, D)
		add(p+"self_attn.q_proj.weight", false, D, D)
		add(p+"self_attn.k_proj.weight", false, kv, D)
		add(p+"self_attn.v_proj.weight", false, kv, D)
		add(p+"self_attn.o_proj.weight", false, D, D)
		if s.arch != "LlamaForCausalLM" {
			add(p+subA+".weight", true, D)
		}
		add(p+"post_attention_layernorm.weight", true, D)
		add(p+"mlp.gate_proj.weight", false, F, D)
		add(p+"mlp.up_proj.weight", false, F, D)
		add(p+"mlp.down_proj.weight", false, D, F)
		if s.arch != "LlamaForCausalLM" {
			add(p+subF+".weight", true, F)
		}
	}
	add("model.norm.weight", true, D)
	if s.arch == "LlamaForCausalLM" {
		add("lm_head.weight", false, int64(s.vocab), D)
	}
	return append(out, s.extra...)
}

// write creates the checkpoint directory dir.
func (s *synth) write(t testing.TB, dir string) {
	t.Helper()
	if s.arch == "" {
		s.arch = "BitNetForCausalLM"
	}
	act := "relu2"
	if s.arch != "BitNetForCausalLM" {
		act = "silu"
	}
	cfg := map[string]any{
		"architectures": []string{s.arch}, "hidden_size": s.dim, "intermediate_size": s.ff,
		"num_hidden_layers": s.layers, "num_attention_heads": s.heads, "num_key_value_heads": s.kvHeads,
		"vocab_size": s.vocab, "max_position_embeddings": 512, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
		"hidden_act": act, "tie_word_embeddings": s.arch != "LlamaForCausalLM",
		"bos_token_id": s.vocab - 2, "eos_token_id": s.vocab - 1,
	}
	for k, v := range s.config {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	bos, eos := "<|begin_of_text|>", "<|end_of_text|>"
	if s.spm {
		bos, eos = "<s>", "</s>"
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.model"), spmProto(s.vocab), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		vocab := map[string]int{}
		for i := range s.vocab - 2 {
			vocab[fmt.Sprintf("t%d", i)] = i
		}
		writeJSON(t, filepath.Join(dir, "tokenizer.json"), map[string]any{
			"added_tokens": []map[string]any{
				{"id": s.vocab - 2, "content": bos, "special": true},
				{"id": s.vocab - 1, "content": eos, "special": true},
			},
			"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]string{"Regex": llama3Regex}},
				map[string]any{"type": "ByteLevel"},
			}},
			"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": [][]string{{"t", "1"}, {"t1", "0"}}},
		})
	}
	writeJSON(t, filepath.Join(dir, "tokenizer_config.json"), map[string]any{
		"add_bos_token": true, "add_eos_token": false, "bos_token": bos, "eos_token": eos,
		"chat_template": "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}",
	})
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), s.tensors(), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// spmProto encodes a SentencePiece ModelProto with n pieces: <unk>, <s>,
// </s>, the 256 byte pieces when n allows, then "▁pN" pieces with falling
// scores; BPE model type; add_dummy_prefix true.
func spmProto(n int) []byte {
	var b []byte
	field := func(dst []byte, num int, sub []byte) []byte {
		dst = binary.AppendUvarint(dst, uint64(num<<3|wireBytes))
		dst = binary.AppendUvarint(dst, uint64(len(sub)))
		return append(dst, sub...)
	}
	for i := range n {
		text, typ := fmt.Sprintf("\u2581p%d", i), spmNormal
		switch {
		case i == 0:
			text, typ = "<unk>", spmUnknown
		case i == 1:
			text, typ = "<s>", spmControl
		case i == 2:
			text, typ = "</s>", spmControl
		case i >= 3 && i < 3+256 && n > 300:
			text, typ = fmt.Sprintf("<0x%02X>", i-3), spmByte
		}
		var p []byte
		p = field(p, 1, []byte(text))
		p = binary.AppendUvarint(p, 2<<3|wireFixed32)
		p = binary.LittleEndian.AppendUint32(p, math.Float32bits(-float32(i)))
		p = binary.AppendUvarint(p, 3<<3|wireVarint)
		p = binary.AppendUvarint(p, uint64(typ))
		b = field(b, 1, p)
	}
	b = field(b, 2, []byte{3 << 3, 2})          // trainer_spec.model_type = BPE
	b = field(b, 3, []byte{3 << 3, 1, 0x7a, 0}) // normalizer_spec.add_dummy_prefix = true, an unknown field 15
	return b
}
