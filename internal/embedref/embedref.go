// Package embedref reads the embedding reference sets of shared/embeddings
// (spec §10; the format is that folder's README): per set a model.gguf, a
// reference.json describing the inputs (text, or token ids used as given),
// their pooling and normalization, the tolerance, a retrieval set of
// queries × documents with its reference ranking, and one caseN.f32 file
// per input holding the expected pooled, normalized vector as
// little-endian float32.
//
// [Open] validates everything it reads (shapes, token ranges, file sizes,
// case references) so that a forward pass can be checked against a set
// with [Set.Compare] without further care. A Set is immutable after Open
// and safe for concurrent use.
package embedref

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/bitnet-go/bitnet/embed"
)

// maxReferenceJSON bounds reference.json (the shipped ones are about 20 kB).
const maxReferenceJSON = 16 << 20

// TieGap is the retrieval rule's tolerance: two documents whose reference
// cosines differ by less than this may appear in either order.
const TieGap = 0.002

// Shape is the model shape a set declares (reference.json "shape").
type Shape struct {
	NEmbd     int `json:"n_embd"`     // d, the vector width
	NLayer    int `json:"n_layer"`    // blocks
	NHead     int `json:"n_head"`     // H
	NHeadKV   int `json:"n_head_kv"`  // Hkv
	KeyLength int `json:"key_length"` // hd
	NFF       int `json:"n_ff"`       // F
	NVocab    int `json:"n_vocab"`    // tokens; every case's ids are below it
}

// Case is one reference input and its expected vector.
type Case struct {
	Name string // "case0", …
	// Kind is "text" (Tokens are what the tokenizer must give, BOS/EOS
	// included) or "tokens" (Tokens are embedded exactly as given).
	Kind      string
	Text      string        // the input text; "" for token cases
	Tokens    []int32       // the ids embedded, len ≥ 1, each in [0, Shape.NVocab)
	Pooling   embed.Pooling // PoolingLast or PoolingMean (or CLS, NONE)
	Normalize int           // embd_normalize mode of Want (2 = L2)
	Want      []float32     // the expected vector, len Shape.NEmbd
	// CrossCheck is the cosine between the two independent references
	// (llama.cpp and NumPy) for teacher text cases, or 0 when not given.
	CrossCheck float64
}

// Retrieval is the set's retrieval check: queries × documents, both named
// by case, with the reference cosine matrix and document ranking.
type Retrieval struct {
	Queries   []string    // case names
	Documents []string    // case names
	Cosine    [][]float64 // [query][document] reference cosines
	Ranking   [][]int     // [query] document indices, most similar first
}

// Set is one reference set.
type Set struct {
	Dir        string // the set's folder
	Name       string // reference.json "set"
	Model      string // path of the GGUF model
	HF         string // path of the Hugging Face checkpoint it came from, or ""
	Arch       string // "qwen3" or "gemma3"
	Form       string // e.g. "student-i2_s", "teacher-f32"
	Shape      Shape
	Declared   embed.Pooling // the model file's pooling_type as the set records it
	ProducedBy string
	MinCos     float64 // per-vector cosine a candidate must reach
	Cases      []Case  // in file order
	Retrieval  Retrieval

	byName map[string]int
}

// Student reports whether the set is a ternary BitNet student (its form
// starts with "student"), whose bar is the tighter one.
func (s *Set) Student() bool { return strings.HasPrefix(s.Form, "student") }

// Case returns the case called name.
func (s *Set) Case(name string) (*Case, bool) {
	i, ok := s.byName[name]
	if !ok {
		return nil, false
	}
	return &s.Cases[i], true
}

// rawSet is reference.json as written.
type rawSet struct {
	Set        string `json:"set"`
	Model      string `json:"model"`
	HF         string `json:"hf"`
	Arch       string `json:"arch"`
	Form       string `json:"form"`
	Shape      Shape  `json:"shape"`
	Declared   *int   `json:"declared_pooling_type"`
	ProducedBy string `json:"produced_by"`
	Tolerance  struct {
		MinCos float64 `json:"min_cos"`
	} `json:"tolerance"`
	Cases []struct {
		Name       string  `json:"name"`
		Kind       string  `json:"kind"`
		Text       *string `json:"text"`
		Tokens     []int64 `json:"tokens"`
		Pooling    string  `json:"pooling"`
		Normalize  *int    `json:"normalize"`
		File       string  `json:"embedding_file"`
		Shape      []int   `json:"shape"`
		CrossCheck float64 `json:"crosscheck_cos_numpy"`
	} `json:"cases"`
	Retrieval *struct {
		Queries   []string    `json:"queries"`
		Documents []string    `json:"documents"`
		Cosine    [][]float64 `json:"cosine"`
		Ranking   [][]int     `json:"ranking"`
	} `json:"retrieval"`
}

