// Package shareddata locates the project's shared reference material (the
// ../shared folder beside the repository: models, bitnet.cpp logits,
// tokenizer vectors) for tests in any package.
//
// The folder is found from the module root (the nearest directory above the
// working directory that holds go.mod), so a test reaches it the same way
// from every package depth. Under CI (the CI environment variable set) a
// missing file fails the test; elsewhere the test is skipped with the reason.
package shareddata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of ../shared/elem... relative to the module root,
// after checking that it exists. With no elem it returns the shared folder.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p, err := Lookup(elem...)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared test data missing in CI: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return p
}

// Lookup is Path without a test: it returns the path, or an error naming
// what is missing.
func Lookup(elem ...string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(append([]string{root, "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// moduleRoot walks up from the working directory to the first folder that
// holds a go.mod file.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("shareddata: no go.mod above the working directory")
		}
		dir = parent
	}
}
