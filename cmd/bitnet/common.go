package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// openFile opens path, or the embedded default model when path is "".
func openFile(path string) (*gguf.File, error) {
	if path == "" {
		return defaultmodel.Open()
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	return gguf.Open(path)
}

// loaded is an open model with its tokenizer.
type loaded struct {
	file  *gguf.File
	model *model.Model
	tok   *tokenizer.Tokenizer
}

func (l *loaded) Close() {
	l.model.Close()
	l.file.Close()
}

// defaultThreads is the number of threads when --threads is not given: the
// number of CPUs Go may use.
func defaultThreads() int { return runtime.GOMAXPROCS(0) }

// loadModel opens and binds a model and, when withTokenizer, its tokenizer.
func loadModel(path string, threads int, withTokenizer bool) (*loaded, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(f, model.Options{Threads: threads})
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &loaded{file: f, model: m}
	if withTokenizer {
		if l.tok, err = tokenizer.FromGGUF(f, tokenizer.Options{}); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}
