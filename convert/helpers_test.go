package convert

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns ../../shared/<elem...>; tests that need it fail under CI
// and skip elsewhere when it is missing.
func sharedDir(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return p
}
