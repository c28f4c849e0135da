// Package vulndb builds a Go vulnerability database in the v1 layout that
// `govulncheck -db file://DIR` reads, from the OSV reports that the
// golang.org/x/vulndb module ships under data/osv/GO-YYYY-NNNN.json.
//
// The layout (go.dev/security/vuln/database#api; golang.org/x/vuln's
// internal/client reads DIR/<endpoint>.json for a file:// source):
//
//	DIR/index/db.json          {"modified": T}: the newest entry's modified time
//	DIR/index/modules.json     [{"path": M, "vulns": [{"id", "modified", "fixed"}]}],
//	                           sorted by path, each vulns list by id
//	DIR/index/vulns.json       [{"id", "modified", "aliases"}], sorted by id
//	DIR/ID/GO-YYYY-NNNN.json   the OSV entry itself
//
// "fixed" is the latest fixed version of the module's SEMVER ranges without
// the "v" prefix, or empty when a later "introduced" event re-opens it (the
// rule of golang.org/x/vuln's internal/semver.NonSupersededFix): govulncheck
// fetches an entry only when the required version is below it.
//
// The module zip carries no git history, and its OSV files have zero
// "modified" times (the vulndb server fills them from commit dates). Load
// therefore gives every entry with a zero modified time the snapshot time, the
// commit time of the module version: an upper bound of the true time.
package vulndb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"time"

	"golang.org/x/mod/semver"
)

// MaxEntrySize is the largest OSV file Load accepts, in bytes. The largest
// report of 2026-11 is 32 KB; the bound only keeps a corrupt source from
// making Load read an arbitrarily large file.
const MaxEntrySize = 4 << 20

// idPattern is the form of a Go vulnerability database ID.
var idPattern = regexp.MustCompile(`^GO-[0-9]{4}-[0-9]{4,}$`)

// Event is one event of an OSV range: exactly one of Introduced and Fixed is
// set, to a semantic version without the "v" prefix ("0" for Introduced means
// every version).
type Event struct {
	Introduced string `json:"introduced,omitempty"`
	Fixed      string `json:"fixed,omitempty"`
}

// Range is an OSV range. The Go database uses only Type "SEMVER".
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Affected names one module of an OSV entry and its affected versions.
type Affected struct {
	Module string  // module path ("stdlib" and "toolchain" for Go itself)
	Ranges []Range // SEMVER ranges
}

// Entry is one OSV report: the fields the index needs, and the whole report
// as read (with "modified" filled in) to be written back unchanged.
type Entry struct {
	ID       string
	Modified time.Time
	Aliases  []string
	Affected []Affected
	raw      []byte
}

// DB is a loaded database: its entries sorted by ID, and the newest
// modified time among them.
type DB struct {
	Modified time.Time
	Entries  []Entry
}

// osvEntry is the part of an OSV report that Load reads.
type osvEntry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []Range `json:"ranges"`
	} `json:"affected"`
}

