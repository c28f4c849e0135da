package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a number of bytes. In files, variables and flags it is an
// integer ("1048576") or a number with a unit: B, kB/KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T alone
// mean the same), case-insensitive, e.g. "512MiB", "1.5GB", "64k".
type ByteSize int64

var sizeUnits = []struct {
	name string
	mul  float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
}

// ParseByteSize parses s as described on ByteSize. Negative sizes and
// sizes above 2⁶³−1 bytes are errors.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	lower := strings.ToLower(t)
	mul := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(lower, u.name) {
			mul = u.mul
			t = strings.TrimSpace(t[:len(t)-len(u.name)])
			break
		}
	}
	if t == "" {
		return 0, fmt.Errorf("%q is not a size (want bytes, or a number with a unit such as 512MiB or 2GB)", s)
	}
	if mul == 1 && !strings.ContainsAny(t, ".eE") {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a size (want bytes, or a number with a unit such as 512MiB or 2GB)", s)
		}
		if n < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return ByteSize(n), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a size (want bytes, or a number with a unit such as 512MiB or 2GB)", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	v := math.Round(f * mul)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(v), nil
}

// String formats b with the largest binary unit that divides it exactly
// ("1MiB", "1536KiB"), or as plain bytes; ParseByteSize reads it back.
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		mul  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.mul == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.mul, u.name)
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// HumanBytes formats n bytes for people: "1.18 GiB", "640 KiB", "17 B".
func HumanBytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
		if math.Abs(f) < 1024 || u == "TiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.2f %s", f, u)
		}
		f /= 1024
	}
	return ""
}

// KVBudget is the memory the KV cache may use: "auto" (the zero value: the
// engine sizes the pool for max_seqs/4 full contexts), a fixed number of
// bytes, or a percentage of the machine's physical RAM. At most one of Bytes
// and Percent is non-zero in a valid budget.
type KVBudget struct {
	Bytes   ByteSize // fixed budget, or 0
	Percent float64  // share of physical RAM in (0, 100], or 0
}

// IsAuto reports whether the budget is "auto": the engine sizes it.
func (k KVBudget) IsAuto() bool { return k.Bytes == 0 && k.Percent == 0 }

// ParseKVBudget parses "auto", "50%" (a share of RAM) or a ByteSize ("2GiB").
func ParseKVBudget(s string) (KVBudget, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "auto") {
		return KVBudget{}, nil
	}
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > 100 {
			return KVBudget{}, fmt.Errorf("%q: a percentage of RAM must lie in (0, 100]", s)
		}
		return KVBudget{Percent: f}, nil
	}
	b, err := ParseByteSize(t)
	if err != nil {
		return KVBudget{}, fmt.Errorf("%v; or give a share of RAM such as 50%%, or auto", err)
	}
	if b <= 0 {
		return KVBudget{}, fmt.Errorf("%q: the budget must be more than 0 bytes", s)
	}
	return KVBudget{Bytes: b}, nil
}

// String formats the budget as ParseKVBudget reads it.
func (k KVBudget) String() string {
	switch {
	case k.IsAuto():
		return "auto"
	case k.Percent != 0:
		return strconv.FormatFloat(k.Percent, 'f', -1, 64) + "%"
	}
	return k.Bytes.String()
}

// Resolve returns the budget in bytes on a machine with totalRAM bytes of
// physical memory (ignored for a fixed budget; 0 when unknown gives 0 for a
// percentage). "auto" resolves to 0, which engine.Config reads as its own
// sizing.
func (k KVBudget) Resolve(totalRAM uint64) int64 {
	if k.Percent != 0 {
		return int64(float64(totalRAM) * k.Percent / 100)
	}
	return int64(k.Bytes)
}
