// Package synth writes benchmark GGUF models: the real shapes, metadata
// keys and tensor names of published BitNet b1.58 models (spec §3.1, §3.2),
// seeded random ternary weights, a random f16 tied embedding, unit F32
// norms, and a real tokenizer (the Llama-3 byte-level BPE vocabulary,
// embedded here gzip-compressed, 1 MB). Everything that runs on the real
// model runs on the synthetic one at the same speed; only the text it
// generates is meaningless.
//
// The embedded vocabulary makes `bitnet synth` work from an installed
// binary with nothing else on disk (the tokenizer file in the repository's
// shared/ directory is not installed); 1 MB is small beside the 5.8 MB
// default model the binary already embeds. Options.Vocab substitutes another
// tiktoken rank file.
package synth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/quant"
	"github.com/bitnet-go/bitnet/tokenizer"
)

//go:embed llama3.tiktoken.gz
var llama3Gz []byte

// Preset is a model shape.
type Preset struct {
	Name      string
	Arch      string // general.architecture
	ModelName string // general.name
	Dim       int    // embedding_length
	Layers    int
	Heads     int
	KVHeads   int
	FFN       int
	Context   int
	RopeBase  float32
	BaseVocab int    // tiktoken ranks used (first N); the specials follow
	Specials  string // "llama3" (256 Llama-3 specials) or "bos-eos" (2)
	Note      string // deviations from the published model
}

// Presets are the shapes `bitnet synth --preset` knows.
var Presets = map[string]Preset{
	"2b4t": {Name: "2b4t", Arch: "bitnet-b1.58", ModelName: "bitnet2b", Dim: 2560, Layers: 30, Heads: 20, KVHeads: 5, FFN: 6912,
		Context: 4096, RopeBase: 500000, BaseVocab: 128000, Specials: "llama3",
		Note: "microsoft/BitNet-b1.58-2B-4T shape, vocabulary and metadata"},
	"700m": {Name: "700m", Arch: "bitnet", ModelName: "bitnet_b1_58-large", Dim: 1536, Layers: 24, Heads: 16, KVHeads: 16, FFN: 4096,
		Context: 2048, RopeBase: 10000, BaseVocab: 32000, Specials: "bos-eos",
		Note: "1bitLLM/bitnet_b1_58-large shape (vocab 32002); its SentencePiece vocabulary is replaced by the first 32000 Llama-3 BPE tokens"},
	"3b": {Name: "3b", Arch: "bitnet", ModelName: "bitnet_b1_58-3B", Dim: 3200, Layers: 26, Heads: 32, KVHeads: 32, FFN: 8704,
		Context: 2048, RopeBase: 10000, BaseVocab: 32000, Specials: "bos-eos",
		Note: "1bitLLM/bitnet_b1_58-3B shape except FFN 8704 (real: 8640, not a multiple of 128, which I2_S needs); Llama-3 BPE tokens as for 700m; hidden 3200 is not a multiple of 256, so I2_S only"},
	"tiny": {Name: "tiny", Arch: "bitnet-b1.58", ModelName: "synth-tiny", Dim: 256, Layers: 6, Heads: 8, KVHeads: 2, FFN: 768,
		Context: 2048, RopeBase: 500000, BaseVocab: 8000, Specials: "llama3",
		Note: "the kjv-tiny shape (vocabulary 8256: the first 8000 Llama-3 tokens and the 256 specials)"},
}

// PresetNames lists the presets in a fixed order.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Options selects what Write produces.
type Options struct {
	Preset Preset
	Type   gguf.Type // TypeI2_S, TypeTQ2_0 or TypeTQ1_0
	Seed   uint64
	Vocab  string // optional tiktoken rank file replacing the embedded one
}