// Load reads every *.json file at the root of fsys as an OSV report and
// returns them as a DB. Each file must be named after its entry's ID
// (GO-YYYY-NNNN.json). Entries whose modified time is zero get snapshot,
// which must not be zero. Every malformed file is reported, by name, in the
// returned error.
func Load(fsys fs.FS, snapshot time.Time) (*DB, error) {
	if snapshot.IsZero() {
		return nil, errors.New("vulndb: zero snapshot time")
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("vulndb: listing OSV files: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("vulndb: no OSV files (*.json) in the source directory")
	}
	db := &DB{Entries: make([]Entry, 0, len(names))}
	var errs []error
	for _, name := range names {
		e, err := loadEntry(fsys, name, snapshot.UTC())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		db.Entries = append(db.Entries, e)
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(db.Entries, func(i, j int) bool { return db.Entries[i].ID < db.Entries[j].ID })
	return db, nil
}

// loadEntry reads and checks one OSV file.
func loadEntry(fsys fs.FS, name string, snapshot time.Time) (Entry, error) {
	fail := func(format string, args ...any) (Entry, error) {
		return Entry{}, fmt.Errorf("vulndb: %s: %s", name, fmt.Sprintf(format, args...))
	}
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return fail("%v", err)
	}
	if !info.Mode().IsRegular() {
		return fail("not a regular file (mode %v)", info.Mode())
	}
	if info.Size() > MaxEntrySize {
		return fail("%d bytes, more than the %d an OSV report may have", info.Size(), MaxEntrySize)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fail("%v", err)
	}
	var o osvEntry
	if err := json.Unmarshal(data, &o); err != nil {
		return fail("not an OSV report: %v", err)
	}
	if !idPattern.MatchString(o.ID) {
		return fail("id %q is not of the form GO-YYYY-NNNN", o.ID)
	}
	if want := o.ID + ".json"; path.Base(name) != want {
		return fail("holds entry %s: the file must be named %s", o.ID, want)
	}
	e := Entry{ID: o.ID, Modified: o.Modified.UTC(), Aliases: o.Aliases}
	for i, a := range o.Affected {
		if a.Package.Ecosystem != "Go" {
			return fail("affected[%d].package.ecosystem is %q, want \"Go\"", i, a.Package.Ecosystem)
		}
		if a.Package.Name == "" {
			return fail("affected[%d].package.name is empty", i)
		}
		if err := checkRanges(a.Ranges); err != nil {
			return fail("affected[%d] (%s): %v", i, a.Package.Name, err)
		}
		e.Affected = append(e.Affected, Affected{Module: a.Package.Name, Ranges: a.Ranges})
	}
	if e.Modified.IsZero() {
		e.Modified = snapshot
	}
	if e.raw, err = withModified(data, e.Modified); err != nil {
		return fail("%v", err)
	}
	return e, nil
}

// checkRanges checks that every range is SEMVER and every event carries
// exactly one valid version.
func checkRanges(ranges []Range) error {
	for i, r := range ranges {
		if r.Type != "SEMVER" {
			return fmt.Errorf("ranges[%d].type is %q, want \"SEMVER\"", i, r.Type)
		}
		for j, ev := range r.Events {
			v := ev.Introduced + ev.Fixed
			switch {
			case (ev.Introduced == "") == (ev.Fixed == ""):
				return fmt.Errorf("ranges[%d].events[%d] must set exactly one of introduced and fixed", i, j)
			case ev.Introduced == "0":
			case !semver.IsValid("v" + v):
				return fmt.Errorf("ranges[%d].events[%d]: %q is not a semantic version", i, j, v)
			}
		}
	}
	return nil
}

// withModified returns the OSV report data with its "modified" field set to
// t, every other field kept as it was.
func withModified(data []byte, t time.Time) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	ts, err := json.Marshal(t.UTC().Format(time.RFC3339))
	if err != nil {
		return nil, err
	}
	fields["modified"] = ts
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// LatestFixed returns the latest fixed version of the SEMVER ranges, or ""
// when a range is re-opened by an "introduced" event after that version (or
// when no range has a fix). Versions are without the "v" prefix.
func LatestFixed(ranges []Range) string {
	latest := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, ev := range r.Events {
			if ev.Fixed != "" && less(latest, ev.Fixed) {
				latest = ev.Fixed
			}
		}
		for _, ev := range r.Events {
			if ev.Introduced != "" && ev.Introduced != "0" && less(latest, ev.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// less compares two versions without the "v" prefix; "" is below every
// version.
func less(a, b string) bool {
	return semver.Compare("v"+a, "v"+b) < 0
}

// ModuleVuln is one vulnerability of a module in index/modules.json.
type ModuleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

// Module is one element of index/modules.json.
type Module struct {
	Path  string       `json:"path"`
	Vulns []ModuleVuln `json:"vulns"`
}

// Modules returns the content of index/modules.json: one Module per module
// path, sorted by path, each with its vulnerabilities sorted by ID. An entry
// that names the same module in several affected blocks appears once, with
// no fixed version if any block has none and the latest one otherwise, so
// that govulncheck still fetches it for every version some block affects.
func (db *DB) Modules() []Module {
	byPath := map[string]*Module{}
	for _, e := range db.Entries {
		seen := map[string]int{} // module path → index in its Vulns
		for _, a := range e.Affected {
			m := byPath[a.Module]
			if m == nil {
				m = &Module{Path: a.Module, Vulns: []ModuleVuln{}}
				byPath[a.Module] = m
			}
			fixed := LatestFixed(a.Ranges)
			if i, ok := seen[a.Module]; ok {
				v := &m.Vulns[i]
				if v.Fixed != "" && (fixed == "" || less(v.Fixed, fixed)) {
					v.Fixed = fixed
				}
				continue
			}
			seen[a.Module] = len(m.Vulns)
			m.Vulns = append(m.Vulns, ModuleVuln{ID: e.ID, Modified: e.Modified, Fixed: fixed})
		}
	}
	mods := make([]Module, 0, len(byPath))
	for _, m := range byPath {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		mods = append(mods, *m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods
}

// Vuln is one element of index/vulns.json.
type Vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// Vulns returns the content of index/vulns.json, sorted by ID.
func (db *DB) Vulns() []Vuln {
	vs := make([]Vuln, len(db.Entries))
	for i, e := range db.Entries {
		vs[i] = Vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases}
	}
	return vs
}

// Summary is a one-line description of the database for logs.
func (db *DB) Summary() string {
	return fmt.Sprintf("%d entries, %d modules, modified %s",
		len(db.Entries), len(db.Modules()), db.Modified.UTC().Format(time.RFC3339))
}
