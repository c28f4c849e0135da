package validate

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/quant"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// Options tune Model.
type Options struct {
	Context     int    // tokens for the memory estimate; 0 = the model's training context
	KVType      string // KV-cache type for the estimate: "f16" (default) or "q8"
	Head        string // head for the estimate: "f16" (default, as stored) or "q8"
	MaxBatch    int    // tokens per forward step for the scratch estimate; 0 = 1
	Threads     int    // worker threads for loading and the forward pass; 0 = 1
	SkipForward bool   // do not run the one-token forward pass
}

// Bytes validates the GGUF image b, labelled name. A container that does not
// parse gives one "container" failure.
func Bytes(b []byte, name string, opt Options) *Report {
	f, err := gguf.FromBytes(b, name)
	if err != nil {
		return containerFailure(name, err)
	}
	defer f.Close()
	return Model(f, opt)
}

// Path validates the GGUF file at path.
func Path(path string, opt Options) *Report {
	f, err := gguf.Open(path)
	if err != nil {
		return containerFailure(path, err)
	}
	defer f.Close()
	return Model(f, opt)
}

func containerFailure(name string, err error) *Report {
	r := &Report{Subject: name}
	r.add("container", Fail, name, "the file is damaged or not GGUF: download or convert it again", "%v", err)
	return r
}

// Model checks a parsed GGUF model and returns every finding; it does not
// stop at the first problem. The checks, in order (docs/configuration.md
// lists them with their fixes):
//
//   - container: the header parsed (always passes here; see Bytes and Path);
//   - metadata: the hyperparameters are complete and consistent
//     (model.NewConfig) and agree with the tensor shapes and block count;
//   - types: every tensor's type is one this engine decodes;
//   - tensors: the tensor set and shapes match the architecture (model.Load,
//     one finding per problem it lists);
//   - i2s: no I2_S tensor holds code 3, every scale is finite and positive;
//   - nan: no NaN or ±Inf in any float tensor (F32, F16, BF16; Q8_0, Q6_K,
//     TQ1_0 and TQ2_0 through dequantization);
//   - tokenizer: the vocabulary loads, special ids are in range, merges are
//     "left right", BOS and EOS exist, the sizes agree with the model;
//   - memory: the estimated memory at the chosen context (informational);
//   - forward: one token through the model gives finite logits.
func Model(f *gguf.File, opt Options) *Report {
	r := &Report{Subject: f.Name}
	if opt.Threads <= 0 {
		opt.Threads = 1
	}
	r.add("container", Pass, "", "", "GGUF v%d, %d metadata keys, %d tensors, %s", f.Version, len(f.KV), len(f.Tensors), humanBytes(f.Size()))

	cfg, err := model.NewConfig(f)
	if err != nil {
		r.add("metadata", Fail, keyIn(err.Error()), "fix or add the key (re-convert the model, or edit it with gguf-py's gguf_set_metadata)", "%s", trimPrefix(err.Error()))
	} else {
		checkMetadata(r, f, cfg)
	}
	checkTypes(r, f)

	var m *model.Model
	if cfg != nil {
		m, err = model.Load(f, model.Options{Threads: opt.Threads})
		if err != nil {
			addLoadError(r, err)
		} else {
			defer m.Close()
			r.add("tensors", Pass, "", "", "all %d tensors bound for architecture %s", len(f.Tensors), cfg.Arch)
		}
	} else {
		r.add("tensors", Skip, "", "", "not checked: the metadata does not describe a supported model")
	}

	checkI2S(r, f)
	checkFinite(r, f)
	tok := checkTokenizer(r, f, cfg)

	if cfg != nil {
		est := Estimate(cfg, f.Size(), opt.Context, opt.MaxBatch, opt.Threads, opt.KVType, opt.Head)
		r.add("memory", Pass, "", "", "%s", est)
	}

	switch {
	case opt.SkipForward:
		r.add("forward", Skip, "", "", "skipped on request")
	case m == nil:
		r.add("forward", Skip, "", "", "not run: the model did not load")
	default:
		checkForward(r, m, tok)
	}
	return r
}