// TypeByName maps "i2_s", "tq2_0", "tq1_0" to the weight type.
func TypeByName(s string) (gguf.Type, error) {
	switch strings.ToLower(s) {
	case "i2_s", "i2s":
		return gguf.TypeI2_S, nil
	case "tq2_0", "tq2":
		return gguf.TypeTQ2_0, nil
	case "tq1_0", "tq1":
		return gguf.TypeTQ1_0, nil
	}
	return 0, fmt.Errorf("unknown weight type %q (want i2_s, tq2_0 or tq1_0)", s)
}

// fileType is general.file_type for each weight type (bitnet.cpp's 40 for
// I2_S; llama.cpp's MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37).
func fileType(t gguf.Type) uint32 {
	switch t {
	case gguf.TypeTQ1_0:
		return 36
	case gguf.TypeTQ2_0:
		return 37
	}
	return 40
}

// chatTemplate is the template bitnet.cpp's converter writes (spec §5.3).
const chatTemplate = "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nBITNETAssistant: ' + eos_token }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"

// loadVocab builds the preset's vocabulary.
func loadVocab(p Preset, path string) (tokenizer.Vocab, error) {
	var r io.Reader
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return tokenizer.Vocab{}, err
		}
		defer f.Close()
		r = bufio.NewReader(f)
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(llama3Gz))
		if err != nil {
			return tokenizer.Vocab{}, err
		}
		defer zr.Close()
		r = zr
	}
	specials := tokenizer.Llama3Specials()
	if p.Specials == "bos-eos" {
		specials = specials[:2]
	}
	return tokenizer.LoadTiktoken(r, specials, int32(p.BaseVocab))
}

// Check reports whether the preset's shapes suit the weight type.
func Check(p Preset, t gguf.Type) error {
	block := 128
	if t != gguf.TypeI2_S {
		block = 256
	}
	for _, k := range []int{p.Dim, p.FFN} {
		if k%block != 0 {
			return fmt.Errorf("synth: preset %s has a row length %d that is not a multiple of %d, which %s needs", p.Name, k, block, t)
		}
	}
	if p.Dim%p.Heads != 0 || p.Heads%p.KVHeads != 0 {
		return fmt.Errorf("synth: preset %s: bad head counts", p.Name)
	}
	return nil
}

