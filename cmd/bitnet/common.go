package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// openFile opens path, or the embedded default model when path is "".
func openFile(path string) (*gguf.File, error) { return openModelFile(path, true) }

// openModelFile opens path mapped (mmap) or read into memory
// (gguf.ReadFile), or the embedded default model when path is "".
func openModelFile(path string, mmap bool) (*gguf.File, error) {
	if path == "" {
		return defaultmodel.Open()
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	if mmap {
		return gguf.Open(path)
	}
	return gguf.ReadFile(path)
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

// defaultThreads is the number of threads when runtime.threads is 0: the
// number of CPUs Go may use.
func defaultThreads() int { return runtime.GOMAXPROCS(0) }

// loadOpts are the ways of loading a model the commands share.
type loadOpts struct {
	Threads int
	HeadQ8  bool // model.head = q8
	Mmap    bool // map the file; false reads it into memory (gguf.ReadFile)
}

// modelKeys are the configuration keys of every command that loads a model.
var modelKeys = []string{"model.path", "model.head", "runtime.threads", "runtime.kernels"}

// modelSetup is how a command loads its model, read from the configuration
// by modelConfig.
type modelSetup struct {
	path    string // "" = the embedded model
	head    string // "f16" or "q8"
	kernels string // kernels.Select name
	opts    loadOpts
}

// modelConfig maps the model and runtime keys (and --mmap) to a modelSetup.
func modelConfig(c *config.Config, mmap bool) modelSetup {
	threads := c.Runtime.Threads
	if threads == 0 {
		threads = defaultThreads()
	}
	return modelSetup{path: c.Model.Path, head: c.Model.Head, kernels: c.Runtime.Kernels,
		opts: loadOpts{Threads: threads, HeadQ8: c.Model.Head == "q8", Mmap: mmap}}
}

// load selects the kernel set and loads the model (path overrides m.path
// when not empty) and, when withTokenizer, its tokenizer.
func (m modelSetup) load(path string, withTokenizer bool) (*loaded, error) {
	if err := kernels.Select(m.kernels); err != nil {
		return nil, usagef("runtime.kernels (--kernels): %v", err)
	}
	if path == "" {
		path = m.path
	}
	slog.Debug("kernels", "active", kernels.Active())
	return loadModelOpts(path, m.opts, withTokenizer)
}

// loadModelOpts opens and binds a model as o says and, when withTokenizer,
// its tokenizer.
func loadModelOpts(path string, o loadOpts, withTokenizer bool) (*loaded, error) {
	f, err := openModelFile(path, o.Mmap)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(f, model.Options{Threads: o.Threads, HeadQ8: o.HeadQ8})
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
