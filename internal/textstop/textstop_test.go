package textstop

import (
	"strings"
	"testing"
)

func TestHolder(t *testing.T) {
	for _, tc := range []struct {
		stops  []string
		pieces []string
		want   string
		stop   string
	}{
		{[]string{"END", "<|x|>"}, []string{"ab", "cE", "N", "x <", "|x", "|> tail"}, "abcENx ", "<|x|>"},
		{[]string{"END"}, []string{"the E", "ND more"}, "the ", "END"},
		{[]string{"END"}, []string{"the E", "nd"}, "the End", ""},
		{nil, []string{"a", "b"}, "ab", ""},
		{[]string{"", "b"}, []string{"aab", "c"}, "aa", "b"},
		{[]string{"lo", "hello"}, []string{"hel", "lo"}, "", "hello"}, // the earliest stop wins
	} {
		h := New(tc.stops)
		var sb strings.Builder
		stop := ""
		for _, p := range tc.pieces {
			out, s := h.Add(p)
			sb.WriteString(out)
			if s != "" {
				stop = s
				break
			}
		}
		if stop == "" {
			sb.WriteString(h.Flush(""))
		}
		if sb.String() != tc.want || stop != tc.stop {
			t.Errorf("stops %q pieces %q: got %q stop %q, want %q stop %q", tc.stops, tc.pieces, sb.String(), stop, tc.want, tc.stop)
		}
	}
}
