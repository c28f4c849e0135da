package cuda

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// nvrtcForTest loads NVRTC or skips the test with the reason.
func nvrtcForTest(t *testing.T) *NVRTC {
	t.Helper()
	nv, err := LoadNVRTC()
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("LoadNVRTC() = %v, which does not wrap ErrUnavailable", err)
		}
		if os.Getenv("BITNET_REQUIRE_NVRTC") != "" {
			t.Fatalf("BITNET_REQUIRE_NVRTC is set but NVRTC cannot be loaded: %v", err)
		}
		t.Skipf("NVRTC not available (install libnvrtc, e.g. apt-get install libnvrtc11.2, or set %s): %v", NVRTCPathEnv, err)
	}
	return nv
}

// TestCompileKernels compiles every kernel file with NVRTC to PTX for
// sm_80 (A100) and sm_90 (H100/H200) and checks that every entry point is
// in the PTX. It needs libnvrtc only, no GPU.
func TestCompileKernels(t *testing.T) {
	nv := nvrtcForTest(t)
	t.Logf("NVRTC %s from %s; supported archs %v", nv.Version(), nv.Path, nv.SupportedArchs())
	for _, arch := range []int{80, 90} {
		for _, p := range Programs {
			t.Run(fmt.Sprintf("sm_%d/%s", arch, p.File), func(t *testing.T) {
				if !nv.Supports(arch) {
					t.Skipf("NVRTC %s cannot target sm_%d (supports %v)", nv.Version(), arch, nv.SupportedArchs())
				}
				src, err := Source(p.File)
				if err != nil {
					t.Fatal(err)
				}
				ptx, log, err := nv.Compile(src, p.File, arch, CompileOptions...)
				if err != nil {
					t.Fatal(err)
				}
				if strings.TrimSpace(log) != "" {
					t.Errorf("compiler log is not empty (warnings must be fixed):\n%s", log)
				}
				if !bytes.Contains(ptx, []byte(fmt.Sprintf(".target sm_%d", arch))) {
					t.Errorf("PTX lacks .target sm_%d", arch)
				}
				// An unresolved call would fail only at cuModuleLoadData on the GPU.
				if bytes.Contains(ptx, []byte(".extern .func")) {
					t.Errorf("PTX calls an external function:\n%s", grepLines(ptx, ".extern .func"))
				}
				for _, k := range p.Kernels {
					if !bytes.Contains(ptx, []byte(".entry "+k+"(")) {
						t.Errorf("PTX lacks entry %s", k)
					}
				}
				t.Logf("%d bytes of PTX, entries %v", len(ptx), p.Kernels)
			})
		}
	}
}

// TestKernelFilesListed checks that Programs names every .cu file and
// every extern "C" __global__ function of the embedded sources.
func TestKernelFilesListed(t *testing.T) {
	ents, err := kernelFS.ReadDir("kernels")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string][]string{}
	for _, p := range Programs {
		listed[p.File] = p.Kernels
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".cu") {
			continue
		}
		ks, ok := listed[e.Name()]
		if !ok {
			t.Errorf("kernels/%s is not in Programs", e.Name())
			continue
		}
		src, err := Source(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(src, `extern "C" __global__`)
		if n != len(ks) {
			t.Errorf("kernels/%s defines %d kernels, Programs lists %d (%v)", e.Name(), n, len(ks), ks)
		}
	}
}

// TestCompileError checks that a broken program yields a *CompileError
// whose message carries the NVRTC log.
func TestCompileError(t *testing.T) {
	nv := nvrtcForTest(t)
	_, _, err := nv.Compile("extern \"C\" __global__ void k() { undeclared_thing(); }", "broken.cu", 80)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Compile(broken) = %v, want a *CompileError", err)
	}
	if !strings.Contains(err.Error(), "undeclared_thing") || !strings.Contains(err.Error(), "broken.cu") {
		t.Errorf("error does not quote the log: %v", err)
	}
}

// TestPTXCache checks that PTX is written to and then read from the cache.
func TestPTXCache(t *testing.T) {
	nv := nvrtcForTest(t)
	dir := t.TempDir()
	t.Setenv(CacheEnv, dir)
	a, err := PTX(nv, "elementwise.cu", 80)
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("cache holds %d files after one compilation, want 1", len(ents))
	}
	b, err := PTX(nv, "elementwise.cu", 80)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("cached PTX differs from the compiled PTX")
	}
}

// grepLines returns the lines of b that contain sub.
func grepLines(b []byte, sub string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
