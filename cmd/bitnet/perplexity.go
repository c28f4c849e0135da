package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/crossval"
	"github.com/bitnet-go/bitnet/kvcache"
)

func init() {
	register(command{"perplexity", "score held-out text or token ids", cmdPerplexity})
}

var perplexityDef = cmdDef{"perplexity", "-m FILE (--tokens-file F | --text-file F) [--window 256]", "Score text in non-overlapping windows: each window starts with an empty cache and\nno BOS, and every token after its first is predicted from the ones before."}

// perplexityFlags are perplexity's flags: the configuration's and its own.
type perplexityFlags struct {
	modelCmd
	tokensFile, textFile *string
	window               *int
	asJSON               *bool
}

func declarePerplexity(fs *flag.FlagSet) *perplexityFlags {
	return &perplexityFlags{
		modelCmd:   bindModel(fs, "perplexity", nil, "memory.kv_type"),
		tokensFile: fs.String("tokens-file", "", "`file` holding a JSON array of token ids"),
		textFile:   fs.String("text-file", "", "text `file`, tokenized without BOS"),
		window:     fs.Int("window", 256, "window length in tokens"),
		asJSON:     fs.Bool("json", false, "print JSON"),
	}
}

func init() { registerConfigured("perplexity", declarePerplexity) }

// perplexitySetup is what perplexity scores with, mapped from the
// configuration by perplexityConfigs.
type perplexitySetup struct {
	model  modelSetup
	kvType kvcache.Type // memory.kv_type
}

func perplexityConfigs(c *config.Config, f *perplexityFlags) (perplexitySetup, error) {
	kt, err := kvcache.ParseType(c.Memory.KVType)
	return perplexitySetup{model: f.model(c), kvType: kt}, err
}

func cmdPerplexity(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(perplexityDef, declarePerplexity, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	tokensFile, textFile, window, asJSON := f.tokensFile, f.textFile, f.window, f.asJSON
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if (*tokensFile == "") == (*textFile == "") {
		return usagef("give exactly one of --tokens-file and --text-file")
	}
	if *window < 2 {
		return usagef("--window %d: want at least 2", *window)
	}
	ps, err := perplexityConfigs(c, f)
	if err != nil {
		return err
	}
	l, err := ps.model.load("", *textFile != "")
	if err != nil {
		return err
	}
	defer l.Close()
	var tokens []int32
	if *tokensFile != "" {
		if tokens, err = readTokensFile(*tokensFile); err != nil {
			return err
		}
	} else {
		b, err := os.ReadFile(*textFile)
		if err != nil {
			return err
		}
		tokens = l.tok.Encode(string(b), false, false)
	}
	for i, t := range tokens {
		if int(t) >= l.model.Config.VocabSize {
			return fmt.Errorf("token %d at index %d is outside the vocabulary (%d)", t, i, l.model.Config.VocabSize)
		}
	}
	res, err := crossval.PerplexityKV(l.model, tokens, *window, ps.kvType, func(done, total int) {
		if !*asJSON {
			fmt.Fprintf(stderr, "\rwindow %d/%d", done, total)
		}
	})
	if !*asJSON {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "perplexity %.4f (mean NLL %.6f) over %d windows of %d tokens, %d predictions\n", res.Perplexity, res.MeanNLL, res.Windows, *window, res.Predictions)
	return nil
}
