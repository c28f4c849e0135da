// Package testmodel loads the embedded kjv-tiny model for the tests of the
// packages above model (engine, generate, server, loadtest …), so that each
// of them does not keep its own copy of the loading code.
package testmodel

import (
	"testing"

	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// Embedded loads the embedded model with the given number of threads and its
// tokenizer; the model is closed when the test ends.
func Embedded(t testing.TB, threads int) (*model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	f, err := defaultmodel.Open()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(f, model.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	tok, err := tokenizer.FromGGUF(f, tokenizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}
