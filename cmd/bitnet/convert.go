package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bitnet-go/bitnet/convert"
)

func init() {
	register(command{"convert", "convert a Hugging Face BitNet checkpoint to GGUF", cmdConvert})
}

func cmdConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "[flags] MODEL_DIR",
		"Convert a Hugging Face checkpoint directory (config.json, *.safetensors,\n"+
			"tokenizer.json or tokenizer.model, tokenizer_config.json) to GGUF, one tensor\n"+
			"at a time. Supported: BitNetForCausalLM (bf16 or 2-bit packed), BitnetForCausalLM\n"+
			"(1bitLLM) and ternary LlamaForCausalLM. The output appears only when complete.", stderr)
	typ := fs.String("type", "i2_s", "projection weight `type`: i2_s, tq2_0, tq1_0, f16 or f32")
	out := fs.String("o", "", "output `file` (default MODEL_DIR/ggml-model-TYPE.gguf)")
	name := fs.String("name", "", "general.name (default: the model directory's name)")
	pre := fs.String("pre", "", "override tokenizer.ggml.pre (e.g. llama-bpe, falcon3, default)")
	verify := fs.Bool("verify", false, "reload the written file and compare every tensor with the source")
	quiet := fs.Bool("q", false, "no progress bar")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one MODEL_DIR, got %d arguments", len(pos))
	}
	t, err := convert.ParseType(*typ)
	if err != nil {
		return usagef("%v", err)
	}
	dir := pos[0]
	if *out == "" {
		*out = filepath.Join(dir, "ggml-model-"+strings.ToLower(t.String())+".gguf")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := convert.Options{Type: t, Name: *name, Pre: *pre, Verify: *verify,
		Logf: func(format string, a ...any) { fmt.Fprintf(stderr, "warning: "+format+"\n", a...) }}
	var bar *progressLine
	if !*quiet && isTerminal(stderr) {
		bar = &progressLine{w: stderr, label: filepath.Base(*out)}
		opt.Progress = bar.update
	}
	start := time.Now()
	res, err := convert.Convert(ctx, dir, *out, opt)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; %s was not written", *out)
		}
		return err
	}
	verified := ""
	if *verify {
		verified = ", verified"
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d tensors, %s projections, %d bytes in %.1fs%s\n",
		*out, res.Arch, res.Tensors, t, res.Bytes, time.Since(start).Seconds(), verified)
	return nil
}

// isTerminal reports whether w is a terminal (a character device), where a
// progress line makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine redraws one status line with a bar, at most every 100 ms.
type progressLine struct {
	w     io.Writer
	label string
	last  time.Time
	shown bool
}

func (p *progressLine) update(done, total int64) {
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || done == total {
		p.last = now
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %d/%d MB", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac, done>>20, total>>20)
		p.shown = true
	}
}

func (p *progressLine) finish() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}
