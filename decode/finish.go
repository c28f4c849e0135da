package decode

import "fmt"

// Finish says why a generation ended; FinishNone while it goes on.
type Finish uint8

// The ways a generation ends.
const (
	FinishNone    Finish = iota // not finished
	FinishEOG                   // an end-of-generation token (EOS, EOT, …)
	FinishStop                  // a stop string
	FinishLength                // the MaxTokens limit
	FinishContext               // the context is full (generation "until full")
)

var finishNames = [...]string{FinishNone: "none", FinishEOG: "eog", FinishStop: "stop", FinishLength: "length", FinishContext: "context"}

// String returns the finish's name: "none", "eog", "stop", "length" or
// "context".
func (f Finish) String() string {
	if int(f) < len(finishNames) {
		return finishNames[f]
	}
	return fmt.Sprintf("Finish(%d)", f)
}

// MarshalText encodes the finish as its String form, for JSON and logs.
func (f Finish) MarshalText() ([]byte, error) {
	if int(f) >= len(finishNames) {
		return nil, fmt.Errorf("decode: unknown finish %d", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText decodes a String form.
func (f *Finish) UnmarshalText(b []byte) error {
	for i, n := range finishNames {
		if n == string(b) {
			*f = Finish(i)
			return nil
		}
	}
	return fmt.Errorf("decode: unknown finish %q (want none, eog, stop, length or context)", b)
}

// Reason is OpenAI's finish_reason for f: "stop" for an end-of-generation
// token or a stop string, "length" for a token limit or a full context,
// "" while not finished.
func (f Finish) Reason() string {
	switch f {
	case FinishEOG, FinishStop:
		return "stop"
	case FinishLength, FinishContext:
		return "length"
	}
	return ""
}