// Open reads the set in dir. Errors name the file and the field at fault.
func Open(dir string) (*Set, error) {
	path := filepath.Join(dir, "reference.json")
	var r rawSet
	if err := readJSON(path, &r); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("embedref: %s: %s", path, fmt.Sprintf(format, args...))
	}
	s := &Set{Dir: dir, Name: r.Set, Arch: r.Arch, Form: r.Form, Shape: r.Shape, ProducedBy: r.ProducedBy,
		MinCos: r.Tolerance.MinCos, Declared: embed.PoolingUnspecified, byName: map[string]int{}}
	if err := checkHeader(&r, bad); err != nil {
		return nil, err
	}
	s.Model = filepath.Join(dir, r.Model)
	if r.HF != "" {
		s.HF = filepath.Join(dir, r.HF)
	}
	if r.Declared != nil {
		s.Declared = embed.Pooling(*r.Declared)
	}
	for i := range r.Cases {
		c, err := readCase(dir, &r, i, bad)
		if err != nil {
			return nil, err
		}
		if _, dup := s.byName[c.Name]; dup {
			return nil, bad("cases[%d]: name %q used twice", i, c.Name)
		}
		s.byName[c.Name] = len(s.Cases)
		s.Cases = append(s.Cases, *c)
	}
	if err := s.readRetrieval(&r, bad); err != nil {
		return nil, err
	}
	return s, nil
}

// checkHeader validates the set-level fields of r.
func checkHeader(r *rawSet, bad func(string, ...any) error) error {
	switch {
	case r.Arch != "qwen3" && r.Arch != "gemma3":
		return bad("arch %q, expected qwen3 or gemma3", r.Arch)
	case !localName(r.Model):
		return bad("model %q is not a file name inside the set", r.Model)
	case r.HF != "" && !localName(r.HF):
		return bad("hf %q is not a folder name inside the set", r.HF)
	case !(r.Tolerance.MinCos > 0 && r.Tolerance.MinCos <= 1):
		return bad("tolerance.min_cos %v, expected a value in (0, 1]", r.Tolerance.MinCos)
	case len(r.Cases) == 0:
		return bad("no cases")
	}
	sh := r.Shape
	for _, f := range []struct {
		name string
		v    int
	}{{"n_embd", sh.NEmbd}, {"n_layer", sh.NLayer}, {"n_head", sh.NHead}, {"n_head_kv", sh.NHeadKV},
		{"key_length", sh.KeyLength}, {"n_ff", sh.NFF}, {"n_vocab", sh.NVocab}} {
		if f.v <= 0 || f.v > 1<<24 {
			return bad("shape.%s = %d, expected a positive size", f.name, f.v)
		}
	}
	return nil
}

