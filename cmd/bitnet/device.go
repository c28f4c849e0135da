package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/bitnet-go/bitnet/gpu/cuda"
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
