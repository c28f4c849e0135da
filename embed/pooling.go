package embed

import (
	"fmt"
	"strings"
)

// poolingNames are the names llama.cpp's --pooling flag takes, by type.
var poolingNames = map[Pooling]string{
	PoolingNone: "none", PoolingMean: "mean", PoolingCLS: "cls", PoolingLast: "last", PoolingRank: "rank",
}

// String returns the llama.cpp name of p ("none", "mean", "cls", "last",
// "rank"), "unspecified" for PoolingUnspecified, or "pooling(N)".
func (p Pooling) String() string {
	if s, ok := poolingNames[p]; ok {
		return s
	}
	if p == PoolingUnspecified {
		return "unspecified"
	}
	return fmt.Sprintf("pooling(%d)", int(p))
}

// ParsePooling maps a llama.cpp --pooling name (none, mean, cls, last,
// rank; any case) to its type.
func ParsePooling(s string) (Pooling, error) {
	for p, name := range poolingNames {
		if strings.EqualFold(s, name) {
			return p, nil
		}
	}
	return PoolingUnspecified, fmt.Errorf("embed: unknown pooling %q, expected none, mean, cls, last or rank", s)
}