// Write writes the model to w. Tensors are generated while being written,
// a row block at a time, so memory stays small whatever the model size.
func Write(out io.Writer, o Options) (int64, error) {
	p := o.Preset
	if err := Check(p, o.Type); err != nil {
		return 0, err
	}
	v, err := loadVocab(p, o.Vocab)
	if err != nil {
		return 0, fmt.Errorf("synth: vocabulary: %w", err)
	}
	vocab := len(v.Tokens)
	a := p.Arch
	hd := p.Dim / p.Heads
	kvDim := hd * p.KVHeads

	w := gguf.NewWriter()
	w.AddString("general.architecture", a)
	w.AddString("general.name", p.ModelName)
	w.AddUint32(a+".vocab_size", uint32(vocab))
	w.AddUint32(a+".context_length", uint32(p.Context))
	w.AddUint32(a+".embedding_length", uint32(p.Dim))
	w.AddUint32(a+".block_count", uint32(p.Layers))
	w.AddUint32(a+".feed_forward_length", uint32(p.FFN))
	w.AddUint32(a+".rope.dimension_count", uint32(hd))
	w.AddUint32(a+".attention.head_count", uint32(p.Heads))
	w.AddUint32(a+".attention.head_count_kv", uint32(p.KVHeads))
	w.AddBool("tokenizer.ggml.add_bos_token", true)
	w.AddFloat32(a+".attention.layer_norm_rms_epsilon", 1e-5)
	w.AddFloat32(a+".rope.freq_base", p.RopeBase)
	w.AddUint32("general.file_type", fileType(o.Type))
	w.AddString("tokenizer.ggml.model", "gpt2")
	w.AddStrings("tokenizer.ggml.tokens", v.Tokens)
	scores := make([]float32, vocab)
	types := make([]int32, vocab)
	for i := range types {
		types[i] = 1
		if v.Types != nil && v.Types[i] != 0 {
			types[i] = v.Types[i]
		}
		if types[i] == 3 {
			scores[i] = -1000
		}
	}
	w.AddFloat32s("tokenizer.ggml.scores", scores)
	w.AddInt32s("tokenizer.ggml.token_type", types)
	w.AddStrings("tokenizer.ggml.merges", v.Merges)
	w.AddUint32("tokenizer.ggml.bos_token_id", uint32(v.BOS))
	w.AddUint32("tokenizer.ggml.eos_token_id", uint32(v.EOS))
	w.AddString("tokenizer.chat_template", chatTemplate)
	w.AddUint32("general.quantization_version", 2)

	seed := o.Seed
	id := uint64(0)
	next := func() uint64 { id++; return id }
	add := func(name string, typ gguf.Type, dims []uint64, gen func(io.Writer) error) error {
		return w.AddTensorFunc(name, typ, dims, gen)
	}
	if err := add("token_embd.weight", gguf.TypeF16, []uint64{uint64(p.Dim), uint64(vocab)}, f16Gen(seed, next(), p.Dim*vocab)); err != nil {
		return 0, err
	}
	ones := func(n int) func(io.Writer) error {
		return func(wr io.Writer) error {
			b := make([]byte, 4*n)
			one := math.Float32bits(1)
			for i := range n {
				b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(one), byte(one>>8), byte(one>>16), byte(one>>24)
			}
			_, err := wr.Write(b)
			return err
		}
	}
	for l := range p.Layers {
		pre := fmt.Sprintf("blk.%d.", l)
		mats := []struct {
			name string
			k, n int
		}{{"attn_q", p.Dim, p.Dim}, {"attn_k", p.Dim, kvDim}, {"attn_v", p.Dim, kvDim}, {"attn_output", p.Dim, p.Dim},
			{"ffn_gate", p.Dim, p.FFN}, {"ffn_up", p.Dim, p.FFN}, {"ffn_down", p.FFN, p.Dim}}
		tensor := func(name string, k, n int) error {
			return add(pre+name+".weight", o.Type, []uint64{uint64(k), uint64(n)}, ternaryGen(o.Type, seed, next(), k, n))
		}
		if err := add(pre+"attn_norm.weight", gguf.TypeF32, []uint64{uint64(p.Dim)}, ones(p.Dim)); err != nil {
			return 0, err
		}
		for _, m := range mats[:3] {
			if err := tensor(m.name, m.k, m.n); err != nil {
				return 0, err
			}
		}
		if err := add(pre+"attn_sub_norm.weight", gguf.TypeF32, []uint64{uint64(p.Dim)}, ones(p.Dim)); err != nil {
			return 0, err
		}
		if err := tensor(mats[3].name, mats[3].k, mats[3].n); err != nil {
			return 0, err
		}
		if err := add(pre+"ffn_norm.weight", gguf.TypeF32, []uint64{uint64(p.Dim)}, ones(p.Dim)); err != nil {
			return 0, err
		}
		for _, m := range mats[4:6] {
			if err := tensor(m.name, m.k, m.n); err != nil {
				return 0, err
			}
		}
		if err := add(pre+"ffn_sub_norm.weight", gguf.TypeF32, []uint64{uint64(p.FFN)}, ones(p.FFN)); err != nil {
			return 0, err
		}
		if err := tensor(mats[6].name, mats[6].k, mats[6].n); err != nil {
			return 0, err
		}
	}
	if err := add("output_norm.weight", gguf.TypeF32, []uint64{uint64(p.Dim)}, ones(p.Dim)); err != nil {
		return 0, err
	}
	return w.WriteTo(out)
}

// WriteFile writes the model to path (through a temporary file renamed at
// the end).
func WriteFile(path string, o Options) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	n, err := Write(bw, o)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return n, nil
}

func rngFor(seed, id uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, id*0x9e3779b97f4a7c15+1)) }

