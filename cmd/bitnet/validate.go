package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/validate"
)

func init() {
	register(command{"validate", "check a model file thoroughly: metadata, tensors, values, tokenizer, a forward pass", cmdValidate})
}

var validateDef = cmdDef{"validate", "[flags] [MODEL]", "Check a GGUF model (the embedded model when MODEL is absent) and list every finding:\n" +
	"metadata complete and consistent with the tensors, tensor set and types, I2_S codes and scales,\n" +
	"NaN/Inf in float tensors, tokenizer, the memory needed at --ctx, and a one-token forward pass.\n" +
	"Exit code: 0 when nothing failed (warnings allowed), 1 otherwise."}

// validateFlags are validate's flags: the configuration's and its own.
type validateFlags struct {
	conf              *config.Binding
	asJSON, noForward *bool
}

func (v *validateFlags) binding() *config.Binding { return v.conf }

func declareValidate(fs *flag.FlagSet) *validateFlags {
	return &validateFlags{
		conf:      config.Bind(fs, "validate", nil, "memory.context", "memory.kv_type", "model.head", "runtime.threads"),
		asJSON:    fs.Bool("json", false, "print JSON"),
		noForward: fs.Bool("no-forward", false, "skip the one-token forward pass"),
	}
}

func init() { registerConfigured("validate", declareValidate) }

// validateOptions maps validate's configuration to validate.Options.
func validateOptions(c *config.Config, f *validateFlags) validate.Options {
	return validate.Options{Context: c.Memory.Context, KVType: c.Memory.KVType, Head: c.Model.Head,
		Threads: modelConfig(c, false).opts.Threads, SkipForward: *f.noForward}
}

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(validateDef, declareValidate, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("expected at most one MODEL, got %d", len(pos))
	}
	opt, asJSON := validateOptions(c, f), f.asJSON
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
		if err := printJSON(stdout, r); err != nil {
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
