package vulndb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet/tools/_supply/vulndb"
	"golang.org/x/vuln/scan"
)

// pinnedDB builds the database from the pinned golang.org/x/vulndb version
// once per test binary (downloading the module through the Go module proxy
// when the module cache lacks it) and returns its folder.
var pinnedDB = sync.OnceValues(func() (string, error) {
	pin, err := vulndb.ReadPin(filepath.Join("..", "vulndb.pin"))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	src, err := vulndb.DownloadPinned(ctx, pin)
	if err != nil {
		return "", err
	}
	db, err := vulndb.Load(os.DirFS(src.OSVDir()), src.Commit)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "vulndb-test-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "db")
	return out, db.Write(out)
})

// finding is the part of a govulncheck -format json finding the tests read.
type finding struct {
	OSV   string `json:"osv"`
	Trace []struct {
		Module, Version, Package, Function string
	} `json:"trace"`
}

// govulncheck runs govulncheck in process on ./... of the module in dir
// against db and returns its findings.
func govulncheck(t *testing.T, db, dir string) []finding {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := scan.Command(ctx, "-db", "file://"+db, "-C", dir, "-format", "json", "./...")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("govulncheck on %s: %v\n%s", dir, err, stderr.String())
	}
	var findings []finding
	dec := json.NewDecoder(&stdout)
	for {
		var msg struct {
			Finding *finding `json:"finding"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("govulncheck output: %v", err)
		}
		if msg.Finding != nil {
			findings = append(findings, *msg.Finding)
		}
	}
	return findings
}

// TestGovulncheckFindsCalledVulnerability proves the database is not
// vacuous: govulncheck against it must report GO-2022-1059 (CVE-2022-32149,
// golang.org/x/text/language.ParseAcceptLanguage before v0.3.8) as called
// from testdata/oldtext's main, which requires x/text v0.3.7, and must not
// report it for testdata/fixedtext, which requires v0.3.8 (so the index's
// "fixed" versions are right as well).
func TestGovulncheckFindsCalledVulnerability(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads golang.org/x/vulndb and type-checks two modules")
	}
	db, err := pinnedDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(db)) })

	const id = "GO-2022-1059"
	called := false
	for _, f := range govulncheck(t, db, filepath.Join("..", "testdata", "oldtext")) {
		if f.OSV != id || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue
		}
		top, last := f.Trace[0], f.Trace[len(f.Trace)-1]
		if top.Module != "golang.org/x/text" || top.Version != "v0.3.7" || top.Function != "ParseAcceptLanguage" {
			t.Errorf("%s trace starts at %+v, want golang.org/x/text@v0.3.7 ParseAcceptLanguage", id, top)
		}
		if last.Package != "example.com/oldtext" || last.Function != "main" {
			t.Errorf("%s trace ends at %+v, want example.com/oldtext main", id, last)
		}
		called = true
	}
	if !called {
		t.Errorf("govulncheck did not report %s as called in testdata/oldtext (x/text v0.3.7)", id)
	}

	for _, f := range govulncheck(t, db, filepath.Join("..", "testdata", "fixedtext")) {
		if f.OSV == id {
			t.Errorf("testdata/fixedtext (x/text v0.3.8): %s reported although v0.3.8 has the fix: %+v", id, f.Trace)
		}
	}
}