// checkMetadata compares the configuration with the tensors it implies.
func checkMetadata(r *Report, f *gguf.File, c *model.Config) {
	bad := false
	k := func(s string) string { return c.Arch + "." + s }
	if t, ok := f.Tensor("token_embd.weight"); ok && len(t.Dims) == 2 {
		if t.Dims[0] != uint64(c.Dim) {
			r.add("metadata", Fail, k("embedding_length"), "re-convert the model: the key and the tensor disagree", "%s = %d but token_embd.weight has ne0 = %d", k("embedding_length"), c.Dim, t.Dims[0])
			bad = true
		}
		if t.Dims[1] != uint64(c.VocabSize) {
			r.add("metadata", Fail, k("vocab_size"), "re-convert the model: the vocabulary and the embedding disagree", "the vocabulary has %d tokens but token_embd.weight has %d rows", c.VocabSize, t.Dims[1])
			bad = true
		}
	}
	if t, ok := f.Tensor("blk.0.ffn_up.weight"); ok && len(t.Dims) == 2 && t.Dims[1] != uint64(c.HiddenDim) {
		r.add("metadata", Fail, k("feed_forward_length"), "re-convert the model: the key and the tensor disagree", "%s = %d but blk.0.ffn_up.weight has ne1 = %d", k("feed_forward_length"), c.HiddenDim, t.Dims[1])
		bad = true
	}
	blocks := -1
	re := regexp.MustCompile(`^blk\.(\d+)\.`)
	for _, t := range f.Tensors {
		if m := re.FindStringSubmatch(t.Name); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > blocks {
				blocks = n
			}
		}
	}
	if blocks+1 != c.NLayers {
		r.add("metadata", Fail, k("block_count"), "re-convert the model, or set the key to the number of blocks present", "%s = %d but the file has tensors for %d blocks", k("block_count"), c.NLayers, blocks+1)
		bad = true
	}
	if !bad {
		r.add("metadata", Pass, "", "", "%s", c)
	}
}

// checkTypes reports tensors whose type this engine cannot decode.
func checkTypes(r *Report, f *gguf.File) {
	counts := map[string]int{}
	bad := 0
	for _, t := range f.Tensors {
		_, _, ok := quant.BlockSize(t.Type)
		if !ok {
			fix := "convert the model to I2_S or TQ2_0 (bitnet convert)"
			if t.Type == gguf.TypeTL1 || t.Type == gguf.TypeTL2 {
				fix = "TL1/TL2 depend on per-machine kernel tables and are not portable: " + fix
			}
			r.add("types", Fail, t.Name, fix, "type %s (id %d) is not supported here", t.Type, uint32(t.Type))
			bad++
			continue
		}
		counts[t.Type.String()]++
	}
	if bad == 0 {
		names := make([]string, 0, len(counts))
		for n := range counts {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s ×%d", n, counts[n])
		}
		r.add("types", Pass, "", "", "every type is supported: %s", strings.Join(parts, ", "))
	}
}

// addLoadError turns model.Load's error, which lists one tensor problem per
// indented line, into one finding per problem.
func addLoadError(r *Report, err error) {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	fix := "re-convert the model with a converter for this architecture (bitnet convert)"
	if len(lines) == 1 {
		r.add("tensors", Fail, quoted(lines[0]), fix, "%s", trimPrefix(lines[0]))
		return
	}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		r.add("tensors", Fail, quoted(l), fix, "%s", l)
	}
}

var quotedRE = regexp.MustCompile(`"([^"]+)"`)

// quoted returns the first double-quoted name in s, or "".
func quoted(s string) string {
	if m := quotedRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// keyIn returns the first double-quoted name or the first dotted key of s.
func keyIn(s string) string {
	if q := quoted(s); q != "" {
		return q
	}
	return regexp.MustCompile(`[a-z0-9_-]+\.[a-z0-9_.-]+[a-z0-9_]`).FindString(strings.TrimPrefix(s, "model: "))
}

func trimPrefix(s string) string { return strings.TrimPrefix(s, "model: ") }

// checkI2S validates every I2_S tensor (spec §2.4).
func checkI2S(r *Report, f *gguf.File) {
	n, bad := 0, 0
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Type != gguf.TypeI2_S {
			continue
		}
		n++
		data, err := f.TensorData(t)
		if err == nil {
			err = quant.ValidateI2S(data, int(t.NumElements()))
		}
		if err != nil {
			r.add("i2s", Fail, t.Name, "the weights are corrupt: re-convert or download the model again", "%v", err)
			bad++
		}
	}
	if n > 0 && bad == 0 {
		r.add("i2s", Pass, "", "", "%d I2_S tensors: no code 3, every scale finite and positive", n)
	}
}

// scanChunk is the number of elements dequantized at a time by checkFinite.
const scanChunk = 1 << 16

// checkFinite scans every float-valued tensor for NaN and ±Inf.
func checkFinite(r *Report, f *gguf.File) {
	n, bad := 0, 0
	for i := range f.Tensors {
		t := &f.Tensors[i]
		data, err := f.TensorData(t)
		if err != nil {
			continue // reported by the tensors check
		}
		nan, inf, first, ok := scanTensor(t, data)
		if !ok {
			continue
		}
		n++
		if nan+inf > 0 {
			r.add("nan", Fail, t.Name, "the tensor is corrupt: re-convert or download the model again",
				"%d NaN and %d infinite values (first at element %d)", nan, inf, first)
			bad++
		}
	}
	if bad == 0 {
		r.add("nan", Pass, "", "", "%d float tensors scanned: no NaN or Inf", n)
	}
}

