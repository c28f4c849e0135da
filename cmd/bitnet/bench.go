package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"time"

	"github.com/bitnet-go/bitnet/config"
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

var benchDef = cmdDef{"bench", "-m FILE [flags]",
	"Measure prompt processing (one batch of -p tokens) and generation (-n tokens one at a time,\n" +
		"from an empty context) over -r repetitions after one warm-up, like llama-bench pp/tg.\n" +
		"Token ids are random (seeded); weights are what the file holds."}

// benchFlags are bench's flags: the configuration's and its own, named as
// llama-bench names them.
type benchFlags struct {
	modelCmd
	p, n, reps, ubatch, ctx, depth *int
	asJSON                         *bool
	cpuProfile                     *string
}

func declareBench(fs *flag.FlagSet) *benchFlags {
	f := &benchFlags{
		modelCmd:   bindModel(fs, "bench", nil, "runtime.device", "memory.kv_type"),
		p:          fs.Int("p", 128, "prompt tokens (0 = skip the prompt test)"),
		n:          fs.Int("n", 128, "generated tokens (0 = skip the generation test)"),
		reps:       fs.Int("r", 3, "repetitions"),
		asJSON:     fs.Bool("json", false, "print one JSON object"),
		cpuProfile: fs.String("cpuprofile", "", "write a CPU profile of the timed runs to `file` (go tool pprof)"),
		ubatch:     fs.Int("ub", 512, "most prompt tokens per forward step (llama-bench's -ub); longer prompts run in steps"),
		ctx:        fs.Int("ctx", 0, "context length of the state (default: d+max(p, n); peak RSS depends on it)"),
		depth:      fs.Int("d", 0, "context depth: tokens processed (untimed) before each test, like llama-bench's -d"),
	}
	f.conf.Alias("t", "runtime.threads")
	return f
}

func init() { registerConfigured("bench", declareBench) }

// benchSetup is what bench measures, mapped from the configuration and the
// flags by benchConfigs.
type benchSetup struct {
	model                          modelSetup
	device                         string // runtime.device
	kvType                         kvcache.Type
	p, n, reps, ubatch, ctx, depth int
}

func (s benchSetup) modelSetup() modelSetup { return s.model }

