package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
)

// SourceModule is the module whose data/osv folder holds the reports.
const SourceModule = "golang.org/x/vulndb"

// Pin is the version of SourceModule a database is built from and the
// module's go.sum hash, kept in a one-line file in go.sum's form:
//
//	golang.org/x/vulndb v0.0.0-20261105234957-e22db6528018 h1:…=
type Pin struct {
	Module  string
	Version string
	Sum     string
}

// String returns the pin file line, without a newline.
func (p Pin) String() string {
	return p.Module + " " + p.Version + " " + p.Sum
}

// ParsePin parses the content of a pin file (one line; blank lines and
// lines starting with # are ignored).
func ParsePin(data []byte) (Pin, error) {
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return Pin{}, fmt.Errorf("vulndb: pin file has %d lines, want one line \"%s VERSION h1:HASH\"", len(lines), SourceModule)
	}
	f := strings.Fields(lines[0])
	if len(f) != 3 {
		return Pin{}, fmt.Errorf("vulndb: pin line %q has %d fields, want 3 (module, version, h1: hash)", lines[0], len(f))
	}
	p := Pin{Module: f[0], Version: f[1], Sum: f[2]}
	if p.Module != SourceModule {
		return Pin{}, fmt.Errorf("vulndb: pin names module %s, want %s", p.Module, SourceModule)
	}
	if err := module.Check(p.Module, p.Version); err != nil {
		return Pin{}, fmt.Errorf("vulndb: pin: %w", err)
	}
	if !strings.HasPrefix(p.Sum, "h1:") {
		return Pin{}, fmt.Errorf("vulndb: pin hash %q does not start with h1:", p.Sum)
	}
	return p, nil
}

// ReadPin reads and parses a pin file.
func ReadPin(file string) (Pin, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Pin{}, fmt.Errorf("vulndb: %w", err)
	}
	p, err := ParsePin(data)
	if err != nil {
		return Pin{}, fmt.Errorf("%w (in %s)", err, file)
	}
	return p, nil
}

// WritePin writes p to file through a temporary file and a rename.
func WritePin(file string, p Pin) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	defer os.Remove(tmp.Name())
	content := "# The golang.org/x/vulndb version the offline vulnerability database is built from\n" +
		"# (docs/security.md). Refresh: cd tools/_supply && go run ./cmd/vulndb -refresh\n" +
		p.String() + "\n"
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("vulndb: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	return nil
}

// Source is a downloaded version of SourceModule.
type Source struct {
	Pin    Pin
	Dir    string    // the module's extracted folder in the module cache
	Commit time.Time // the version's commit time, from the proxy's .info
}

// OSVDir is the folder of the OSV reports inside the module.
func (s Source) OSVDir() string { return filepath.Join(s.Dir, "data", "osv") }

// Download fetches SourceModule at query (a version, or "latest") with
// `go mod download -json`, which checks the module against the checksum
// database, and returns where it lies. It runs outside any module so that
// no go.mod or go.sum is touched.
func Download(ctx context.Context, query string) (Source, error) {
	scratch, err := os.MkdirTemp("", "vulndb-download-")
	if err != nil {
		return Source{}, fmt.Errorf("vulndb: %w", err)
	}
	defer os.RemoveAll(scratch)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", SourceModule+"@"+query)
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var d struct {
		Version, Info, Dir, Sum, Error string
	}
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		return Source{}, fmt.Errorf("vulndb: go mod download %s@%s: %v: %s", SourceModule, query,
			errors.Join(runErr, err), strings.TrimSpace(stderr.String()))
	}
	if d.Error != "" || runErr != nil {
		return Source{}, fmt.Errorf("vulndb: go mod download %s@%s: %s", SourceModule, query,
			strings.TrimSpace(d.Error+" "+stderr.String()))
	}
	var info struct{ Time time.Time }
	data, err := os.ReadFile(d.Info)
	if err == nil {
		err = json.Unmarshal(data, &info)
	}
	if err != nil || info.Time.IsZero() {
		return Source{}, fmt.Errorf("vulndb: commit time of %s@%s from %s: %v", SourceModule, d.Version, d.Info, err)
	}
	return Source{
		Pin:    Pin{Module: SourceModule, Version: d.Version, Sum: d.Sum},
		Dir:    d.Dir,
		Commit: info.Time.UTC(),
	}, nil
}

// DownloadPinned downloads the pinned version and checks that its hash is
// the pinned one.
func DownloadPinned(ctx context.Context, p Pin) (Source, error) {
	src, err := Download(ctx, p.Version)
	if err != nil {
		return Source{}, err
	}
	if src.Pin.Sum != p.Sum {
		return Source{}, fmt.Errorf("vulndb: %s@%s has hash %s, the pin file says %s", p.Module, p.Version, src.Pin.Sum, p.Sum)
	}
	return src, nil
}