// scanTensor counts the NaN and infinite values of t. ok is false for types
// it does not scan (I2_S: see checkI2S; unsupported types).
func scanTensor(t *gguf.TensorInfo, data []byte) (nan, inf int, first int64, ok bool) {
	first = -1
	note := func(i int64, isNaN bool) {
		if isNaN {
			nan++
		} else {
			inf++
		}
		if first < 0 {
			first = i
		}
	}
	n := int64(t.NumElements())
	switch t.Type {
	case gguf.TypeF32:
		for i := int64(0); i < n && 4*i+3 < int64(len(data)); i++ {
			u := uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
			if u&0x7f800000 == 0x7f800000 {
				note(i, u&0x007fffff != 0)
			}
		}
		return nan, inf, first, true
	case gguf.TypeF16:
		for i := int64(0); i < n && 2*i+1 < int64(len(data)); i++ {
			h := uint16(data[2*i]) | uint16(data[2*i+1])<<8
			if h&0x7c00 == 0x7c00 {
				note(i, h&0x03ff != 0)
			}
		}
		return nan, inf, first, true
	case gguf.TypeBF16:
		for i := int64(0); i < n && 2*i+1 < int64(len(data)); i++ {
			h := uint16(data[2*i]) | uint16(data[2*i+1])<<8
			if h&0x7f80 == 0x7f80 {
				note(i, h&0x007f != 0)
			}
		}
		return nan, inf, first, true
	case gguf.TypeQ8_0, gguf.TypeQ6_K, gguf.TypeTQ1_0, gguf.TypeTQ2_0:
		elems, bytes, known := quant.BlockSize(t.Type)
		if !known || n%int64(elems) != 0 {
			return 0, 0, -1, false
		}
		chunk := int64(scanChunk / elems * elems)
		out := make([]float32, chunk)
		for lo := int64(0); lo < n; lo += chunk {
			m := min(chunk, n-lo)
			off := lo / int64(elems) * int64(bytes)
			if off > int64(len(data)) {
				break
			}
			if err := quant.Dequantize(t.Type, data[off:], out[:m]); err != nil {
				break
			}
			for i, v := range out[:m] {
				if math.IsNaN(float64(v)) {
					note(lo+int64(i), true)
				} else if math.IsInf(float64(v), 0) {
					note(lo+int64(i), false)
				}
			}
		}
		return nan, inf, first, true
	}
	return 0, 0, -1, false
}

// specialKeys are the token-id keys of spec §5.1.
var specialKeys = []string{
	"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
	"tokenizer.ggml.padding_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id",
	"tokenizer.ggml.separator_token_id", "tokenizer.ggml.cls_token_id", "tokenizer.ggml.mask_token_id",
}

