package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"time"

	"github.com/bitnet-go/bitnet/gpu/cuda"
	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
)

func init() {
	register(command{"bench", "measure prompt and generation speed (like llama-bench)", cmdBench})
}

// benchResult is the --json output.
type benchResult struct {
	Model        string  `json:"model"`
	Device       string  `json:"device"`
	Kernels      string  `json:"kernels"`
	Threads      int     `json:"threads"`
	Head         string  `json:"head"`
	KVType       string  `json:"kv_type"`
	Depth        int     `json:"depth"`
	PromptTokens int     `json:"prompt_tokens"`
	GenTokens    int     `json:"gen_tokens"`
	Reps         int     `json:"reps"`
	PromptTokS   float64 `json:"prompt_tok_s"`
	PromptTokSSD float64 `json:"prompt_tok_s_sd"`
	GenTokS      float64 `json:"gen_tok_s"`
	GenTokSSD    float64 `json:"gen_tok_s_sd"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	FileBytes    int64   `json:"file_bytes"`
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "-m FILE [flags]",
		"Measure prompt processing (one batch of -p tokens) and generation (-n tokens one at a time,\n"+
			"from an empty context) over -r repetitions after one warm-up, like llama-bench pp/tg.\n"+
			"Token ids are random (seeded); weights are what the file holds.", stderr)
	mf := addModelFlags(fs, "GGUF model `file` (default: the embedded kjv-tiny model)")
	p := fs.Int("p", 128, "prompt tokens (0 = skip the prompt test)")
	n := fs.Int("n", 128, "generated tokens (0 = skip the generation test)")
	fs.IntVar(mf.threads, "t", defaultThreads(), "worker threads (same as --threads)")
	threads := mf.threads
	reps := fs.Int("r", 3, "repetitions")
	asJSON := fs.Bool("json", false, "print one JSON object")
	device := fs.String("device", "cpu", deviceUsage+" (bench defaults to cpu)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to `file` (go tool pprof)")
	ubatch := fs.Int("ub", 512, "most prompt tokens per forward step (llama-bench's -ub); longer prompts run in steps")
	ctxLen := fs.Int("ctx", 0, "context length of the state (default: d+max(p, n); peak RSS depends on it)")
	depth := fs.Int("d", 0, "context depth: tokens processed (untimed) before each test, like llama-bench's -d")
	kvType := fs.String("kv-type", "f16", "KV cache element type: f16 or q8 (CPU only)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *p < 0 || *n < 0 || *p+*n == 0 {
		return usagef("-p %d -n %d: want non-negative counts, not both 0", *p, *n)
	}
	if *threads < 1 || *reps < 1 {
		return usagef("-t and -r must be at least 1")
	}
	if *depth < 0 {
		return usagef("-d %d: want a non-negative depth", *depth)
	}
	kt, err := kvcache.ParseType(*kvType)
	if err != nil {
		return usagef("--kv-type %q: want f16 or q8", *kvType)
	}
	l, err := mf.load("", false)
	if err != nil {
		return err
	}
	defer l.Close()
	cfg := l.model.Config
	seqLen := *ctxLen
	if seqLen == 0 {
		seqLen = *depth + max(*p, *n)
	}
	if seqLen > cfg.SeqLen || seqLen < *depth+*p || seqLen < *depth+*n {
		return usagef("context %d: want d+max(p, n) = %d <= ctx <= %d", seqLen, *depth+max(*p, *n), cfg.SeqLen)
	}
	if *ubatch < 1 {
		return usagef("-ub %d: want at least 1", *ubatch)
	}
	// The model runs where --device says: the CPU, or a CUDA device
	// (gpu/cuda, same Forward semantics).
	backend, err := resolveDevice(*device, stderr)
	if err != nil {
		return err
	}
	var forward func(tokens []int32) error
	var reset func()
	deviceName := "cpu"
	if backend.Kind == "cuda" {
		if kt != kvcache.F16 {
			return usagef("--kv-type %s: the GPU KV cache is f16", kt)
		}
		g, err := cuda.NewModel(backend.Driver, l.model, cuda.Options{Device: backend.Device})
		if err != nil {
			return err
		}
		defer g.Close()
		gst, err := g.NewState(cuda.StateOptions{SeqLen: seqLen, MaxBatch: min(max(*p, 1), *ubatch)})
		if err != nil {
			return err
		}
		forward = func(t []int32) error { _, err := g.Forward(gst, t, false); return err }
		reset = gst.Reset
		deviceName = backend.String()
	} else {
		st, err := l.model.NewStateOpts(model.StateOptions{SeqLen: seqLen, MaxBatch: min(max(*p, *depth, 1), *ubatch), KVType: kt})
		if err != nil {
			return err
		}
		forward = func(t []int32) error { _, err := l.model.Forward(st, t, false); return err }
		reset = st.Reset
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tokens := make([]int32, *depth+max(*p, *n))
	for i := range tokens {
		tokens[i] = int32(rng.IntN(cfg.VocabSize))
	}
	// start resets the state and fills the first d positions.
	start := func() error {
		reset()
		if *depth == 0 {
			return nil
		}
		return forward(tokens[:*depth])
	}
	pp := func() (float64, error) {
		if err := start(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if err := forward(tokens[*depth : *depth+*p]); err != nil {
			return 0, err
		}
		return float64(*p) / time.Since(t0).Seconds(), nil
	}
	tg := func() (float64, error) {
		if err := start(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		for i := range *n {
			if err := forward(tokens[*depth+i : *depth+i+1]); err != nil {
				return 0, err
			}
		}
		return float64(*n) / time.Since(t0).Seconds(), nil
	}
	var ppS, tgS []float64
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for r := -1; r < *reps; r++ { // r == -1: warm-up (page-in of the weights)
		if *p > 0 {
			v, err := pp()
			if err != nil {
				return err
			}
			if r >= 0 {
				ppS = append(ppS, v)
			}
		}
		if *n > 0 {
			v, err := tg()
			if err != nil {
				return err
			}
			if r >= 0 {
				tgS = append(tgS, v)
			}
		}
	}
	res := benchResult{
		Model: l.file.Name, Device: deviceName, Kernels: kernels.Active(), Threads: l.model.Threads(), Head: *mf.head,
		KVType: kt.String(), Depth: *depth, PromptTokens: *p, GenTokens: *n, Reps: *reps, PeakRSSBytes: peakRSS(),
	}
	res.PromptTokS, res.PromptTokSSD = meanSD(ppS)
	res.GenTokS, res.GenTokSSD = meanSD(tgS)
	if fi, err := fileSize(*mf.path); err == nil {
		res.FileBytes = fi
	}
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	printBench(stdout, res, cfg)
	return nil
}

func printBench(w io.Writer, r benchResult, cfg *model.Config) {
	fmt.Fprintf(w, "model: %s (%d layers, dim %d, vocab %d)  device: %s  kernels: %s  head: %s  kv: %s  threads: %d  reps: %d\n",
		r.Model, cfg.NLayers, cfg.Dim, cfg.VocabSize, r.Device, r.Kernels, r.Head, r.KVType, r.Threads, r.Reps)
	at := ""
	if r.Depth > 0 {
		at = fmt.Sprintf(" @ d%d", r.Depth) // llama-bench's notation
	}
	fmt.Fprintf(w, "| %-16s | %17s |\n|------------------|-------------------|\n", "test", "t/s")
	if r.PromptTokens > 0 {
		fmt.Fprintf(w, "| %-16s | %9.2f ± %5.2f |\n", fmt.Sprintf("pp%d%s", r.PromptTokens, at), r.PromptTokS, r.PromptTokSSD)
	}
	if r.GenTokens > 0 {
		fmt.Fprintf(w, "| %-16s | %9.2f ± %5.2f |\n", fmt.Sprintf("tg%d%s", r.GenTokens, at), r.GenTokS, r.GenTokSSD)
	}
	fmt.Fprintf(w, "peak RSS: %.1f MiB", float64(r.PeakRSSBytes)/(1<<20))
	if r.FileBytes > 0 {
		fmt.Fprintf(w, " (%.2f × the file)", float64(r.PeakRSSBytes)/float64(r.FileBytes))
	}
	fmt.Fprintln(w)
}

// meanSD returns the mean and the sample standard deviation (n−1), as
// llama-bench reports them; 0, 0 for no samples.
func meanSD(x []float64) (float64, float64) {
	if len(x) == 0 {
		return 0, 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	if len(x) == 1 {
		return m, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
}
