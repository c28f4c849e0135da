package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/generate"
	"github.com/bitnet-go/bitnet/kernels"
)

func init() {
	register(command{"run", "generate text from a prompt", cmdRun})
}

var runDef = cmdDef{"run", "[flags] [PROMPT]", "Generate text from PROMPT (or from standard input when PROMPT is absent).\nThe prompt is echoed, then the continuation is streamed; speeds go to standard error."}

// runFlags are run's flags: the configuration's and its own.
type runFlags struct {
	modelCmd
	sampling                            samplingFlags
	ignoreEOS, noBOS, noSpecial, noEcho *bool
	verbose                             *bool
}

func declareRun(fs *flag.FlagSet) *runFlags {
	return &runFlags{
		modelCmd:  bindModel(fs, "run", nil, append([]string{"runtime.device"}, generationKeys...)...),
		sampling:  declareSampling(fs),
		ignoreEOS: fs.Bool("ignore-eos", false, "keep generating past end-of-generation tokens"),
		noBOS:     fs.Bool("no-bos", false, "do not add the BOS token"),
		noSpecial: fs.Bool("no-special", false, "treat special-token text in the prompt as plain text"),
		noEcho:    fs.Bool("no-echo", false, "print only the generated text"),
		verbose:   fs.Bool("verbose", false, "print model and sampling details to standard error"),
	}
}

func init() { registerConfigured("run", declareRun) }

// runSetup is what run generates with, mapped from the configuration by
// runConfigs.
type runSetup struct {
	model  modelSetup
	device string // runtime.device
	gen    genSetup
}

func (s runSetup) modelSetup() modelSetup { return s.model }

func runConfigs(c *config.Config, f *runFlags) (runSetup, error) {
	g, err := genConfig(c, f.sampling)
	return runSetup{model: f.model(c), device: c.Runtime.Device, gen: g}, err
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(runDef, declareRun, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	prompt, err := readPrompt(pos)
	if err != nil {
		return err
	}
	s, err := runConfigs(c, f)
	return withModel(s, err, true, func(l *loaded, s runSetup) error { return runPrompt(l, s, f, prompt, stdout, stderr) })
}

// readPrompt returns the one positional argument, or standard input when
// there is none.
func readPrompt(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return readStdin("prompt", "give it as an argument")
	case 1:
		return pos[0], nil
	}
	return "", usagef("expected one PROMPT argument, got %d (quote the prompt)", len(pos))
}

// runPrompt generates the continuation of prompt with the loaded model.
func runPrompt(l *loaded, s runSetup, f *runFlags, prompt string, stdout, stderr io.Writer) error {
	cfg := l.model.Config
	if s.gen.context > cfg.SeqLen {
		return usagef("memory.context (--ctx) %d: want 0..%d (the model's training context)", s.gen.context, cfg.SeqLen)
	}
	if *f.verbose {
		fmt.Fprintf(stderr, "model: %s\n%s\nkernels: %s, head: %s, threads: %d, seed: %d, sampling: %+v\n", l.file.Name, cfg, kernels.Active(), s.model.head, l.model.Threads(), s.gen.sampling.Seed, s.gen.sampling)
	}
	ids := l.tok.Encode(prompt, l.tok.AddBOS() && !*f.noBOS, !*f.noSpecial)
	if len(ids) == 0 {
		return usagef("the prompt is empty and no BOS token is added")
	}
	fwd, deviceName, release, err := sequenceDevice(l, s.device, s.model.head, s.gen.context, stderr)
	if err != nil {
		return err
	}
	defer release()
	if *f.verbose {
		fmt.Fprintf(stderr, "device: %s\n", deviceName)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if !*f.noEcho {
		fmt.Fprint(out, prompt)
		out.Flush()
	}
	res, err := generate.GenerateOn(ctx, fwd, cfg, l.tok, ids,
		generate.Options{MaxTokens: s.gen.maxTokens, Sampling: s.gen.sampling, Stop: s.gen.stop, IgnoreEOG: *f.ignoreEOS},
		func(s string) error {
			if _, err := out.WriteString(s); err != nil {
				return err
			}
			return out.Flush()
		})
	fmt.Fprintln(out)
	out.Flush()
	if res != nil {
		fmt.Fprintf(stderr, "prompt: %d tokens, %.1f tok/s | generation: %d tokens, %.1f tok/s | finish: %s\n",
			res.PromptTokens, res.PromptTokPerSec(), res.GenTokens, res.GenTokPerSec(), res.Finish)
	}
	if errors.Is(err, context.Canceled) {
		return nil // Ctrl-C: stop quietly after printing what we have
	}
	return contextHint(err, cfg.SeqLen)
}

// contextHint adds to a context-length error the flags that fix it.
func contextHint(err error, trained int) error {
	var cle *decode.ContextLengthError
	if !errors.As(err, &cle) {
		return err
	}
	fix := "shorten the prompt or raise --ctx"
	if cle.Field == decode.FieldMaxTokens {
		fix = "lower -n, shorten the prompt or raise --ctx"
	}
	return fmt.Errorf("%w; %s (the model was trained with %d)", err, fix, trained)
}
