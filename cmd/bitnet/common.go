package main

import (
	"flag"
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

// defaultThreads is the number of threads when --threads is not given: the
// number of CPUs Go may use.
func defaultThreads() int { return runtime.GOMAXPROCS(0) }

// loadModel opens and binds a model and, when withTokenizer, its tokenizer.
func loadModel(path string, threads int, withTokenizer bool) (*loaded, error) {
	return loadModelOpts(path, loadOpts{Threads: threads}, withTokenizer)
}

// loadOpts are the ways of loading a model the commands share.
type loadOpts struct {
	Threads int
	HeadQ8  bool // --head q8
	Mmap    bool // map the file; false reads it into memory (gguf.ReadFile)
}

// modelFlags are the flags every model-running command shares.
type modelFlags struct {
	path    *string
	threads *int
	head    *string
	kernels *string
	mmap    *bool
}

// addModelFlags registers -m, --threads, --head, --kernels and --mmap.
func addModelFlags(fs *flag.FlagSet, pathHelp string) *modelFlags {
	return &modelFlags{
		path:    fs.String("m", "", pathHelp),
		threads: fs.Int("threads", defaultThreads(), "worker threads"),
		head:    fs.String("head", "f16", "output head: f16 (as stored) or q8 (quantized to int8 at load: faster decoding, see docs/performance.md)"),
		kernels: fs.String("kernels", "", "kernel `set`: generic, avx2, avx512vnni, neon or auto (default: $"+kernels.EnvVar+", else auto)"),
		mmap:    fs.Bool("mmap", false, "memory-map the model file instead of reading it into memory advised for huge pages (the default, faster on machines where 4 KiB file mappings limit bandwidth: see docs/performance.md)"),
	}
}

// check validates the flag values.
func (mf *modelFlags) check() error {
	if *mf.threads < 1 {
		return usagef("--threads %d: want at least 1", *mf.threads)
	}
	if *mf.head != "f16" && *mf.head != "q8" {
		return usagef("--head %q: want f16 or q8", *mf.head)
	}
	if *mf.kernels != "" {
		if err := kernels.Select(*mf.kernels); err != nil {
			return usagef("--kernels: %v", err)
		}
	}
	return nil
}

// load checks the flags, selects the kernels and loads the model (path
// overrides -m when not empty).
func (mf *modelFlags) load(path string, withTokenizer bool) (*loaded, error) {
	if err := mf.check(); err != nil {
		return nil, err
	}
	if path == "" {
		path = *mf.path
	}
	slog.Debug("kernels", "active", kernels.Active())
	return loadModelOpts(path, loadOpts{Threads: *mf.threads, HeadQ8: *mf.head == "q8", Mmap: *mf.mmap}, withTokenizer)
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

// configBind applies one configuration key to a command's flag variable.
type configBind struct {
	key, flag string
	set       func(c *config.Config)
}

// applyConfig loads the configuration file (file, else $BITNET_CONFIG) and
// the BITNET_* variables and applies each bound key that one of them sets
// to its flag variable, unless the flag was given on the command line:
// flags > environment > file > the flags' defaults. Keys a command does not
// bind are still validated.
func applyConfig(fs *flag.FlagSet, file string, binds ...configBind) error {
	cfg, prov, err := config.Load(file, os.Environ(), nil)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, b := range binds {
		if !set[b.flag] && prov.Source(b.key).Kind != config.FromDefault {
			b.set(cfg)
		}
	}
	return nil
}

// modelBinds binds the keys of the shared model flags.
func (mf *modelFlags) binds() []configBind {
	return []configBind{
		{"model.path", "m", func(c *config.Config) { *mf.path = c.Model.Path }},
		{"model.head", "head", func(c *config.Config) { *mf.head = c.Model.Head }},
		{"runtime.threads", "threads", func(c *config.Config) { *mf.threads = c.Runtime.Threads }},
		{"runtime.kernels", "kernels", func(c *config.Config) { *mf.kernels = c.Runtime.Kernels }},
	}
}
