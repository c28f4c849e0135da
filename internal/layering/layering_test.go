// Package layering checks the import layering of the module (style guide
// §b): gguf → quant → kernels → kvcache → model → gpu/cuda → engine →
// server → cmd, with leaf packages beside the chain. A package may import
// only packages of a lower layer. Every package must appear in the table,
// so a new package is placed deliberately.
package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/bitnet-go/bitnet/"

// layer of every package (path relative to the module root).
var layer = map[string]int{
	"gguf":                  0,
	"config":                0,
	"embed":                 0,
	"internal/workpool":     0,
	"internal/textstop":     0,
	"internal/bigmem":       0,
	"internal/loadtest":     0,
	"internal/sysinfo":      0,
	"internal/shareddata":   0,
	"internal/gguftest":     0,
	"internal/testutil":     0,
	"internal/embedref":     1,
	"safetensors":           0,
	"quant":                 1,
	"internal/defaultmodel": 1,
	"tokenizer":             1,
	"kernels":               2,
	"chat":                  2,
	"sample":                3,
	"kvcache":               3,
	"internal/synth":        3,
	"model":                 4,
	"decode":                4,
	"convert":               5,
	"crossval":              5,
	"internal/testmodel":    5,
	"gpu/cuda":              5,
	"generate":              6,
	"engine":                6,
	"validate":              6,
	"server":                7,
	".":                     8, // the module root: package bitnet, the library API
	"capi":                  9,
	"cmd/bitnet":            9,
	"tools/benchplot":       9,
}

// walkGoFiles calls fn for every .go file of the module under root,
// skipping folders whose names start with "." or "_", testdata folders and
// folders that are modules of their own (a go.mod of their own: deploy/,
// tools/), whose packages the main module never imports.
func walkGoFiles(root string, fn func(path string) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		return fn(path)
	})
}

func TestLayering(t *testing.T) {
	root := filepath.Join("..", "..")
	imports := map[string]map[string]bool{}
	err := walkGoFiles(root, func(path string) error {
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if strings.HasPrefix(p, module) {
				imports[pkg][strings.TrimPrefix(p, module)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		lp, ok := layer[p]
		if !ok {
			t.Errorf("package %s is not in the layering table of %s", p, filepath.Join("internal", "layering", "layering_test.go"))
			continue
		}
		for imp := range imports[p] {
			li, ok := layer[imp]
			if !ok {
				continue // reported as a package of its own
			}
			if li >= lp && imp != p {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must go down the layers", p, lp, imp, li)
			}
		}
	}
	t.Logf("%d packages checked", len(pkgs))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
}