func benchConfigs(c *config.Config, f *benchFlags) (benchSetup, error) {
	s := benchSetup{model: f.model(c), device: c.Runtime.Device, p: *f.p, n: *f.n, reps: *f.reps, ubatch: *f.ubatch, ctx: *f.ctx, depth: *f.depth}
	switch {
	case s.p < 0 || s.n < 0 || s.p+s.n == 0:
		return s, usagef("-p %d -n %d: want non-negative counts, not both 0", s.p, s.n)
	case s.reps < 1:
		return s, usagef("-r %d: want at least 1", s.reps)
	case s.depth < 0:
		return s, usagef("-d %d: want a non-negative depth", s.depth)
	case s.ubatch < 1:
		return s, usagef("-ub %d: want at least 1", s.ubatch)
	}
	kt, err := kvcache.ParseType(c.Memory.KVType)
	s.kvType = kt
	return s, err
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(benchDef, declareBench, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	s, err := benchConfigs(c, f)
	return withModel(s, err, false, func(l *loaded, s benchSetup) error { return benchModel(l, s, f, stdout, stderr) })
}

// benchModel runs the tests s asks for on the loaded model and prints the
// result.
func benchModel(l *loaded, s benchSetup, f *benchFlags, stdout, stderr io.Writer) error {
	cfg := l.model.Config
	if s.ctx == 0 {
		s.ctx = s.depth + max(s.p, s.n)
	}
	if s.ctx > cfg.SeqLen || s.ctx < s.depth+s.p || s.ctx < s.depth+s.n {
		return usagef("context %d: want d+max(p, n) = %d <= ctx <= %d", s.ctx, s.depth+max(s.p, s.n), cfg.SeqLen)
	}
	b, err := newBenchRunner(l, s, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if *f.cpuProfile != "" {
		pf, err := os.Create(*f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ppS, tgS, err := b.measure()
	if err != nil {
		return err
	}
	res := benchResult{
		Model: l.file.Name, Device: b.deviceName, Kernels: kernels.Active(), Threads: l.model.Threads(), Head: s.model.head,
		KVType: s.kvType.String(), Depth: s.depth, PromptTokens: s.p, GenTokens: s.n, Reps: s.reps, PeakRSSBytes: peakRSS(),
	}
	res.PromptTokS, res.PromptTokSSD = meanSD(ppS)
	res.GenTokS, res.GenTokSSD = meanSD(tgS)
	if fi, err := fileSize(s.model.path); err == nil {
		res.FileBytes = fi
	}
	if *f.asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	printBench(stdout, res, cfg)
	return nil
}

// benchRunner runs bench's tests on the device runtime.device names: the
// CPU, or a CUDA device (gpu/cuda, same Forward semantics).
type benchRunner struct {
	s          benchSetup
	forward    func(tokens []int32) error
	reset      func()
	close      func()
	deviceName string
	tokens     []int32
}

func newBenchRunner(l *loaded, s benchSetup, stderr io.Writer) (*benchRunner, error) {
	backend, err := resolveDevice(s.device, stderr)
	if err != nil {
		return nil, err
	}
	b := &benchRunner{s: s, deviceName: "cpu", close: func() {}}
	rng := rand.New(rand.NewPCG(1, 2))
	b.tokens = make([]int32, s.depth+max(s.p, s.n))
	for i := range b.tokens {
		b.tokens[i] = int32(rng.IntN(l.model.Config.VocabSize))
	}
	if backend.Kind != "cuda" {
		st, err := l.model.NewStateOpts(model.StateOptions{SeqLen: s.ctx, MaxBatch: min(max(s.p, s.depth, 1), s.ubatch), KVType: s.kvType})
		if err != nil {
			return nil, err
		}
		b.forward = func(t []int32) error { _, err := l.model.Forward(st, t, false); return err }
		b.reset = st.Reset
		return b, nil
	}
	if s.kvType != kvcache.F16 {
		return nil, usagef("--kv-type %s: the GPU KV cache is f16", s.kvType)
	}
	g, err := cuda.NewModel(backend.Driver, l.model, cuda.Options{Device: backend.Device})
	if err != nil {
		return nil, err
	}
	gst, err := g.NewState(cuda.StateOptions{SeqLen: s.ctx, MaxBatch: min(max(s.p, 1), s.ubatch)})
	if err != nil {
		g.Close()
		return nil, err
	}
	b.forward = func(t []int32) error { _, err := g.Forward(gst, t, false); return err }
	b.reset, b.close, b.deviceName = gst.Reset, func() { g.Close() }, backend.String()
	return b, nil
}

// start resets the state and fills the first d positions.
func (b *benchRunner) start() error {
	b.reset()
	if b.s.depth == 0 {
		return nil
	}
	return b.forward(b.tokens[:b.s.depth])
}

// pp times one batch of p prompt tokens; tg times n tokens one at a time.
func (b *benchRunner) pp() (float64, error) {
	if err := b.start(); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := b.forward(b.tokens[b.s.depth : b.s.depth+b.s.p]); err != nil {
		return 0, err
	}
	return float64(b.s.p) / time.Since(t0).Seconds(), nil
}

func (b *benchRunner) tg() (float64, error) {
	if err := b.start(); err != nil {
		return 0, err
	}
	t0 := time.Now()
	for i := range b.s.n {
		if err := b.forward(b.tokens[b.s.depth+i : b.s.depth+i+1]); err != nil {
			return 0, err
		}
	}
	return float64(b.s.n) / time.Since(t0).Seconds(), nil
}

// measure runs one warm-up (page-in of the weights) and reps timed
// repetitions of each test asked for, returning tokens per second.
func (b *benchRunner) measure() (ppS, tgS []float64, err error) {
	for r := -1; r < b.s.reps; r++ {
		for _, t := range []struct {
			on  bool
			run func() (float64, error)
			out *[]float64
		}{{b.s.p > 0, b.pp, &ppS}, {b.s.n > 0, b.tg, &tgS}} {
			if !t.on {
				continue
			}
			v, err := t.run()
			if err != nil {
				return nil, nil, err
			}
			if r >= 0 {
				*t.out = append(*t.out, v)
			}
		}
	}
	return ppS, tgS, nil
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
