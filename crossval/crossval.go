// Package crossval compares the engine's logits with reference outputs
// (bitnet.cpp's, or PyTorch's) stored in the format documented in
// ../shared/crossval/README.md, and judges them against the set's stated
// tolerance.
package crossval

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Tolerance is what a faithful engine must reach on a reference set.
type Tolerance struct {
	MinTop1    float64 `json:"min_top1"`     // share of non-tie positions whose argmax agrees
	TieMargin  float64 `json:"tie_margin"`   // reference top-2 gap below which a position is a near-tie
	MinMeanCos float64 `json:"min_mean_cos"` // minimum over cases of the mean per-position cosine
	MaxRelRMS  float64 `json:"max_rel_rms"`  // maximum over cases of ‖ours−ref‖/‖ref‖
}

// Case is one prompt of a reference set.
type Case struct {
	Name          string  `json:"name"`
	Prompt        string  `json:"prompt"`
	Tokens        []int32 `json:"tokens"`
	LogitsFile    string  `json:"logits_file"`
	LogitsShape   [2]int  `json:"logits_shape"`
	GreedyTokens  []int32 `json:"greedy_tokens"`
	GreedyText    string  `json:"greedy_text"`
	PytorchLogits string  `json:"pytorch_logits_file"`
}

// Reference is one reference set: a model and its cases.
type Reference struct {
	Dir        string    `json:"-"`
	Model      string    `json:"model"`
	Arch       string    `json:"arch"`
	Type       string    `json:"type"`
	VocabSize  int       `json:"vocab_size"`
	ProducedBy string    `json:"produced_by"`
	Tolerance  Tolerance `json:"tolerance"`
	Cases      []Case    `json:"cases"`
}

// Load reads dir/reference.json and checks it.
func Load(dir string) (*Reference, error) {
	path := filepath.Join(dir, "reference.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("crossval: %w", err)
	}
	r := &Reference{Dir: dir}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("crossval: %s: %w", path, err)
	}
	if r.VocabSize <= 0 {
		return nil, fmt.Errorf("crossval: %s: vocab_size %d must be positive", path, r.VocabSize)
	}
	if len(r.Cases) == 0 {
		return nil, fmt.Errorf("crossval: %s: no cases", path)
	}
	for _, c := range r.Cases {
		if c.LogitsShape[0] != len(c.Tokens) || c.LogitsShape[1] != r.VocabSize {
			return nil, fmt.Errorf("crossval: %s: case %q: logits_shape %v does not match %d tokens × vocab %d", path, c.Name, c.LogitsShape, len(c.Tokens), r.VocabSize)
		}
	}
	return r, nil
}

// ModelPath is the model file of the set.
func (r *Reference) ModelPath() string { return filepath.Join(r.Dir, r.Model) }

// ReadLogits reads a little-endian float32 [T][V] file of the set.
func (r *Reference) ReadLogits(name string, T int) ([]float32, error) {
	path := filepath.Join(r.Dir, name)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("crossval: %w", err)
	}
	defer f.Close()
	want := int64(T) * int64(r.VocabSize) * 4
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("crossval: %w", err)
	} else if st.Size() != want {
		return nil, fmt.Errorf("crossval: %s: size %d bytes, want %d (%d × %d float32)", path, st.Size(), want, T, r.VocabSize)
	}
	out := make([]float32, T*r.VocabSize)
	if err := binary.Read(io.Reader(f), binary.LittleEndian, out); err != nil {
		return nil, fmt.Errorf("crossval: %s: %w", path, err)
	}
	return out, nil
}

// CaseResult holds the agreement measures of one case.
type CaseResult struct {
	Name        string  `json:"name"`
	Positions   int     `json:"positions"`
	Top1Counted int     `json:"top1_counted"` // positions that are not near-ties
	Top1Agree   int     `json:"top1_agree"`
	MeanCos     float64 `json:"mean_cos"`
	MinCos      float64 `json:"min_cos"`
	RelRMS      float64 `json:"rel_rms"`
	MaxAbsDiff  float64 `json:"max_abs_diff"`

	// Greedy continuation, when checked.
	GreedyChecked bool    `json:"greedy_checked"`
	GreedyLen     int     `json:"greedy_len"`    // tokens in the reference continuation
	GreedyMatch   int     `json:"greedy_match"`  // length of the common prefix
	GreedyTieStop bool    `json:"greedy_tie"`    // the first difference is at a near-tie of ours
	GreedyGap     float64 `json:"greedy_gap"`    // our top-2 gap at the first difference
	GreedyOurs    []int32 `json:"greedy_tokens"` // our continuation
	GreedyOK      bool    `json:"greedy_ok"`     // equal, or equal up to a near-tie
}

