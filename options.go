package bitnet

import (
	"fmt"
	"runtime"
)

// An Option changes how Load loads a model and sizes its engine.
type Option func(*loadConfig)

// loadConfig is what the Options set; defaultLoadConfig gives the
// defaults, check validates.
type loadConfig struct {
	threads      int    // forward-pass worker threads
	context      int    // tokens per sequence; 0 = the model's training context
	maxBatch     int    // rows per forward step; 0 = the engine's default (64)
	maxSeqs      int    // sequences generating at once
	maxQueue     int    // requests waiting for admission; 0 = the engine's default (256)
	kvBudget     int64  // KV-cache bytes; 0 = room for maxSeqs/4 full contexts
	chatTemplate string // chat template name or Jinja text; "" = the model's
	mmap         bool   // map the file instead of reading it into memory
}

// defaultMaxSeqs is the library's default for WithMaxSequences: a quarter
// of the server's 128, so that the default KV budget (maxSeqs/4 full
// contexts) stays at four contexts.
const defaultMaxSeqs = 16

func defaultLoadConfig() loadConfig {
	return loadConfig{threads: runtime.GOMAXPROCS(0), maxSeqs: defaultMaxSeqs, mmap: true}
}

func (c *loadConfig) check() error {
	checks := []struct {
		name string
		v    int64
	}{
		{"WithThreads", int64(c.threads)}, {"WithContext", int64(c.context)}, {"WithMaxBatch", int64(c.maxBatch)},
		{"WithMaxSequences", int64(c.maxSeqs)}, {"WithMaxQueue", int64(c.maxQueue)}, {"WithKVBudget", c.kvBudget},
	}
	for _, k := range checks {
		if k.v < 0 {
			return fmt.Errorf("%w: %s(%d): want >= 0", ErrInvalid, k.name, k.v)
		}
	}
	if c.threads == 0 {
		c.threads = runtime.GOMAXPROCS(0)
	}
	if c.maxSeqs == 0 {
		c.maxSeqs = defaultMaxSeqs
	}
	return nil
}

// WithThreads sets the forward pass's worker threads (default, and 0: one
// per CPU Go may use).
func WithThreads(n int) Option { return func(c *loadConfig) { c.threads = n } }

// WithContext sets the context length per sequence in tokens: the prompt
// plus the generated tokens (default, and 0: the model's training
// context, which is also the most allowed).
func WithContext(tokens int) Option { return func(c *loadConfig) { c.context = tokens } }

// WithMaxBatch sets the most token rows one forward step computes
// (default 64).
func WithMaxBatch(rows int) Option { return func(c *loadConfig) { c.maxBatch = rows } }

// WithMaxSequences sets how many requests generate at once (default 16);
// more wait for admission.
func WithMaxSequences(n int) Option { return func(c *loadConfig) { c.maxSeqs = n } }

// WithMaxQueue sets how many requests may wait for admission before
// Generate returns ErrOverloaded (default 256).
func WithMaxQueue(n int) Option { return func(c *loadConfig) { c.maxQueue = n } }

// WithKVBudget sets the KV-cache memory in bytes (default: room for
// WithMaxSequences/4 full contexts, at least 2). It must hold one full
// context.
func WithKVBudget(bytes int64) Option { return func(c *loadConfig) { c.kvBudget = bytes } }

// WithChatTemplate sets Chat's template: a built-in name (bitnet, llama3,
// chatml, falcon3, raw), "jinja" for the model's own template, or the
// text of a Jinja template (default: detected from the model).
func WithChatTemplate(name string) Option { return func(c *loadConfig) { c.chatTemplate = name } }

// WithMmap chooses between mapping the file (true, the default: pages are
// shared and loaded on demand) and reading it into memory (false).
func WithMmap(on bool) Option { return func(c *loadConfig) { c.mmap = on } }
