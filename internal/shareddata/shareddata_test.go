package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLookupFindsSharedFromAnyDepth(t *testing.T) {
	want := Path(t, "README.md")
	if filepath.Base(want) != "README.md" {
		t.Fatalf("Path(README.md) = %s", want)
	}
	// From a deeper working directory the same file is found.
	wd, _ := os.Getwd()
	t.Chdir(filepath.Join(wd, "testdata"))
	got, err := Lookup("README.md")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(want)
	b, _ := os.Stat(got)
	if !os.SameFile(a, b) {
		t.Fatalf("from testdata: %s, from the package: %s", got, want)
	}
	if _, err := Lookup("no-such-file-here"); err == nil {
		t.Fatal("Lookup of a missing file: no error")
	}
}
