package main

import (
	"flag"
	"time"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/sample"
)

// generationKeys are the configuration keys of run and chat.
var generationKeys = []string{"generation.max_tokens", "generation.temperature", "generation.top_k", "generation.top_p",
	"generation.min_p", "generation.repeat_penalty", "generation.seed", "generation.stop", "memory.context"}

// samplingFlags are the sampling flags of run and chat that are not
// configuration keys.
type samplingFlags struct {
	repLastN            *int
	presence, frequency *float64
	greedy              *bool
}

func declareSampling(fs *flag.FlagSet) samplingFlags {
	return samplingFlags{
		repLastN:  fs.Int("repeat-last-n", 64, "tokens the penalties look back; -1 = all"),
		presence:  fs.Float64("presence-penalty", 0, "OpenAI-style presence penalty"),
		frequency: fs.Float64("frequency-penalty", 0, "OpenAI-style frequency penalty"),
		greedy:    fs.Bool("greedy", false, "greedy decoding (same as --temp 0)"),
	}
}

// genSetup is what run and chat generate with.
type genSetup struct {
	maxTokens int // generation.max_tokens
	context   int // memory.context; 0 = the model's training context
	sampling  sample.Params
	stop      []string
}

// genConfig maps the generation keys and the sampling flags to a genSetup.
// A seed of -1 becomes one drawn from the clock.
func genConfig(c *config.Config, sf samplingFlags) (genSetup, error) {
	g := c.Generation
	temp := g.Temperature
	if *sf.greedy {
		temp = 0
	}
	seed := g.Seed
	if seed == -1 {
		seed = time.Now().UnixNano() & (1<<62 - 1)
	}
	p := sample.Params{
		Temperature: float32(temp), TopK: g.TopK, TopP: float32(g.TopP), MinP: float32(g.MinP),
		RepeatPenalty: float32(g.RepeatPenalty), RepeatLastN: *sf.repLastN,
		PresencePenalty: float32(*sf.presence), FrequencyPenalty: float32(*sf.frequency),
		Seed: uint64(seed),
	}
	if err := p.Validate(); err != nil {
		return genSetup{}, usagef("%v", err)
	}
	return genSetup{maxTokens: g.MaxTokens, context: c.Memory.Context, sampling: p, stop: g.Stop}, nil
}
