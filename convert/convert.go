package convert

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/safetensors"
)

// Options control Convert.
type Options struct {
	Type   gguf.Type // projection weight type: TypeI2_S, TypeTQ2_0, TypeTQ1_0, TypeF16 or TypeF32 (0; see ParseType)
	Name   string    // general.name; the model directory's name when empty
	Pre    string    // tokenizer.ggml.pre override; detected from tokenizer.json when empty
	Verify bool      // reload the written file and compare every tensor with the source before renaming it into place

	// Progress, when non-nil, is called after each chunk with the source
	// bytes processed so far and the total (projections read their source
	// twice, so the total counts them twice).
	Progress func(done, total int64)
	// Logf, when non-nil, receives warnings (unused checkpoint tensors,
	// vocabulary padding, an unrecognised pre-tokenizer).
	Logf func(format string, args ...any)

	// wrap, when non-nil, wraps the temporary file's writer (tests inject
	// write failures with it).
	wrap func(io.Writer) io.Writer
}

// Result summarises a conversion.
type Result struct {
	Arch    string // general.architecture written
	Tensors int    // tensors written
	Bytes   int64  // size of the output file
	Unused  []string
}

// Convert converts the Hugging Face model directory dir into the GGUF file
// out. Note that opt.Type 0 is gguf.TypeF32; pass gguf.TypeI2_S for the
// usual I2_S file. The output is written to a temporary file in out's
// directory and renamed onto out only on success (after verification when
// opt.Verify is set); on any error, or when ctx is cancelled, the temporary
// file is removed and out is left as it was.
func Convert(ctx context.Context, dir, out string, opt Options) (*Result, error) {
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cfg, spec, err := loadConfig(dir)
	if err != nil {
		return nil, err
	}
	if spec.gemma && cfg.SlidingWindow != nil && *cfg.SlidingWindow > 0 {
		logf("config.json sliding_window %d is not written, as in BitNet's converter and the published 270M file: every layer attends globally (spec §10.6)", *cfg.SlidingWindow)
	}
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	defer ck.Close()
	v, err := loadVocab(dir, spec, cfg, opt.Pre, logf)
	if err != nil {
		return nil, err
	}
	name := opt.Name
	if name == "" {
		name = defaultName(dir)
	}
	names := make([]string, len(ck.Tensors))
	for i, t := range ck.Tensors {
		names[i] = t.Name
	}
	var p *plan
	if spec.embedding {
		var pooling uint32
		if pooling, err = poolingType(dir); err != nil {
			return nil, err
		}
		p, err = makeEmbeddingPlan(cfg, spec, ck, names, v, opt.Type, name, pooling)
	} else {
		p, err = makePlan(cfg, spec, ck, names, v, opt.Type, name)
	}
	if err != nil {
		return nil, err
	}
	for _, n := range p.unused {
		if !ignorable(n) {
			logf("tensor %q in the checkpoint is not used by architecture %s; skipped", n, p.arch)
		}
	}

	var total, done int64
	for _, o := range p.tensors {
		total += sourceBytes(o)
	}
	prod := &producer{ctx: ctx, ck: ck}
	if opt.Progress != nil {
		prod.progress = func(n int64) { done += n; opt.Progress(done, total) }
	}
	w := gguf.NewWriter()
	for _, kv := range p.kvs {
		w.Add(kv.Key, kv.Value)
	}
	p.vocab.add(w)
	if !spec.embedding {
		// BitNet's embedding converter writes no quantization version.
		w.AddUint32("general.quantization_version", 2)
	}
	for _, o := range p.tensors {
		if err := w.AddTensorFunc(o.name, o.typ, o.dims, func(wr io.Writer) error { return prod.write(o, wr) }); err != nil {
			return nil, fmt.Errorf("convert: %w", err)
		}
	}

	size, err := writeAtomic(out, func(f *os.File) error {
		var dst io.Writer = f
		if opt.wrap != nil {
			dst = opt.wrap(dst)
		}
		bw := bufio.NewWriterSize(dst, 1<<20)
		if _, err := w.WriteTo(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if opt.Verify {
			if err := f.Sync(); err != nil {
				return err
			}
			return verify(ctx, f.Name(), out, p, ck)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Arch: p.arch, Tensors: len(p.tensors), Bytes: size, Unused: p.unused}, nil
}

// ignorable reports checkpoint tensors that are expected to be unused:
// precomputed RoPE frequencies and a tied head.
func ignorable(name string) bool {
	return filepath.Ext(name) == ".inv_freq" || name == "lm_head.weight"
}

// sourceBytes is the progress total of one output tensor.
func sourceBytes(o *outTensor) int64 {
	switch {
	case o.kind == kindGenerated:
		return 0
	case o.packed:
		return o.src.Size + o.scale.Size
	case o.kind == kindTernary:
		return 2 * o.src.Size
	}
	return o.src.Size
}

// writeAtomic creates a temporary file beside path, lets fn fill it, syncs
// it and renames it onto path. On any error the temporary file is removed
// and path is left untouched. It returns the file's size.
func writeAtomic(path string, fn func(f *os.File) error) (size int64, err error) {
	perm := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fn(tmp); err != nil {
		return 0, err
	}
	if err = tmp.Chmod(perm); err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("convert: %w", err)
	}
	return st.Size(), nil
}
