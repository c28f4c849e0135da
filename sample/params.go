package sample

import (
	"fmt"
	"math"
)

// DefaultRepeatLastN is the penalty window used when Params.RepeatLastN is 0,
// llama.cpp's default.
const DefaultRepeatLastN = 64

// Params configures a Sampler. The zero value is valid and means greedy
// decoding with no penalties.
type Params struct {
	// Temperature divides the logits before the softmax. 0 means greedy:
	// the highest logit after penalties, the lowest id on ties; no RNG is
	// used. Negative values are invalid.
	Temperature float32
	// TopK keeps the TopK highest logits; <= 0 disables it.
	TopK int
	// TopP keeps the smallest set of most probable tokens whose
	// probability sums to at least TopP (probabilities at temperature 1,
	// over the tokens top-k kept). 1 or <= 0 disables it; above 1 is
	// invalid.
	TopP float32
	// MinP keeps the tokens whose probability is at least MinP times that
	// of the most probable token, i.e. logit >= max + ln(MinP). 0 disables
	// it; it must lie in [0, 1].
	MinP float32
	// RepeatPenalty divides positive logits and multiplies non-positive
	// ones of every distinct token in the penalty window (llama.cpp
	// semantics). 1 and 0 disable it; negative values are invalid.
	RepeatPenalty float32
	// RepeatLastN is the penalty window: the last RepeatLastN tokens of the
	// history. 0 means DefaultRepeatLastN, -1 the whole history; below -1
	// is invalid. It applies to all three penalties.
	RepeatLastN int
	// PresencePenalty is subtracted from the logit of every token that
	// occurs in the window (OpenAI semantics).
	PresencePenalty float32
	// FrequencyPenalty times the number of occurrences in the window is
	// subtracted from a token's logit (OpenAI semantics).
	FrequencyPenalty float32
	// Seed seeds the sampler's PCG generator: the same seed and the same
	// sequence of logits and histories give the same tokens.
	Seed uint64
}

// ParamError reports an invalid Params field. Field is the Go field name.
type ParamError struct {
	Field  string
	Value  any
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("sample: %s = %v: %s", e.Field, e.Value, e.Reason)
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// Validate reports the first invalid field of p as a *ParamError.
func (p Params) Validate() error {
	switch {
	case !finite(p.Temperature) || p.Temperature < 0:
		return &ParamError{"Temperature", p.Temperature, "must be finite and >= 0"}
	case math.IsNaN(float64(p.TopP)) || p.TopP > 1:
		return &ParamError{"TopP", p.TopP, "must be at most 1"}
	case math.IsNaN(float64(p.MinP)) || p.MinP < 0 || p.MinP > 1:
		return &ParamError{"MinP", p.MinP, "must lie in [0, 1]"}
	case !finite(p.RepeatPenalty) || p.RepeatPenalty < 0:
		return &ParamError{"RepeatPenalty", p.RepeatPenalty, "must be finite and > 0 (0 disables it)"}
	case p.RepeatLastN < -1:
		return &ParamError{"RepeatLastN", p.RepeatLastN, "must be >= -1"}
	case !finite(p.PresencePenalty):
		return &ParamError{"PresencePenalty", p.PresencePenalty, "must be finite"}
	case !finite(p.FrequencyPenalty):
		return &ParamError{"FrequencyPenalty", p.FrequencyPenalty, "must be finite"}
	}
	return nil
}
