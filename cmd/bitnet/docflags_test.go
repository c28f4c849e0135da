package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/config"
)

// otherPrograms lists flags the documents give to programs other than
// bitnet, each with the reason it is not ours.
var otherPrograms = map[string]string{
	"fmad":                  "an NVRTC compile option (docs/gpu.md)",
	"std":                   "an NVRTC compile option (docs/gpu.md)",
	"no-install-recommends": "apt-get (docs/gpu.md)",
	"read-only":             "docker run (docs/deploy.md)",
}

// bitnetFlags returns every flag of every bitnet command, read from each
// command's -h output, mapped to the commands that have it.
func bitnetFlags(t *testing.T) map[string][]string {
	t.Helper()
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9][a-z0-9-]*)`)
	out := map[string][]string{}
	var names [][]string
	for _, c := range commands() {
		names = append(names, []string{c.name})
	}
	names = append(names, []string{"config", "show"}, []string{"config", "init"})
	for _, n := range names {
		_, _, help := bitnet(t, append(n, "-h")...)
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			out[m[1]] = append(out[m[1]], strings.Join(n, " "))
		}
	}
	return out
}

// TestDocumentedFlagsExist: every --flag that README.md and docs/*.md
// mention is a flag of some bitnet command, or is listed in otherPrograms
// with the program it belongs to.
func TestDocumentedFlagsExist(t *testing.T) {
	have := bitnetFlags(t)
	if len(have["max-seqs"]) == 0 || len(have["addr"]) == 0 {
		t.Fatalf("reading the commands' flags failed: %v", have)
	}
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append(docs, "../../README.md")
	token := regexp.MustCompile("(?:^|[^\\w-])--([a-z][a-z0-9-]*[a-z0-9])")
	missing := map[string][]string{}
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range token.FindAllStringSubmatch(string(b), -1) {
			if f := m[1]; len(have[f]) == 0 && otherPrograms[f] == "" {
				missing[f] = append(missing[f], filepath.Base(d))
			}
		}
	}
	var names []string
	for f := range missing {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		t.Errorf("--%s (in %s) is no flag of any bitnet command", f, strings.Join(dedup(missing[f]), ", "))
	}
	for f, why := range otherPrograms {
		if len(have[f]) > 0 {
			t.Errorf("--%s is listed as another program's (%s) but bitnet has it (%v): drop it from the list", f, why, have[f])
		}
	}
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// TestConfigurationDocKeys: docs/configuration.md has, for every key, the
// table row its help, variable, flag and default give, and names no key
// that does not exist.
func TestConfigurationDocKeys(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, e := range config.Default().Entries(nil) {
		flag := ""
		if e.Flag != "" {
			flag = "`" + e.Flag + "`"
		}
		row := fmt.Sprintf("| `%s` | `%s` | %s | `%s` | %s |", e.Key, e.Env, flag, e.TOML, config.Help(e.Key))
		if !strings.Contains(doc, row+"\n") {
			t.Errorf("docs/configuration.md lacks the row\n%s", row)
		}
	}
	known := map[string]bool{}
	for _, k := range config.Keys() {
		known[k] = true
	}
	for _, m := range regexp.MustCompile("`((?:model|runtime|generation|server|memory|scheduler|thresholds|telemetry)\\.[a-z_]+)`").FindAllStringSubmatch(doc, -1) {
		if !known[m[1]] {
			t.Errorf("docs/configuration.md names %s, which is no key", m[1])
		}
	}
}
