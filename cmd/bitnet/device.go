package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/generate"
	"github.com/bitnet-go/bitnet/gpu/cuda"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
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

// engineDevice points the engine configuration at the device spec names:
// for a CUDA backend it uploads the model and sets cfg.NewStepper to run
// every step on the GPU over the engine's KV pool (f16 only; the GPU
// kernels have their own f16 head, so --head q8 is refused there). With
// "auto", a model the GPU cannot take (too large, unsupported tensor
// types) falls back to the CPU with the reason on stderr. It returns the
// device's name and a function that releases it after the engine closed.
func engineDevice(cfg *engine.Config, l *loaded, spec, head string, stderr io.Writer) (string, func(), error) {
	nop := func() {}
	b, err := resolveDevice(spec, stderr)
	if err != nil {
		return "", nop, err
	}
	if b.Kind != "cuda" {
		return b.String(), nop, nil
	}
	fallback := func(err error) (string, func(), error) {
		if spec != "auto" {
			return "", nop, fmt.Errorf("--device %s: %w", spec, err)
		}
		fmt.Fprintf(stderr, "device: using the CPU: %v\n", err)
		return "cpu (" + err.Error() + ")", nop, nil
	}
	if cfg.KVType != kvcache.F16 {
		return fallback(fmt.Errorf("the GPU KV cache is f16; --kv-type %s runs on the CPU only", cfg.KVType))
	}
	if head == "q8" {
		return fallback(fmt.Errorf("--head q8 is a CPU option (the GPU runs the stored head)"))
	}
	g, err := cuda.NewModel(b.Driver, l.model, cuda.Options{Device: b.Device})
	if err != nil {
		return fallback(err)
	}
	cfg.NewStepper = func(pool *kvcache.Pool, maxBatch, context int) (engine.Stepper, error) {
		st, err := g.NewState(cuda.StateOptions{SeqLen: context, MaxBatch: maxBatch, Pool: pool})
		if err != nil {
			return nil, err
		}
		return cudaStepper{g, st}, nil
	}
	return b.String(), func() { g.Close() }, nil
}

// cudaStepper runs the engine's steps on a GPU State bound to its pool.
type cudaStepper struct {
	g  *cuda.Model
	st *cuda.State
}

func (c cudaStepper) ForwardBatch(b *model.Batch) ([]float32, error) {
	return c.g.ForwardBatch(c.st, b)
}
func (c cudaStepper) Close() error { return c.st.Close() }

// sequenceDevice returns the generate.Forwarder of one sequence of up to
// seqLen positions (0: the training context) on the device spec names, the
// device's name and a release function. A GPU runs the stored head, so
// --head q8 and models the GPU cannot take fall back to the CPU under
// "auto" and fail under "cuda".
func sequenceDevice(l *loaded, spec, head string, seqLen int, stderr io.Writer) (generate.Forwarder, string, func(), error) {
	nop := func() {}
	cpu := func(name string) (generate.Forwarder, string, func(), error) {
		st, err := l.model.NewState(seqLen, 64)
		if err != nil {
			return nil, "", nop, err
		}
		return generate.CPU(l.model, st), name, nop, nil
	}
	b, err := resolveDevice(spec, stderr)
	if err != nil {
		return nil, "", nop, err
	}
	if b.Kind != "cuda" {
		return cpu(b.String())
	}
	fallback := func(err error) (generate.Forwarder, string, func(), error) {
		if spec != "auto" {
			return nil, "", nop, fmt.Errorf("--device %s: %w", spec, err)
		}
		fmt.Fprintf(stderr, "device: using the CPU: %v\n", err)
		return cpu("cpu (" + err.Error() + ")")
	}
	if head == "q8" {
		return fallback(fmt.Errorf("--head q8 is a CPU option (the GPU runs the stored head)"))
	}
	g, err := cuda.NewModel(b.Driver, l.model, cuda.Options{Device: b.Device})
	if err != nil {
		return fallback(err)
	}
	st, err := g.NewState(cuda.StateOptions{SeqLen: seqLen, MaxBatch: 64})
	if err != nil {
		g.Close()
		return fallback(err)
	}
	return cudaForwarder{g, st}, b.String(), func() { st.Close(); g.Close() }, nil
}

// cudaForwarder is a generate.Forwarder on a GPU State's own sequence.
type cudaForwarder struct {
	g  *cuda.Model
	st *cuda.State
}

func (c cudaForwarder) Forward(t []int32) ([]float32, error) { return c.g.Forward(c.st, t, false) }
func (c cudaForwarder) Pos() int                             { return c.st.Pos }
func (c cudaForwarder) SeqLen() int                          { return c.st.SeqLen }
