// Package textstop holds back streamed text that might still turn into a
// stop string, so that a stop string is never partly emitted.
package textstop

import "strings"

// Holder filters a stream of text pieces against a set of stop strings.
// The zero value with no stops passes everything through.
type Holder struct {
	stops   []string
	pending string
}

// New returns a Holder for stops (empty strings are ignored).
func New(stops []string) *Holder {
	h := &Holder{}
	h.Reset(stops)
	return h
}

// Reset forgets held text and sets new stop strings.
func (h *Holder) Reset(stops []string) {
	h.stops = h.stops[:0]
	for _, s := range stops {
		if s != "" {
			h.stops = append(h.stops, s)
		}
	}
	h.pending = ""
}

// Add appends text and returns what can be emitted now, and the stop string
// found, if any; text from the stop string on is dropped.
func (h *Holder) Add(text string) (out, stop string) {
	if len(h.stops) == 0 {
		return text, ""
	}
	h.pending += text
	first, which := -1, ""
	for _, s := range h.stops {
		if i := strings.Index(h.pending, s); i >= 0 && (first < 0 || i < first) {
			first, which = i, s
		}
	}
	if first >= 0 {
		out = h.pending[:first]
		h.pending = ""
		return out, which
	}
	// Keep the longest suffix that is a proper prefix of some stop string.
	keep := 0
	for _, s := range h.stops {
		for n := min(len(s)-1, len(h.pending)); n > keep; n-- {
			if strings.HasSuffix(h.pending, s[:n]) {
				keep = n
				break
			}
		}
	}
	out = h.pending[:len(h.pending)-keep]
	h.pending = h.pending[len(h.pending)-keep:]
	return out, ""
}

// Flush returns the held text followed by rest, for the end of a stream.
func (h *Holder) Flush(rest string) string {
	out := h.pending + rest
	h.pending = ""
	return out
}
