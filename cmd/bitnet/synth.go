package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/bitnet-go/bitnet/internal/synth"
)

func init() {
	register(command{"synth", "write a benchmark model with real shapes and random ternary weights", cmdSynth})
}

func cmdSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth", "--preset NAME -o FILE [flags]",
		"Write a GGUF model with the shapes, metadata keys and tensor names of a published BitNet b1.58\n"+
			"model, seeded random ternary weights, a random f16 tied embedding and the real Llama-3 BPE\n"+
			"vocabulary (embedded in the binary). Presets: "+strings.Join(synth.PresetNames(), ", ")+".", stderr)
	preset := fs.String("preset", "2b4t", "model `shape`: 2b4t, 700m, 3b or tiny")
	typ := fs.String("type", "i2_s", "ternary weight `type`: i2_s, tq2_0 or tq1_0")
	out := fs.String("o", "", "output `file`")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same file)")
	vocab := fs.String("vocab", "", "tiktoken rank `file` to use instead of the embedded Llama-3 vocabulary")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *out == "" {
		return usagef("-o FILE is required")
	}
	p, ok := synth.Presets[*preset]
	if !ok {
		return usagef("unknown preset %q (want %s)", *preset, strings.Join(synth.PresetNames(), ", "))
	}
	t, err := synth.TypeByName(*typ)
	if err != nil {
		return usagef("%v", err)
	}
	if err := synth.Check(p, t); err != nil {
		return usagef("%v", err)
	}
	n, err := synth.WriteFile(*out, synth.Options{Preset: p, Type: t, Seed: *seed, Vocab: *vocab})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: preset %s (%s), %s weights, seed %d, %d bytes\n", *out, p.Name, p.Note, t, *seed, n)
	return nil
}
