package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/validate"
)

func init() {
	register(command{"validate", "check a model file thoroughly: metadata, tensors, values, tokenizer, a forward pass", cmdValidate})
}

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "[flags] [MODEL]", "Check a GGUF model (the embedded model when MODEL is absent) and list every finding:\n"+
		"metadata complete and consistent with the tensors, tensor set and types, I2_S codes and scales,\n"+
		"NaN/Inf in float tensors, tokenizer, the memory needed at --ctx, and a one-token forward pass.\n"+
		"Exit code: 0 when nothing failed (warnings allowed), 1 otherwise.", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	ctx := fs.Int("ctx", 0, "context length for the memory estimate; 0 = the model's training context")
	kvType := fs.String("kv-type", "f16", "KV-cache type for the memory estimate: f16 or q8")
	head := fs.String("head", "f16", "head for the memory estimate: f16 or q8")
	threads := fs.Int("threads", 1, "worker threads for the forward pass")
	noForward := fs.Bool("no-forward", false, "skip the one-token forward pass")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("expected at most one MODEL, got %d", len(pos))
	}
	if *ctx < 0 {
		return usagef("--ctx %d: want 0 or more", *ctx)
	}
	if *kvType != "f16" && *kvType != "q8" {
		return usagef("--kv-type %q: want f16 or q8", *kvType)
	}
	if *head != "f16" && *head != "q8" {
		return usagef("--head %q: want f16 or q8", *head)
	}
	if *threads < 1 {
		return usagef("--threads %d: want at least 1", *threads)
	}
	opt := validate.Options{Context: *ctx, KVType: *kvType, Head: *head, Threads: *threads, SkipForward: *noForward}
	var r *validate.Report
	if len(pos) == 0 {
		r = validate.Bytes(defaultmodel.Bytes(), defaultmodel.Name, opt)
	} else {
		if _, err := os.Stat(pos[0]); err != nil {
			return fmt.Errorf("model file: %w", err)
		}
		r = validate.Path(pos[0], opt)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s\n", r.Subject)
		printFindings(stdout, r.Findings)
		fmt.Fprintf(stdout, "\n%d passed, %d warnings, %d failed\n", r.Count(validate.Pass), r.Count(validate.Warn), r.Count(validate.Fail))
	}
	if n := r.Count(validate.Fail); n > 0 {
		return fmt.Errorf("%s: %d problem(s) found", r.Subject, n)
	}
	return nil
}
