package vulndb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var snapshot = time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)

// osvFile returns a minimal OSV report for module path mod with the given
// events, in the form of the files under golang.org/x/vulndb's data/osv.
func osvFile(id, modified, mod string, events ...string) string {
	var evs []string
	for _, e := range events {
		k, v, _ := strings.Cut(e, "=")
		evs = append(evs, `{"`+k+`":"`+v+`"}`)
	}
	return `{"schema_version":"1.3.1","id":"` + id + `","modified":"` + modified +
		`","published":"0001-01-01T00:00:00Z","aliases":["CVE-2099-0001"],"summary":"s <b>","details":"d",` +
		`"affected":[{"package":{"name":"` + mod + `","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[` +
		strings.Join(evs, ",") + `]}],"ecosystem_specific":{"imports":[{"path":"` + mod + `","symbols":["F"]}]}}]}`
}

const zero = "0001-01-01T00:00:00Z"

func TestLatestFixed(t *testing.T) {
	ev := func(kv ...string) []Range {
		r := Range{Type: "SEMVER"}
		for _, e := range kv {
			k, v, _ := strings.Cut(e, "=")
			if k == "i" {
				r.Events = append(r.Events, Event{Introduced: v})
			} else {
				r.Events = append(r.Events, Event{Fixed: v})
			}
		}
		return []Range{r}
	}
	tests := []struct {
		name   string
		ranges []Range
		want   string
	}{
		{"one fix", ev("i=0", "f=1.2.0"), "1.2.0"},
		{"no fix", ev("i=0"), ""},
		{"two fixes", ev("i=0", "f=1.0.0", "i=1.1.0", "f=1.2.3"), "1.2.3"},
		{"reopened after the fix", ev("i=0", "f=1.0.0", "i=1.1.0"), ""},
		{"numeric not lexical order", ev("i=0", "f=0.10.0", "i=0.9.0", "f=0.9.5"), "0.10.0"},
		{"prerelease below release", ev("i=0", "f=1.0.0-rc.1", "f=1.0.0"), "1.0.0"},
		{"no ranges", nil, ""},
		{"non-SEMVER range ignored", []Range{{Type: "GIT", Events: []Event{{Fixed: "9.9.9"}}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LatestFixed(tt.ranges); got != tt.want {
				t.Errorf("LatestFixed = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	good := osvFile("GO-2099-0001", zero, "example.com/m", "introduced=0", "fixed=1.0.0")
	tests := []struct {
		name, file, data string
		want             []string // substrings of the error
	}{
		{"not JSON", "GO-2099-0001.json", "{", []string{"GO-2099-0001.json", "not an OSV report"}},
		{"file named after another id", "GO-2099-0002.json", good, []string{"GO-2099-0002.json", "must be named GO-2099-0001.json"}},
		{"bad id", "x.json", strings.Replace(good, "GO-2099-0001", "CVE-1", 1), []string{"x.json", `id "CVE-1"`}},
		{"other ecosystem", "GO-2099-0001.json", strings.Replace(good, `"ecosystem":"Go"`, `"ecosystem":"npm"`, 1),
			[]string{"affected[0].package.ecosystem", `"npm"`}},
		{"empty module", "GO-2099-0001.json", strings.Replace(good, `"name":"example.com/m"`, `"name":""`, 1),
			[]string{"affected[0].package.name is empty"}},
		{"GIT range", "GO-2099-0001.json", strings.Replace(good, "SEMVER", "GIT", 1), []string{"ranges[0].type", `"GIT"`}},
		{"both in one event", "GO-2099-0001.json", strings.Replace(good, `{"fixed":"1.0.0"}`, `{"introduced":"0.1.0","fixed":"1.0.0"}`, 1),
			[]string{"events[1] must set exactly one"}},
		{"bad version", "GO-2099-0001.json", strings.Replace(good, `"1.0.0"`, `"v1.0"`, 1), []string{"events[1]", `"v1.0"`, "not a semantic version"}},
		{"too large", "GO-2099-0001.json", good + strings.Repeat(" ", MaxEntrySize), []string{"bytes, more than the"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{tt.file: {Data: []byte(tt.data)}}
			_, err := Load(fsys, snapshot)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("empty folder", func(t *testing.T) {
		if _, err := Load(fstest.MapFS{"README": {}}, snapshot); err == nil || !strings.Contains(err.Error(), "no OSV files") {
			t.Errorf("err = %v, want no OSV files", err)
		}
	})
	t.Run("zero snapshot", func(t *testing.T) {
		if _, err := Load(fstest.MapFS{"GO-2099-0001.json": {Data: []byte(good)}}, time.Time{}); err == nil {
			t.Error("Load with a zero snapshot time succeeded")
		}
	})
	t.Run("every bad file named", func(t *testing.T) {
		fsys := fstest.MapFS{"GO-2099-0001.json": {Data: []byte("[")}, "GO-2099-0002.json": {Data: []byte("nul")}}
		_, err := Load(fsys, snapshot)
		for _, name := range []string{"GO-2099-0001.json", "GO-2099-0002.json"} {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("err = %v, want it to name %s", err, name)
			}
		}
	})
}

// readJSON decodes the JSON file at path into a generic value, so that
// tests compare what a reader sees and not how Go types marshal.
func readJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad want JSON %s: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestWriteLayout(t *testing.T) {
	fsys := fstest.MapFS{
		"GO-2099-0002.json": {Data: []byte(osvFile("GO-2099-0002", zero, "example.com/b", "introduced=0"))},
		"GO-2099-0001.json": {Data: []byte(osvFile("GO-2099-0001", "2026-01-02T03:04:05Z", "example.com/a",
			"introduced=0", "fixed=1.0.0", "introduced=1.1.0", "fixed=1.10.0"))},
	}
	db, err := Load(fsys, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	if !db.Modified.Equal(snapshot) {
		t.Errorf("Modified = %v, want the snapshot %v (newer than the explicit 2026-01-02)", db.Modified, snapshot)
	}
	dir := filepath.Join(t.TempDir(), "db")
	if err := os.MkdirAll(filepath.Join(dir, "stale"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale")); !os.IsNotExist(err) {
		t.Errorf("the previous content of the folder survived Write: %v", err)
	}
	want := map[string]string{
		"index/db.json": `{"modified":"2026-11-05T23:49:57Z"}`,
		"index/modules.json": `[{"path":"example.com/a","vulns":[{"id":"GO-2099-0001","modified":"2026-01-02T03:04:05Z","fixed":"1.10.0"}]},
			{"path":"example.com/b","vulns":[{"id":"GO-2099-0002","modified":"2026-11-05T23:49:57Z"}]}]`,
		"index/vulns.json": `[{"id":"GO-2099-0001","modified":"2026-01-02T03:04:05Z","aliases":["CVE-2099-0001"]},
			{"id":"GO-2099-0002","modified":"2026-11-05T23:49:57Z","aliases":["CVE-2099-0001"]}]`,
	}
	for name, w := range want {
		got, _ := json.Marshal(readJSON(t, filepath.Join(dir, name)))
		if string(got) != canonical(t, w) {
			t.Errorf("%s =\n%s\nwant\n%s", name, got, canonical(t, w))
		}
	}
	entry := readJSON(t, filepath.Join(dir, "ID", "GO-2099-0002.json")).(map[string]any)
	if entry["modified"] != "2026-11-05T23:49:57Z" {
		t.Errorf("ID/GO-2099-0002.json modified = %v, want the snapshot time", entry["modified"])
	}
	if entry["summary"] != "s <b>" || entry["schema_version"] != "1.3.1" || entry["ecosystem_specific"] != nil {
		// ecosystem_specific lies inside affected; the top level must not grow fields.
		t.Errorf("ID/GO-2099-0002.json lost or changed fields: %v", entry)
	}
	aff := entry["affected"].([]any)[0].(map[string]any)
	if _, ok := aff["ecosystem_specific"]; !ok {
		t.Errorf("ID/GO-2099-0002.json lost affected[0].ecosystem_specific: %v", aff)
	}
}

func TestModulesMergesRepeatedModule(t *testing.T) {
	two := func(fixedA, fixedB string) *DB {
		r := func(fixed string) []Range {
			evs := []Event{{Introduced: "0"}}
			if fixed != "" {
				evs = append(evs, Event{Fixed: fixed})
			}
			return []Range{{Type: "SEMVER", Events: evs}}
		}
		return &DB{Entries: []Entry{{ID: "GO-2099-0001", Affected: []Affected{
			{Module: "example.com/m", Ranges: r(fixedA)}, {Module: "example.com/m", Ranges: r(fixedB)},
		}}}}
	}
	tests := []struct{ a, b, want string }{
		{"1.0.0", "1.2.0", "1.2.0"},
		{"1.2.0", "1.0.0", "1.2.0"},
		{"1.0.0", "", ""},
		{"", "1.0.0", ""},
	}
	for _, tt := range tests {
		mods := two(tt.a, tt.b).Modules()
		if len(mods) != 1 || len(mods[0].Vulns) != 1 {
			t.Fatalf("fixed %q and %q: Modules = %+v, want one module with one vuln", tt.a, tt.b, mods)
		}
		if got := mods[0].Vulns[0].Fixed; got != tt.want {
			t.Errorf("fixed %q and %q: merged fixed = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParsePin(t *testing.T) {
	const line = "golang.org/x/vulndb v0.0.0-20261105234957-e22db6528018 h1:mfngRv0Yoh0VApsXKEN82CjD99kl7mtparN3bs3JnqI="
	p, err := ParsePin([]byte("# comment\n\n" + line + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != line {
		t.Errorf("round trip = %q, want %q", p.String(), line)
	}
	bad := []struct{ data, want string }{
		{"", "0 lines"},
		{line + "\n" + line, "2 lines"},
		{"golang.org/x/vulndb v1.0.0", "2 fields"},
		{"golang.org/x/vuln v1.0.0 h1:x", "names module golang.org/x/vuln"},
		{"golang.org/x/vulndb 1.0 h1:x", "1.0"},
		{"golang.org/x/vulndb v1.0.0 sha256:x", "does not start with h1:"},
	}
	for _, b := range bad {
		if _, err := ParsePin([]byte(b.data)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParsePin(%q) err = %v, want it to contain %q", b.data, err, b.want)
		}
	}
	file := filepath.Join(t.TempDir(), "vulndb.pin")
	if err := WritePin(file, p); err != nil {
		t.Fatal(err)
	}
	if q, err := ReadPin(file); err != nil || q != p {
		t.Errorf("ReadPin after WritePin = %+v, %v; want %+v", q, err, p)
	}
}
