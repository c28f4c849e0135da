package embedref

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bitnet-go/bitnet/embed"
)

// Embedder returns the vector of one case: c.Tokens embedded exactly as
// given (no BOS/EOS added; text cases already include them), pooled with
// c.Pooling and normalized with mode c.Normalize.
type Embedder func(c *Case) ([]float32, error)

// CaseResult is the outcome of one case.
type CaseResult struct {
	Name string
	Cos  float64 // cosine to the reference vector
	OK   bool    // Cos ≥ the set's MinCos
}

// Report is the outcome of Compare.
type Report struct {
	Set       string
	MinCos    float64
	Cases     []CaseResult // in the set's order
	Worst     CaseResult   // the case with the lowest cosine
	Retrieval []string     // retrieval-order violations, empty when the order holds
}

// OK reports whether every case reached the tolerance and the retrieval
// order held.
func (r *Report) OK() bool { return r.Err() == nil }

// Err returns nil when the report passes, else an error wrapping
// ErrMismatch that names every failing case and retrieval violation.
func (r *Report) Err() error {
	var fails []string
	for _, c := range r.Cases {
		if !c.OK {
			fails = append(fails, fmt.Sprintf("%s: cosine %.8f < %.8f", c.Name, c.Cos, r.MinCos))
		}
	}
	fails = append(fails, r.Retrieval...)
	if len(fails) == 0 {
		return nil
	}
	return fmt.Errorf("%w: set %s: %s", ErrMismatch, r.Set, strings.Join(fails, "; "))
}

// Compare embeds every case with f and checks each vector against the
// reference (cosine ≥ MinCos; cosine is scale-invariant, so this is the
// cosine after L2 normalization) and the retrieval order of the set's
// queries and documents under the TieGap rule. It returns an error only
// when f fails or returns a vector of the wrong width; a reproduction that
// falls short is reported in the Report.
func (s *Set) Compare(f Embedder) (*Report, error) {
	r := &Report{Set: s.Name, MinCos: s.MinCos, Worst: CaseResult{Cos: 2}}
	got := make(map[string][]float32, len(s.Cases))
	for i := range s.Cases {
		c := &s.Cases[i]
		v, err := f(c)
		if err != nil {
			return nil, fmt.Errorf("embedref: set %s, %s: %w", s.Name, c.Name, err)
		}
		if len(v) != s.Shape.NEmbd {
			return nil, fmt.Errorf("embedref: set %s, %s: vector of %d, expected %d (n_embd)", s.Name, c.Name, len(v), s.Shape.NEmbd)
		}
		got[c.Name] = v
		res := CaseResult{Name: c.Name, Cos: embed.Cosine(v, c.Want)}
		res.OK = res.Cos >= s.MinCos
		r.Cases = append(r.Cases, res)
		if res.Cos < r.Worst.Cos {
			r.Worst = res
		}
	}
	rt := &s.Retrieval
	cos := make([][]float64, len(rt.Queries))
	for q, qn := range rt.Queries {
		cos[q] = make([]float64, len(rt.Documents))
		for d, dn := range rt.Documents {
			cos[q][d] = embed.Cosine(got[qn], got[dn])
		}
	}
	r.Retrieval = rt.Check(cos)
	return r, nil
}

// Check compares a candidate's query × document cosines with the reference
// ranking: for every query, the documents ordered by descending candidate
// cosine must follow the reference order, except that two documents whose
// reference cosines differ by less than TieGap may swap. It returns one
// line per violating pair, or nil. cos must have the reference's shape.
func (rt *Retrieval) Check(cos [][]float64) []string {
	var out []string
	for q := range rt.Queries {
		order := make([]int, len(rt.Documents))
		for d := range order {
			order[d] = d
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cos[q][b], cos[q][a]) })
		ref := rt.Cosine[q]
		for i, a := range order {
			for _, b := range order[i+1:] {
				if ref[b]-ref[a] >= TieGap {
					out = append(out, fmt.Sprintf("query %s: document %s (reference cosine %.6f) ranked above %s (%.6f)",
						rt.Queries[q], rt.Documents[a], ref[a], rt.Documents[b], ref[b]))
				}
			}
		}
	}
	return out
}
