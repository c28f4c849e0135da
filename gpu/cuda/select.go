package cuda

import (
	"fmt"
	"strconv"
	"strings"
)

// Backend is where a model runs, as chosen by Select.
type Backend struct {
	Kind   string     // "cpu" or "cuda"
	Device int        // the CUDA device ordinal (Kind "cuda")
	Driver *Driver    // the loaded driver (Kind "cuda")
	Info   DeviceInfo // the device (Kind "cuda")
	// Reason says why "auto" chose the CPU ("" otherwise), e.g. "cuda:
	// unavailable: no CUDA driver library: …".
	Reason string
}

func (b Backend) String() string {
	if b.Kind == "cuda" {
		return b.Info.String()
	}
	if b.Reason != "" {
		return "cpu (" + b.Reason + ")"
	}
	return "cpu"
}

// ParseDevice parses a --device value: "auto", "cpu", "cuda" (device 0)
// or "cuda:N". It returns the kind ("auto", "cpu" or "cuda") and N.
func ParseDevice(spec string) (kind string, ordinal int, err error) {
	s := strings.ToLower(strings.TrimSpace(spec))
	switch {
	case s == "" || s == "auto":
		return "auto", 0, nil
	case s == "cpu":
		return "cpu", 0, nil
	case s == "cuda" || s == "gpu":
		return "cuda", 0, nil
	case strings.HasPrefix(s, "cuda:"):
		n, err := strconv.Atoi(s[len("cuda:"):])
		if err != nil || n < 0 || n > 1023 {
			return "", 0, fmt.Errorf("cuda: --device %q: want cuda:N with N a device number", spec)
		}
		return "cuda", n, nil
	}
	return "", 0, fmt.Errorf("cuda: --device %q: want auto, cpu, cuda or cuda:N", spec)
}

// Select resolves a --device value. "cpu" never touches CUDA. "cuda" and
// "cuda:N" load the driver and NVRTC and check the device, and fail if any
// is missing (the error wraps ErrUnavailable when CUDA is absent).
// "auto" picks device 0 when CUDA works and otherwise returns the CPU
// backend with the reason in Backend.Reason; it fails only for a malformed
// spec.
func Select(spec string) (Backend, error) {
	kind, n, err := ParseDevice(spec)
	if err != nil {
		return Backend{}, err
	}
	if kind == "cpu" {
		return Backend{Kind: "cpu"}, nil
	}
	b, err := selectCUDA(n)
	if err == nil {
		return b, nil
	}
	if kind == "auto" {
		return Backend{Kind: "cpu", Reason: err.Error()}, nil
	}
	return Backend{}, err
}

// loadFn is Load, replaceable in tests.
var loadFn = Load

func selectCUDA(n int) (Backend, error) {
	d, err := loadFn()
	if err != nil {
		return Backend{}, err
	}
	count, err := d.DeviceCount()
	if err != nil {
		return Backend{}, err
	}
	if n >= count {
		return Backend{}, fmt.Errorf("%w: device cuda:%d does not exist (%d device(s))", ErrUnavailable, n, count)
	}
	info, err := d.Device(n)
	if err != nil {
		return Backend{}, err
	}
	if _, err := d.NVRTC.TargetArch(info.Arch()); err != nil {
		return Backend{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return Backend{Kind: "cuda", Device: n, Driver: d, Info: info}, nil
}
