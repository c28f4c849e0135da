package kernels

import (
	"os"
	"testing"
)

// forEachImpl runs f under every registered kernel set the CPU supports,
// generic first, and restores the automatic choice afterwards. On the
// designated AVX-512 host (BITNET_REQUIRE_KERNELS=avx512vnni in CI) an
// unavailable implementation is a failure instead of a skip.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	names, avail := Implementations()
	required := os.Getenv("BITNET_REQUIRE_KERNELS") != ""
	defer Select("auto")
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			if !avail[i] {
				if required && name != "neon" {
					t.Fatalf("kernel set %s unavailable on the designated host", name)
				}
				t.Skipf("kernel set %s not supported here", name)
			}
			if err := Select(name); err != nil {
				t.Fatal(err)
			}
			f(t)
		})
	}
}

func TestSelect(t *testing.T) {
	defer Select("auto")
	if err := Select("generic"); err != nil || Active() != "generic" {
		t.Fatalf("Select(generic) = %v, Active = %s", err, Active())
	}
	if err := Select("nonsense"); err == nil {
		t.Fatal("Select(nonsense) succeeded")
	}
	if err := Select("auto"); err != nil {
		t.Fatal(err)
	}
	names, avail := Implementations()
	t.Logf("active %s; implementations %v %v", Active(), names, avail)
}

const guardI32 = int32(-0x5a5a5a5b)

// guarded returns a slice of n elements surrounded by guard values, and a
// check function.
func guardedI32(t *testing.T, n int) ([]int32, func()) {
	buf := make([]int32, n+16)
	for i := range buf {
		buf[i] = guardI32
	}
	out := buf[8 : 8+n : 8+n]
	return out, func() {
		t.Helper()
		for i := range 8 {
			if buf[i] != guardI32 || buf[8+n+i] != guardI32 {
				t.Fatalf("guard value overwritten")
			}
		}
	}
}
