package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/generate"
	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/sample"
)

func init() {
	register(command{"run", "generate text from a prompt", cmdRun})
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "[flags] [PROMPT]", "Generate text from PROMPT (or from standard input when PROMPT is absent).\nThe prompt is echoed, then the continuation is streamed; speeds go to standard error.", stderr)
	mf := addModelFlags(fs, "GGUF model `file` (default: the embedded kjv-tiny model)")
	n := fs.Int("n", 128, "tokens to generate; -1 = until the context is full")
	ctxLen := fs.Int("ctx", 0, "context length in tokens (default: the model's training context)")
	temp := fs.Float64("temp", 0.8, "sampling temperature; 0 = greedy")
	topK := fs.Int("top-k", 40, "keep the k most likely tokens; 0 = off")
	topP := fs.Float64("top-p", 0.95, "nucleus sampling mass; 1 = off")
	minP := fs.Float64("min-p", 0.05, "drop tokens below min-p × the top probability; 0 = off")
	repPen := fs.Float64("repeat-penalty", 1.0, "repetition penalty; 1 = off")
	repLastN := fs.Int("repeat-last-n", 64, "tokens the penalties look back; -1 = all")
	presence := fs.Float64("presence-penalty", 0, "OpenAI-style presence penalty")
	frequency := fs.Float64("frequency-penalty", 0, "OpenAI-style frequency penalty")
	seed := fs.Int64("seed", -1, "random seed; -1 = pick one (printed with --verbose)")
	greedy := fs.Bool("greedy", false, "greedy decoding (same as --temp 0)")
	var stops stringList
	fs.Var(&stops, "stop", "stop `string` (repeatable); the output ends before it")
	ignoreEOS := fs.Bool("ignore-eos", false, "keep generating past end-of-generation tokens")
	noBOS := fs.Bool("no-bos", false, "do not add the BOS token")
	noSpecial := fs.Bool("no-special", false, "treat special-token text in the prompt as plain text")
	noEcho := fs.Bool("no-echo", false, "print only the generated text")
	device := fs.String("device", "cpu", deviceUsage+" (run defaults to cpu: the CUDA backend has not yet been run on a GPU, docs/gpu.md)")
	verbose := fs.Bool("verbose", false, "print model and sampling details to standard error")
	configFile := fs.String("config", "", "TOML configuration `file` (default: $BITNET_CONFIG); its values and BITNET_* variables apply where no flag is given")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := applyConfig(fs, *configFile, append(mf.binds(),
		configBind{"generation.max_tokens", "n", func(c *config.Config) { *n = c.Generation.MaxTokens }},
		configBind{"generation.temperature", "temp", func(c *config.Config) { *temp = c.Generation.Temperature }},
		configBind{"generation.top_k", "top-k", func(c *config.Config) { *topK = c.Generation.TopK }},
		configBind{"generation.top_p", "top-p", func(c *config.Config) { *topP = c.Generation.TopP }},
		configBind{"generation.min_p", "min-p", func(c *config.Config) { *minP = c.Generation.MinP }},
		configBind{"generation.repeat_penalty", "repeat-penalty", func(c *config.Config) { *repPen = c.Generation.RepeatPenalty }},
		configBind{"generation.seed", "seed", func(c *config.Config) { *seed = c.Generation.Seed }},
		configBind{"generation.stop", "stop", func(c *config.Config) { stops = c.Generation.Stop }},
		configBind{"memory.context", "ctx", func(c *config.Config) { *ctxLen = c.Memory.Context }},
		configBind{"runtime.device", "device", func(c *config.Config) { *device = c.Runtime.Device }},
	)...); err != nil {
		return err
	}
	var prompt string
	switch len(pos) {
	case 0:
		if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return usagef("no prompt: give it as an argument or on standard input")
		}
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return fmt.Errorf("reading the prompt from standard input: %w", err)
		}
		prompt = string(b)
	case 1:
		prompt = pos[0]
	default:
		return usagef("expected one PROMPT argument, got %d (quote the prompt)", len(pos))
	}
	if *n < -1 {
		return usagef("-n %d: want a count >= 0, or -1", *n)
	}
	if *seed < -1 {
		return usagef("--seed %d: want a value >= 0, or -1", *seed)
	}
	if *greedy {
		*temp = 0
	}
	if *seed == -1 {
		*seed = time.Now().UnixNano() & (1<<62 - 1)
	}
	params := sample.Params{
		Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP), MinP: float32(*minP),
		RepeatPenalty: float32(*repPen), RepeatLastN: *repLastN,
		PresencePenalty: float32(*presence), FrequencyPenalty: float32(*frequency),
		Seed: uint64(*seed),
	}
	if err := params.Validate(); err != nil {
		return usagef("%v", err)
	}

	l, err := mf.load("", true)
	if err != nil {
		return err
	}
	defer l.Close()
	cfg := l.model.Config
	if *ctxLen < 0 || *ctxLen > cfg.SeqLen {
		return usagef("--ctx %d: want 1..%d (the model's training context)", *ctxLen, cfg.SeqLen)
	}
	if *verbose {
		fmt.Fprintf(stderr, "model: %s\n%s\nkernels: %s, head: %s, threads: %d, seed: %d, sampling: %+v\n", l.file.Name, cfg, kernels.Active(), *mf.head, l.model.Threads(), *seed, params)
	}
	ids := l.tok.Encode(prompt, l.tok.AddBOS() && !*noBOS, !*noSpecial)
	if len(ids) == 0 {
		return usagef("the prompt is empty and no BOS token is added")
	}
	fwd, deviceName, release, err := sequenceDevice(l, *device, *mf.head, *ctxLen, stderr)
	if err != nil {
		return err
	}
	defer release()
	if *verbose {
		fmt.Fprintf(stderr, "device: %s\n", deviceName)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if !*noEcho {
		fmt.Fprint(out, prompt)
		out.Flush()
	}
	res, err := generate.GenerateOn(ctx, fwd, cfg, l.tok, ids,
		generate.Options{MaxTokens: *n, Sampling: params, Stop: stops, IgnoreEOG: *ignoreEOS},
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
	return err
}