// readCase validates case i of r and reads its vector file.
func readCase(dir string, r *rawSet, i int, bad func(string, ...any) error) (*Case, error) {
	rc := &r.Cases[i]
	c := &Case{Name: rc.Name, Kind: rc.Kind, CrossCheck: rc.CrossCheck, Normalize: 2}
	at := fmt.Sprintf("cases[%d] (%s)", i, rc.Name)
	if rc.Name == "" {
		return nil, bad("cases[%d]: no name", i)
	}
	switch rc.Kind {
	case "text":
		if rc.Text == nil {
			return nil, bad("%s: kind text without text", at)
		}
		c.Text = *rc.Text
	case "tokens":
	default:
		return nil, bad("%s: kind %q, expected text or tokens", at, rc.Kind)
	}
	if len(rc.Tokens) == 0 {
		return nil, bad("%s: no tokens", at)
	}
	c.Tokens = make([]int32, len(rc.Tokens))
	for k, id := range rc.Tokens {
		if id < 0 || id >= int64(r.Shape.NVocab) {
			return nil, bad("%s: tokens[%d] = %d outside the vocabulary [0, %d)", at, k, id, r.Shape.NVocab)
		}
		c.Tokens[k] = int32(id)
	}
	p, err := embed.ParsePooling(rc.Pooling)
	if err != nil || p == embed.PoolingRank {
		return nil, bad("%s: pooling %q, expected none, mean, cls or last", at, rc.Pooling)
	}
	c.Pooling = p
	if rc.Normalize != nil {
		c.Normalize = *rc.Normalize
	}
	if len(rc.Shape) != 1 || rc.Shape[0] != r.Shape.NEmbd {
		return nil, bad("%s: shape %v, expected [%d] (n_embd)", at, rc.Shape, r.Shape.NEmbd)
	}
	if !localName(rc.File) {
		return nil, bad("%s: embedding_file %q is not a file name inside the set", at, rc.File)
	}
	if c.Want, err = readVector(filepath.Join(dir, rc.File), r.Shape.NEmbd); err != nil {
		return nil, err
	}
	return c, nil
}

// readRetrieval validates and copies the retrieval block.
func (s *Set) readRetrieval(r *rawSet, bad func(string, ...any) error) error {
	rr := r.Retrieval
	if rr == nil {
		return bad("no retrieval block")
	}
	nd := len(rr.Documents)
	if len(rr.Queries) == 0 || nd == 0 {
		return bad("retrieval: %d queries and %d documents, expected at least one of each", len(rr.Queries), nd)
	}
	for _, n := range append(append([]string(nil), rr.Queries...), rr.Documents...) {
		if _, ok := s.byName[n]; !ok {
			return bad("retrieval: case %q does not exist", n)
		}
	}
	if len(rr.Cosine) != len(rr.Queries) || len(rr.Ranking) != len(rr.Queries) {
		return bad("retrieval: %d cosine rows and %d rankings for %d queries", len(rr.Cosine), len(rr.Ranking), len(rr.Queries))
	}
	for q := range rr.Queries {
		if len(rr.Cosine[q]) != nd || len(rr.Ranking[q]) != nd {
			return bad("retrieval: query %d has %d cosines and a ranking of %d for %d documents", q, len(rr.Cosine[q]), len(rr.Ranking[q]), nd)
		}
		seen := make([]bool, nd)
		for _, d := range rr.Ranking[q] {
			if d < 0 || d >= nd || seen[d] {
				return bad("retrieval: ranking %d = %v is not a permutation of 0..%d", q, rr.Ranking[q], nd-1)
			}
			seen[d] = true
		}
	}
	s.Retrieval = Retrieval{Queries: rr.Queries, Documents: rr.Documents, Cosine: rr.Cosine, Ranking: rr.Ranking}
	return nil
}

// localName reports whether name is a plain name inside the set's folder.
func localName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name && !strings.ContainsAny(name, `/\`)
}

// readJSON decodes the JSON file path into v, refusing files over
// maxReferenceJSON bytes.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("embedref: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReferenceJSON+1))
	if err != nil {
		return fmt.Errorf("embedref: %s: %w", path, err)
	}
	if len(b) > maxReferenceJSON {
		return fmt.Errorf("embedref: %s: larger than %d bytes", path, maxReferenceJSON)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("embedref: %s: %w", path, err)
	}
	return nil
}

// readVector reads a little-endian float32 vector of exactly n finite
// elements.
func readVector(path string, n int) ([]float32, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("embedref: %w", err)
	}
	if st.Size() != int64(4*n) {
		return nil, fmt.Errorf("embedref: %s: %d bytes, expected %d (%d float32)", path, st.Size(), 4*n, n)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("embedref: %w", err)
	}
	if len(b) != 4*n {
		return nil, fmt.Errorf("embedref: %s: %w", path, io.ErrUnexpectedEOF)
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(x[i])) || math.IsInf(float64(x[i]), 0) {
			return nil, fmt.Errorf("embedref: %s: element %d is %v", path, i, x[i])
		}
	}
	return x, nil
}

// ErrMismatch is wrapped by Compare's error when a set is not reproduced.
var ErrMismatch = errors.New("embedref: reference not reproduced")
