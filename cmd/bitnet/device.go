package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/generate"
	"github.com/bitnet-go/bitnet/gpu/cuda"
	"github.com/bitnet-go/bitnet/kvcache"
)

// deviceUsage is the help text of --device.
const deviceUsage = "where to run: auto (CUDA device 0 if usable, else the CPU), cpu, cuda or cuda:N"

// addDeviceFlag registers --device on fs (default "auto").
func addDeviceFlag(fs *flag.FlagSet) *string {
	return fs.String("device", "auto", deviceUsage)
}

// resolveDevice turns a --device value into a backend. For "auto" falling
// back to the CPU it prints the reason to stderr (one line); "cuda" and
// "cuda:N" fail when CUDA is unusable, with the reason.
func resolveDevice(spec string, stderr io.Writer) (cuda.Backend, error) {
	b, err := cuda.Select(spec)
	if err != nil {
		return b, fmt.Errorf("--device %s: %w", spec, err)
	}
	if b.Kind == "cpu" && b.Reason != "" {
		fmt.Fprintf(stderr, "device: using the CPU: %s\n", b.Reason)
	}
	return b, nil
}

// gpuModel resolves spec and, for a CUDA backend, uploads the model. A nil
// model means the CPU runs, with name saying why: the spec chose it, or
// under "auto" cpuOnly (an option the GPU path lacks) or a failed upload
// made it fall back (the reason goes to stderr); under "cuda" those fail.
func gpuModel(l *loaded, spec string, cpuOnly error, stderr io.Writer) (g *cuda.Model, name string, err error) {
	b, err := resolveDevice(spec, stderr)
	if err != nil || b.Kind != "cuda" {
		return nil, b.String(), err
	}
	if cpuOnly == nil {
		if g, err = cuda.NewModel(b.Driver, l.model, cuda.Options{Device: b.Device}); err == nil {
			return g, b.String(), nil
		}
		cpuOnly = err
	}
	name, err = deviceFallback(spec, cpuOnly, stderr)
	return nil, name, err
}

// deviceFallback fails with err under an explicit CUDA spec; under "auto"
// it reports err on stderr and names the CPU.
func deviceFallback(spec string, err error, stderr io.Writer) (string, error) {
	if spec != "auto" {
		return "", fmt.Errorf("--device %s: %w", spec, err)
	}
	fmt.Fprintf(stderr, "device: using the CPU: %v\n", err)
	return "cpu (" + err.Error() + ")", nil
}

// engineDevice points the engine configuration at the device spec names:
// for a CUDA backend it uploads the model and sets cfg.NewStepper to run
// every step on the GPU over the engine's KV pool (f16 cache only; the GPU
// kernels run the stored head, so --head q8 stays on the CPU). It returns
// the device's name and a function that releases it after the engine
// closed.
func engineDevice(cfg *engine.Config, l *loaded, spec, head string, stderr io.Writer) (string, func(), error) {
	var cpuOnly error
	switch {
	case cfg.KVType != kvcache.F16:
		cpuOnly = fmt.Errorf("the GPU KV cache is f16; --kv-type %s runs on the CPU only", cfg.KVType)
	case head == "q8":
		cpuOnly = errHeadQ8CPU
	}
	g, name, err := gpuModel(l, spec, cpuOnly, stderr)
	if g == nil {
		return name, func() {}, err
	}
	cfg.NewStepper = func(pool *kvcache.Pool, maxBatch, context int) (engine.Stepper, error) {
		st, err := g.NewState(cuda.StateOptions{SeqLen: context, MaxBatch: maxBatch, Pool: pool})
		if err != nil {
			return nil, err
		}
		return engine.StepperOf(g, st, st.Close), nil
	}
	return name, func() { g.Close() }, nil
}

// errHeadQ8CPU is why --head q8 keeps a model on the CPU.
var errHeadQ8CPU = errors.New("--head q8 is a CPU option (the GPU runs the stored head)")

// sequenceDevice returns the generate.Forwarder of one sequence of up to
// seqLen positions (0: the training context) on the device spec names
// (see gpuModel), the device's name and a release function.
func sequenceDevice(l *loaded, spec, head string, seqLen int, stderr io.Writer) (generate.Forwarder, string, func(), error) {
	var cpuOnly error
	if head == "q8" {
		cpuOnly = errHeadQ8CPU
	}
	g, name, err := gpuModel(l, spec, cpuOnly, stderr)
	if err != nil {
		return nil, "", nil, err
	}
	if g != nil {
		st, serr := g.NewState(cuda.StateOptions{SeqLen: seqLen, MaxBatch: 64})
		if serr == nil {
			return generate.ForwarderOf(g, st, func() int { return st.Pos }, st.SeqLen), name, func() { st.Close(); g.Close() }, nil
		}
		g.Close()
		if name, err = deviceFallback(spec, serr, stderr); err != nil {
			return nil, "", nil, err
		}
	}
	st, err := l.model.NewState(seqLen, 64)
	if err != nil {
		return nil, "", nil, err
	}
	return generate.CPU(l.model, st), name, func() {}, nil
}
