package cuda

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseDevice(t *testing.T) {
	for _, tt := range []struct {
		in      string
		kind    string
		n       int
		wantErr bool
	}{
		{"", "auto", 0, false},
		{"auto", "auto", 0, false},
		{"cpu", "cpu", 0, false},
		{"CUDA", "cuda", 0, false},
		{"cuda:3", "cuda", 3, false},
		{"cuda:", "", 0, true},
		{"cuda:-1", "", 0, true},
		{"cuda:x", "", 0, true},
		{"metal", "", 0, true},
	} {
		kind, n, err := ParseDevice(tt.in)
		if (err != nil) != tt.wantErr || kind != tt.kind || n != tt.n {
			t.Errorf("ParseDevice(%q) = %q, %d, %v; want %q, %d, error %v", tt.in, kind, n, err, tt.kind, tt.n, tt.wantErr)
		}
	}
}

func TestSelectFallback(t *testing.T) {
	saved := loadFn
	defer func() { loadFn = saved }()
	reason := fmt.Errorf("%w: no CUDA driver library: could not load \"libcuda.so.1\"", ErrUnavailable)
	loadFn = func() (*Driver, error) { return nil, reason }

	b, err := Select("auto")
	if err != nil || b.Kind != "cpu" || !strings.Contains(b.Reason, "libcuda.so.1") {
		t.Errorf("Select(auto) = %+v, %v; want cpu with the reason", b, err)
	}
	if _, err := Select("cuda:1"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Select(cuda:1) error = %v, want ErrUnavailable", err)
	}
	loadFn = func() (*Driver, error) { panic("Select(cpu) must not load CUDA") }
	if b, err := Select("cpu"); err != nil || b.Kind != "cpu" || b.Reason != "" {
		t.Errorf("Select(cpu) = %+v, %v", b, err)
	}
	if _, err := Select("tpu"); err == nil {
		t.Error("Select(tpu) succeeded")
	}
}