// checkTokenizer checks the raw tokenizer keys, then builds the tokenizer
// and checks what it reports. It returns the tokenizer, or nil.
func checkTokenizer(r *Report, f *gguf.File, c *model.Config) *tokenizer.Tokenizer {
	const fixKey = "re-convert the model, or correct the key with gguf-py's gguf_set_metadata"
	start := len(r.Findings)
	kind, kindErr := f.String("tokenizer.ggml.model")
	if kindErr != nil {
		r.add("tokenizer", Fail, "tokenizer.ggml.model", fixKey, "missing or not a string: %v", kindErr)
	}
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil {
		r.add("tokenizer", Fail, "tokenizer.ggml.tokens", fixKey, "missing or not a string array: %v", err)
	}
	nTok := int64(len(toks))
	for _, key := range specialKeys {
		if _, ok := f.Lookup(key); !ok || toks == nil {
			continue
		}
		id, err := f.Int(key)
		if err != nil {
			r.add("tokenizer", Fail, key, fixKey, "not an integer: %v", err)
		} else if id < 0 || id >= nTok {
			r.add("tokenizer", Fail, key, fixKey, "id %d is out of range [0, %d)", id, nTok)
		}
	}
	for _, key := range []string{"tokenizer.ggml.token_type", "tokenizer.ggml.scores"} {
		if v, ok := f.Lookup(key); ok && toks != nil && v.Len() != len(toks) {
			r.add("tokenizer", Fail, key, fixKey, "%d entries for %d tokens", v.Len(), len(toks))
		}
	}
	if kindErr == nil && kind == "gpt2" {
		merges, err := f.Strings("tokenizer.ggml.merges")
		switch {
		case err != nil:
			r.add("tokenizer", Warn, "tokenizer.ggml.merges", "re-convert the model with its merges", "no merge list: words will not be merged into multi-byte tokens (%v)", err)
		default:
			var badIdx []string
			nBad := 0
			for i, m := range merges {
				l, rt, ok := strings.Cut(m, " ")
				if !ok || l == "" || rt == "" || strings.Contains(rt, " ") {
					nBad++
					if len(badIdx) < 5 {
						badIdx = append(badIdx, fmt.Sprintf("%d (%q)", i, m))
					}
				}
			}
			if nBad > 0 {
				r.add("tokenizer", Fail, "tokenizer.ggml.merges", fixKey, "%d of %d merges are not \"left right\": %s", nBad, len(merges), strings.Join(badIdx, ", "))
			}
		}
	}

	if kindErr != nil || toks == nil {
		return nil // FromGGUF would only repeat the missing key
	}
	tok, err := tokenizer.FromGGUF(f, tokenizer.Options{})
	if err != nil {
		r.add("tokenizer", Fail, keyIn(err.Error()), fixKey, "%v", err)
		return nil
	}
	if tok.BOS() < 0 {
		st := Warn
		if tok.AddBOS() {
			st = Fail
		}
		r.add("tokenizer", st, "tokenizer.ggml.bos_token_id", "add the key (Llama 3 family: 128000 <|begin_of_text|>)", "no BOS token (add_bos_token = %v)", tok.AddBOS())
	}
	if tok.EOS() < 0 {
		r.add("tokenizer", Fail, "tokenizer.ggml.eos_token_id", "add the key (Llama 3 family: 128001 <|end_of_text|>)", "no EOS token: generation cannot stop by itself")
	}
	if c != nil {
		switch v := tok.VocabSize(); {
		case v > c.VocabSize:
			r.add("tokenizer", Fail, "tokenizer.ggml.tokens", "re-convert the model", "%d tokens but the embedding has only %d rows", v, c.VocabSize)
		case v < c.VocabSize:
			r.add("tokenizer", Warn, "tokenizer.ggml.tokens", "", "%d tokens for %d embedding rows (the rest are padding and never produced by encoding)", v, c.VocabSize)
		}
	}
	const sample = "In the beginning, 1234 ünïcödé words."
	ids := tok.Encode(sample, false, false)
	for _, id := range ids {
		if id < 0 || int(id) >= tok.VocabSize() {
			r.add("tokenizer", Fail, "", "report a tokenizer bug", "encoding produced id %d outside the vocabulary", id)
			return tok
		}
	}
	if got := tok.Decode(ids); got != sample {
		r.add("tokenizer", Warn, "", "check tokenizer.ggml.pre and the token texts", "encode/decode round trip changed %q into %q", sample, got)
	}
	if len(r.Findings) == start {
		r.add("tokenizer", Pass, "", "", "%s vocabulary of %d tokens (pre-tokenizer %q), BOS %d, EOS %d; round trip ok", tok.Model(), tok.VocabSize(), tok.PreTokenizer(), tok.BOS(), tok.EOS())
	}
	return tok
}

// checkForward runs one token through the model and checks the logits.
func checkForward(r *Report, m *model.Model, tok *tokenizer.Tokenizer) {
	st, err := m.NewState(min(8, m.Config.SeqLen), 1)
	if err != nil {
		r.add("forward", Fail, "", "", "cannot allocate the state: %v", err)
		return
	}
	id := int32(0)
	if tok != nil && tok.BOS() >= 0 && int(tok.BOS()) < m.Config.VocabSize {
		id = tok.BOS()
	}
	logits, err := forwardSafe(m, st, id)
	if err != nil {
		r.add("forward", Fail, "", "report the error with the model", "token %d: %v", id, err)
		return
	}
	bad, first := 0, -1
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range logits {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			bad++
			if first < 0 {
				first = i
			}
			continue
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	switch {
	case bad > 0:
		r.add("forward", Fail, "", "some weights are corrupt: see the nan and i2s findings, or re-convert the model", "token %d: %d of %d logits are NaN or infinite (first at id %d)", id, bad, len(logits), first)
	case lo == hi:
		r.add("forward", Warn, "", "check the weights: the model cannot tell tokens apart", "token %d: all %d logits equal %g", id, len(logits), lo)
	default:
		r.add("forward", Pass, "", "", "token %d → %d finite logits in [%.3g, %.3g]", id, len(logits), lo, hi)
	}
}

// forwardSafe runs Forward, turning a panic (a bug, but validate must still
// report it) into an error.
func forwardSafe(m *model.Model, st *model.State, id int32) (logits []float32, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("forward pass panicked: %v", p)
		}
	}()
	return m.Forward(st, []int32{id}, false)
}

func humanBytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
		if f < 1024 || u == "GiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.2f %s", f, u)
		}
		f /= 1024
	}
	return ""
}