// Compare measures ours against ref, both [T][V] row-major.
func Compare(name string, ours, ref []float32, V int, tieMargin float64) CaseResult {
	T := len(ref) / V
	res := CaseResult{Name: name, Positions: T, MinCos: math.Inf(1)}
	var diff2, ref2, cosSum float64
	for t := range T {
		o, r := ours[t*V:(t+1)*V], ref[t*V:(t+1)*V]
		var dot, no, nr float64
		for i := range r {
			a, b := float64(o[i]), float64(r[i])
			dot += a * b
			no += a * a
			nr += b * b
			d := a - b
			diff2 += d * d
			res.MaxAbsDiff = max(res.MaxAbsDiff, math.Abs(d))
		}
		ref2 += nr
		cos := dot / math.Sqrt(no*nr)
		if no == 0 || nr == 0 {
			cos = 0
		}
		cosSum += cos
		res.MinCos = min(res.MinCos, cos)
		r1, gap := top2(r)
		if gap >= tieMargin {
			res.Top1Counted++
			if o1, _ := top2(o); o1 == r1 {
				res.Top1Agree++
			}
		}
	}
	res.MeanCos = cosSum / float64(T)
	res.RelRMS = math.Sqrt(diff2 / ref2)
	return res
}

// top2 returns the argmax (lowest index on ties) and the gap to the runner-up.
func top2(x []float32) (int, float64) {
	best, second := -1, -1
	for i, v := range x {
		switch {
		case best < 0 || v > x[best]:
			best, second = i, best
		case second < 0 || v > x[second]:
			second = i
		}
	}
	if second < 0 {
		return best, math.Inf(1)
	}
	return best, float64(x[best] - x[second])
}

// Top2 is top2 for callers outside the package (greedy tie checks).
func Top2(x []float32) (int, float64) { return top2(x) }

// Report summarises a whole set against its tolerance.
type Report struct {
	Set       string       `json:"set"`
	Model     string       `json:"model"`
	Tolerance Tolerance    `json:"tolerance"`
	Cases     []CaseResult `json:"cases"`
	Top1      float64      `json:"top1"`         // over all cases' non-tie positions
	MinMean   float64      `json:"min_mean_cos"` // min over cases
	MaxRelRMS float64      `json:"max_rel_rms"`  // max over cases
	Pass      bool         `json:"pass"`
	Failures  []string     `json:"failures,omitempty"`
}

// Summarise fills the aggregate fields and the verdict.
func Summarise(set, model string, tol Tolerance, cases []CaseResult, checkGreedy bool) *Report {
	rep := &Report{Set: set, Model: model, Tolerance: tol, Cases: cases, MinMean: math.Inf(1)}
	var agree, counted int
	for _, c := range cases {
		agree += c.Top1Agree
		counted += c.Top1Counted
		rep.MinMean = min(rep.MinMean, c.MeanCos)
		rep.MaxRelRMS = max(rep.MaxRelRMS, c.RelRMS)
		if checkGreedy && c.GreedyChecked && !c.GreedyOK {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: greedy continuation differs at token %d of %d (our top-2 gap there %.3g ≥ tie margin %.3g)", c.Name, c.GreedyMatch, c.GreedyLen, c.GreedyGap, tol.TieMargin))
		}
	}
	rep.Top1 = 1
	if counted > 0 {
		rep.Top1 = float64(agree) / float64(counted)
	}
	if rep.Top1 < tol.MinTop1 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("top-1 agreement %.4f < %.4f", rep.Top1, tol.MinTop1))
	}
	if rep.MinMean < tol.MinMeanCos {
		rep.Failures = append(rep.Failures, fmt.Sprintf("mean cosine %.6f < %.6f", rep.MinMean, tol.MinMeanCos))
	}
	if rep.MaxRelRMS > tol.MaxRelRMS {
		rep.Failures = append(rep.Failures, fmt.Sprintf("relative RMS %.4f > %.4f", rep.MaxRelRMS, tol.MaxRelRMS))
	}
	sort.Strings(rep.Failures)
	rep.Pass = len(rep.Failures) == 0
	return rep
}

// ErrFailed is returned (wrapped) when a set misses its tolerance.
var ErrFailed = errors.New("crossval: outside tolerance")
