package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bitnet-go/bitnet/crossval"
)

func init() {
	register(command{"crossval", "compare the engine with a reference set", cmdCrossval})
}

var crossvalDef = cmdDef{"crossval", "[-m FILE] --reference DIR [--json]", "Compare the engine's logits with a reference set (shared/crossval format) and\napply its tolerance. Exit code 3 when the model falls short."}

// crossvalFlags are crossval's flags: the model configuration's and its own.
type crossvalFlags struct {
	modelCmd
	refDir                             *string
	asJSON, noGreedy                   *bool
	minTop1, tieMargin, minCos, maxRMS *float64
	fs                                 *flag.FlagSet
}

func declareCrossval(fs *flag.FlagSet) *crossvalFlags {
	return &crossvalFlags{
		modelCmd:  bindModel(fs, "crossval", nil),
		refDir:    fs.String("reference", "", "reference set `directory` (holds reference.json); without -m its own model runs"),
		asJSON:    fs.Bool("json", false, "print JSON"),
		noGreedy:  fs.Bool("no-greedy", false, "skip the greedy-continuation comparison"),
		minTop1:   fs.Float64("min-top1", -1, "override the set's min_top1"),
		tieMargin: fs.Float64("tie-margin", -1, "override the set's tie_margin"),
		minCos:    fs.Float64("min-mean-cos", -1, "override the set's min_mean_cos"),
		maxRMS:    fs.Float64("max-rel-rms", -1, "override the set's max_rel_rms"),
		fs:        fs,
	}
}

func init() { registerConfigured("crossval", declareCrossval) }

func cmdCrossval(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(crossvalDef, declareCrossval, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	minTop1, tieMargin, minCos, maxRMS, asJSON, noGreedy, refDir := f.minTop1, f.tieMargin, f.minCos, f.maxRMS, f.asJSON, f.noGreedy, f.refDir
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *refDir == "" {
		return usagef("--reference is required")
	}
	ref, err := crossval.Load(*refDir)
	if err != nil {
		return err
	}
	tol := ref.Tolerance
	f.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "min-top1":
			tol.MinTop1 = *minTop1
		case "tie-margin":
			tol.TieMargin = *tieMargin
		case "min-mean-cos":
			tol.MinMeanCos = *minCos
		case "max-rel-rms":
			tol.MaxRelRMS = *maxRMS
		}
	})
	ms := f.model(c)
	path := ms.path
	if path == "" {
		path = ref.ModelPath()
	}
	l, err := ms.load(path, false)
	if err != nil {
		return err
	}
	defer l.Close()
	rep, err := crossval.Run(l.model, ref, crossval.Options{Greedy: !*noGreedy, Tolerance: &tol})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "set %s, model %s\n", *refDir, path)
		fmt.Fprintf(stdout, "%-8s %5s %10s %9s %9s %8s %9s %s\n", "case", "T", "top1", "mean cos", "min cos", "rel RMS", "max |Δ|", "greedy")
		for _, c := range rep.Cases {
			g := "-"
			if c.GreedyChecked {
				g = fmt.Sprintf("%d/%d", c.GreedyMatch, c.GreedyLen)
				if c.GreedyMatch < c.GreedyLen {
					if c.GreedyTieStop {
						g += fmt.Sprintf(" (near-tie, gap %.3f)", c.GreedyGap)
					} else {
						g += fmt.Sprintf(" (DIFFERS, gap %.3f)", c.GreedyGap)
					}
				}
			}
			fmt.Fprintf(stdout, "%-8s %5d %4d/%-5d %9.6f %9.6f %8.4f %9.4f %s\n", c.Name, c.Positions, c.Top1Agree, c.Top1Counted, c.MeanCos, c.MinCos, c.RelRMS, c.MaxAbsDiff, g)
		}
		fmt.Fprintf(stdout, "overall: top1 %.4f (min %.4f), mean cos %.6f (min %.6f), rel RMS %.4f (max %.4f): ", rep.Top1, tol.MinTop1, rep.MinMean, tol.MinMeanCos, rep.MaxRelRMS, tol.MaxRelRMS)
		if rep.Pass {
			fmt.Fprintln(stdout, "PASS")
		} else {
			fmt.Fprintln(stdout, "FAIL")
		}
	}
	if !rep.Pass {
		return fmt.Errorf("%w: %s", errTolerance, strings.Join(rep.Failures, "; "))
	}
	return nil
}
