package layering

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// maxFuncLines is the longest a function may be, counted from its func
// keyword to its closing brace (tests included). A function longer than a
// screen or two hides its steps; split it into named ones.
const maxFuncLines = 100

// longFuncExempt lists the files whose long functions are accepted, each
// with the reason.
var longFuncExempt = map[string]string{
	"chat/jinja_eval.go": "the Jinja evaluator: one switch over the node kinds and one over the filters read best whole",
}

// longFuncDebt lists the functions that were already longer than
// maxFuncLines when the check came in (issue 13), with their length then.
// They may only shrink; once one is split its entry must go, and the test
// says so. The list is the work left, not an exemption.
var longFuncDebt = map[string]int{
	"convert/errors_test.go TestBadInput": 107,
	"convert/plan.go makePlan":            146,
	"convert/verify.go verifyTensor":      132,
	"gguf/getters_test.go TestGetters":    101,
	"internal/synth/synth.go Write":       114,
	"model/config.go NewConfig":           190,
}

// TestFunctionLength fails on any function over maxFuncLines lines outside
// generated code (a "Code generated … DO NOT EDIT." header) and the files
// in longFuncExempt.
func TestFunctionLength(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	seen := map[string]bool{}
	err := walkGoFiles(root, func(path string) error {
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if _, ok := longFuncExempt[rel]; ok {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		checked++
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			key := rel + " " + fd.Name.Name
			debt, listed := longFuncDebt[key]
			seen[key] = true
			switch {
			case listed && lines > debt:
				t.Errorf("%s: func %s grew to %d lines (it was %d; at most %d)", fset.Position(fd.Pos()), fd.Name.Name, lines, debt, maxFuncLines)
			case listed && lines <= maxFuncLines:
				t.Errorf("%s: func %s is %d lines now: remove it from longFuncDebt", fset.Position(fd.Pos()), fd.Name.Name, lines)
			case !listed && lines > maxFuncLines:
				t.Errorf("%s: func %s is %d lines (at most %d)", fset.Position(fd.Pos()), fd.Name.Name, lines, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range longFuncDebt {
		if !seen[key] {
			t.Errorf("longFuncDebt names %s, which no longer exists: remove the entry", key)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked: is the walk rooted at the module?", checked)
	}
}