// Byte tables from random bytes to valid packed ternary bytes: four 2-bit
// codes in {0,1,2} (I2_S, TQ2_0), five trits (TQ1_0 qs), four trits (qh).
var (
	code4Table [256]byte
	trit5Table [256]byte
	trit4Table [256]byte
)

func init() {
	for i := range 256 {
		v := i % 81
		code4Table[i] = byte(v%3 | (v/3%3)<<2 | (v/9%3)<<4 | (v/27%3)<<6)
		// quantize_row_tq1_0_ref: q = trits as a base-3 number, most
		// significant first; byte = ceil(q·256/243). qh holds four trits
		// shifted up by one (q·3).
		q5 := i % 243
		trit5Table[i] = byte((q5*256 + 242) / 243)
		q4 := (i % 81) * 3
		trit4Table[i] = byte((q4*256 + 242) / 243)
	}
}

// ternaryGen streams an n×k ternary matrix of type t with per-tensor scale
// β = 1/√k (which keeps activations of a random network bounded).
func ternaryGen(t gguf.Type, seed, id uint64, k, n int) func(io.Writer) error {
	return func(w io.Writer) error {
		rng := rngFor(seed, id)
		beta := float32(1 / math.Sqrt(float64(k)))
		d := quant.F32ToF16(beta)
		const chunk = 1 << 20
		buf := make([]byte, 0, chunk+66)
		fill := func(b []byte, tab *[256]byte) {
			for i := 0; i < len(b); i += 8 {
				r := rng.Uint64()
				for j := i; j < min(i+8, len(b)); j++ {
					b[j] = tab[byte(r)]
					r >>= 8
				}
			}
		}
		flush := func(force bool) error {
			if len(buf) >= chunk || (force && len(buf) > 0) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			return nil
		}
		switch t {
		case gguf.TypeI2_S:
			total := n * k / 4
			for done := 0; done < total; {
				m := min(chunk, total-done)
				buf = buf[:m]
				fill(buf, &code4Table)
				if err := flush(true); err != nil {
					return err
				}
				done += m
			}
			tail := make([]byte, 32)
			bits := math.Float32bits(beta)
			tail[0], tail[1], tail[2], tail[3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
			_, err := w.Write(tail)
			return err
		case gguf.TypeTQ2_0, gguf.TypeTQ1_0:
			for range n * k / 256 {
				blk := buf[len(buf):]
				if t == gguf.TypeTQ2_0 {
					blk = blk[:66]
					fill(blk[:64], &code4Table)
					blk[64], blk[65] = byte(d), byte(d>>8)
				} else {
					blk = blk[:54]
					fill(blk[:48], &trit5Table)
					fill(blk[48:52], &trit4Table)
					blk[52], blk[53] = byte(d), byte(d>>8)
				}
				buf = buf[:len(buf)+len(blk)]
				if err := flush(false); err != nil {
					return err
				}
			}
			return flush(true)
		}
		return fmt.Errorf("synth: unsupported weight type %s", t)
	}
}

// f16Gen streams n binary16 values, normal with σ = 1 (the scale of a
// trained embedding row is irrelevant: the first RMSNorm removes it, and
// logits only need to be finite).
func f16Gen(seed, id uint64, n int) func(io.Writer) error {
	return func(w io.Writer) error {
		rng := rngFor(seed, id)
		var table [4096]uint16
		for i := range table {
			table[i] = quant.F32ToF16(float32(rng.NormFloat64()))
		}
		const chunk = 1 << 19
		buf := make([]byte, 2*chunk)
		for done := 0; done < n; {
			m := min(chunk, n-done)
			for i := 0; i < m; i += 4 {
				r := rng.Uint64()
				for j := i; j < min(i+4, m); j++ {
					h := table[r&4095]
					r >>= 16
					buf[2*j], buf[2*j+1] = byte(h), byte(h>>8)
				}
			}
			if _, err := w.Write(buf[:2*m]); err != nil {
				return err
			}
			done += m
		}
		return nil
	}
}
