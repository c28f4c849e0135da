//go:build linux && !nocuda

package cuda

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestLoadUnavailable checks, on a machine without CUDA, that Load fails
// with ErrUnavailable and says why.
func TestLoadUnavailable(t *testing.T) {
	d, err := Load()
	if err == nil {
		t.Skipf("CUDA is available here (%s); the device tests cover Load", d.Path)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Load() = %v, want an error wrapping ErrUnavailable", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "libcuda") && !strings.Contains(msg, "device") && !strings.Contains(msg, "NVRTC") && !strings.Contains(msg, "Linux") {
		t.Errorf("Load() error gives no reason: %v", err)
	}
	d2, err2 := Load()
	if d2 != nil || err2 != err {
		t.Errorf("second Load() = %v, %v; want the first result again", d2, err2)
	}
	t.Logf("Load() = %v", err)
}

func TestNVRTCCandidatesEnvFirst(t *testing.T) {
	t.Setenv(NVRTCPathEnv, "/opt/x/libnvrtc.so.99")
	c := nvrtcCandidates()
	want := []string{"/opt/x/libnvrtc.so.99", "libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2"}
	if len(c) < len(want) || !slices.Equal(c[:len(want)], want) {
		t.Errorf("nvrtcCandidates() = %q, want it to start with %q", c, want)
	}
}

func TestNVRTCInCache(t *testing.T) {
	img := []byte("glibc-ld.so.cache1.1\x00libnvrtc.so.12\x00/usr/local/cuda/lib64/libnvrtc.so.12\x00" +
		"/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2\x00/usr/lib/libnvrtc-builtins.so.11.8\x00/usr/lib/libc.so.6\x00")
	got := nvrtcInCache(img)
	sortNewestFirst(got)
	want := []string{"/usr/local/cuda/lib64/libnvrtc.so.12", "/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2"}
	if !slices.Equal(got, want) {
		t.Errorf("nvrtcInCache = %q, want %q", got, want)
	}
}
