package embedref

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/embed"
	"github.com/bitnet-go/bitnet/internal/shareddata"
)

var sets = []string{"qwen3-student-i2_s", "qwen3-teacher-f32", "gemma3-student-i2_s", "gemma3-teacher-f32"}

func openSet(t *testing.T, name string) *Set {
	t.Helper()
	s, err := Open(shareddata.Path(t, "embeddings", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenShared reads every shared set and checks what the README
// promises: 22 cases (2 token cases, 3 mean-pooled), unit vectors, the
// tolerance of the form, BOS/EOS rules of the vocabulary, and 3 queries ×
// 6 documents.
func TestOpenShared(t *testing.T) {
	for _, name := range sets {
		t.Run(name, func(t *testing.T) {
			s := openSet(t, name)
			wantCos := 0.99999
			if s.Student() {
				wantCos = 0.99995
			}
			if s.MinCos != wantCos {
				t.Errorf("MinCos = %v, want %v", s.MinCos, wantCos)
			}
			if _, err := os.Stat(s.Model); err != nil {
				t.Error(err)
			}
			if (s.HF != "") != (name == "qwen3-student-i2_s") {
				t.Errorf("HF = %q", s.HF)
			}
			var tokens, mean int
			for _, c := range s.Cases {
				if c.Kind == "tokens" {
					tokens++
				}
				if c.Pooling == embed.PoolingMean {
					mean++
				}
				var n float64
				for _, v := range c.Want {
					n += float64(v) * float64(v)
				}
				if math.Abs(math.Sqrt(n)-1) > 1e-5 {
					t.Errorf("%s: |Want| = %v, want 1 (normalize %d)", c.Name, math.Sqrt(n), c.Normalize)
				}
				if c.Kind == "text" && s.Arch == "gemma3" && (c.Tokens[0] != 1 || c.Tokens[len(c.Tokens)-1] != 2) {
					t.Errorf("%s: gemma3 text case without BOS 1 / EOS 2: %v", c.Name, c.Tokens)
				}
				if c.Kind == "text" && s.Arch == "qwen3" && c.Tokens[len(c.Tokens)-1] != 8000 {
					t.Errorf("%s: qwen3 text case not ending in EOS 8000", c.Name)
				}
			}
			if len(s.Cases) != 22 || tokens != 2 || mean != 3 {
				t.Errorf("%d cases, %d token cases, %d mean-pooled; want 22, 2, 3", len(s.Cases), tokens, mean)
			}
			if len(s.Retrieval.Queries) != 3 || len(s.Retrieval.Documents) != 6 {
				t.Errorf("retrieval %d × %d, want 3 × 6", len(s.Retrieval.Queries), len(s.Retrieval.Documents))
			}
			if c, ok := s.Case("case8"); !ok || c.Kind != "tokens" {
				t.Errorf("Case(case8) = %+v, %v", c, ok)
			}
		})
	}
}

// TestCompareReference feeds each set its own vectors: every case passes
// with cosine 1, and the retrieval order computed from the reference
// vectors reproduces the set's cosine matrix (to its 6 printed decimals)
// and ranking.
func TestCompareReference(t *testing.T) {
	for _, name := range sets {
		s := openSet(t, name)
		r, err := s.Compare(func(c *Case) ([]float32, error) { return slices.Clone(c.Want), nil })
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if r.Worst.Cos < 0.9999999 {
			t.Errorf("%s: worst cosine %v, want 1", name, r.Worst.Cos)
		}
		rt := s.Retrieval
		for q, qn := range rt.Queries {
			qc, _ := s.Case(qn)
			for d, dn := range rt.Documents {
				dc, _ := s.Case(dn)
				if got := embed.Cosine(qc.Want, dc.Want); math.Abs(got-rt.Cosine[q][d]) > 1e-6 {
					t.Errorf("%s: cos(%s, %s) = %.7f, reference.json says %.6f", name, qn, dn, got, rt.Cosine[q][d])
				}
			}
		}
	}
}

// TestCompareFailures checks that Compare catches a wrong vector, a
// swapped retrieval order and a wrong width, and tolerates near-ties.
func TestCompareFailures(t *testing.T) {
	s := openSet(t, "qwen3-teacher-f32")
	// Perturb case3 by 1 % of its norm in one coordinate: cos ≈ 0.99995 < 0.99999.
	r, err := s.Compare(func(c *Case) ([]float32, error) {
		v := slices.Clone(c.Want)
		if c.Name == "case3" {
			v[0] += 0.01
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "case3") || r.Worst.Name != "case3" {
		t.Errorf("perturbed case3: Err() = %v, worst %+v", err, r.Worst)
	}
	// Swap two documents that are far apart in the reference.
	rt := s.Retrieval
	cos := slices.Clone(rt.Cosine[0])
	all := [][]float64{cos, rt.Cosine[1], rt.Cosine[2]}
	first, last := rt.Ranking[0][0], rt.Ranking[0][len(rt.Ranking[0])-1]
	cos[first], cos[last] = cos[last], cos[first]
	if v := rt.Check(all); len(v) == 0 || !strings.Contains(v[0], "query case13") {
		t.Errorf("swapped ranking: Check = %q, want violations for case13", v)
	}
	// Swapping two documents closer than TieGap is allowed.
	ref := rt.Cosine[1] // smallest gap 0.000985 in this set
	tie := slices.Clone(ref)
	for i, a := range rt.Ranking[1][:len(ref)-1] {
		b := rt.Ranking[1][i+1]
		if ref[a]-ref[b] < TieGap {
			tie[a], tie[b] = tie[b], tie[a]
			break
		}
	}
	if v := rt.Check([][]float64{rt.Cosine[0], tie, rt.Cosine[2]}); len(v) != 0 {
		t.Errorf("near-tie swap: Check = %q, want none", v)
	}
	if _, err := s.Compare(func(c *Case) ([]float32, error) { return c.Want[:5], nil }); err == nil || !strings.Contains(err.Error(), "vector of 5") {
		t.Errorf("short vector: error %v", err)
	}
}

// TestOpenErrors corrupts a copy of a set one field at a time.
func TestOpenErrors(t *testing.T) {
	src := shareddata.Path(t, "embeddings", "gemma3-teacher-f32")
	orig, err := os.ReadFile(filepath.Join(src, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	type obj = map[string]any
	c := func(m obj, i int) obj { return m["cases"].([]any)[i].(obj) }
	tests := []struct {
		name   string
		mutate func(m obj)
		err    string
	}{
		{"arch", func(m obj) { m["arch"] = "llama" }, `arch "llama"`},
		{"token range", func(m obj) { c(m, 0)["tokens"].([]any)[0] = 99999 }, "tokens[0] = 99999 outside the vocabulary"},
		{"no tokens", func(m obj) { c(m, 8)["tokens"] = []any{} }, "cases[8] (case8): no tokens"},
		{"escape", func(m obj) { c(m, 0)["embedding_file"] = "../case0.f32" }, "not a file name inside the set"},
		{"shape", func(m obj) { c(m, 1)["shape"] = []any{64} }, "expected [128] (n_embd)"},
		{"pooling", func(m obj) { c(m, 2)["pooling"] = "max" }, `pooling "max"`},
		{"kind", func(m obj) { c(m, 8)["kind"] = "ids" }, `kind "ids"`},
		{"text missing", func(m obj) { delete(c(m, 0), "text") }, "kind text without text"},
		{"duplicate", func(m obj) { c(m, 1)["name"] = "case0" }, `name "case0" used twice`},
		{"tolerance", func(m obj) { m["tolerance"] = obj{"min_cos": 1.5} }, "tolerance.min_cos 1.5"},
		{"n_embd", func(m obj) { m["shape"].(obj)["n_embd"] = 0 }, "shape.n_embd = 0"},
		{"retrieval case", func(m obj) { m["retrieval"].(obj)["queries"].([]any)[0] = "case99" }, `case "case99" does not exist`},
		{"ranking", func(m obj) { m["retrieval"].(obj)["ranking"].([]any)[0].([]any)[0] = 7 }, "is not a permutation"},
		{"no retrieval", func(m obj) { delete(m, "retrieval") }, "no retrieval block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m obj
			if err := json.Unmarshal(orig, &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			copySet(t, src, dir)
			if err := os.WriteFile(filepath.Join(dir, "reference.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Open(dir)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Open: error %v, want one containing %q", err, tt.err)
			}
		})
	}
	// A truncated vector file.
	dir := t.TempDir()
	copySet(t, src, dir)
	if err := os.WriteFile(filepath.Join(dir, "reference.json"), orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != nil {
		t.Fatalf("unchanged copy: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "case5.f32"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "100 bytes, expected 512") {
		t.Errorf("short case5.f32: error %v", err)
	}
}

// copySet copies the vector files of src into dir (reference.json is
// written by the caller).
func copySet(t *testing.T, src, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(src, "case*.f32"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
