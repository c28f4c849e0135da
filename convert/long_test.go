//go:build long

package convert

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet/gguf"
)

var longLayers = flag.Int("long.layers", 12, "layers of the synthetic 2B-4T-shaped checkpoint for TestLongPeakRSS")

// TestLongPeakRSS measures the converter's peak resident memory on a
// synthetic multi-GB checkpoint with BitNet-b1.58-2B-4T's shapes (hidden
// 2560, FFN 6912, 20/5 heads, vocabulary 128256; -long.layers layers, bf16).
// The conversion runs in a child process so that its peak RSS (getrusage
// ru_maxrss) is its own; the bound is 2 × the largest tensor + 200 MB.
// Run it with: go test -tags long -run LongPeakRSS -v -timeout 60m ./convert/
func TestLongPeakRSS(t *testing.T) {
	if dir := os.Getenv("BITNET_CONVERT_CHILD_DIR"); dir != "" {
		_, err := Convert(context.Background(), dir, os.Getenv("BITNET_CONVERT_CHILD_OUT"),
			Options{Type: gguf.TypeI2_S, Verify: os.Getenv("BITNET_CONVERT_CHILD_VERIFY") != ""})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	dir := t.TempDir()
	s := &synth{dim: 2560, ff: 6912, layers: *longLayers, heads: 20, kvHeads: 5, vocab: 128256, seed: 7}
	start := time.Now()
	s.write(t, dir)
	st, _ := os.Stat(filepath.Join(dir, "model.safetensors"))
	largest := int64(128256 * 2560 * 2) // the bf16 embedding
	bound := 2*largest + 200<<20
	t.Logf("checkpoint: %d layers, %.2f GB of safetensors, largest tensor %.0f MB; written in %v",
		s.layers, float64(st.Size())/1e9, float64(largest)/(1<<20), time.Since(start).Round(time.Second))
	for _, verify := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out.gguf")
		cmd := exec.Command(os.Args[0], "-test.run=^TestLongPeakRSS$", "-test.timeout=0")
		cmd.Env = append(os.Environ(), "BITNET_CONVERT_CHILD_DIR="+dir, "BITNET_CONVERT_CHILD_OUT="+out)
		if verify {
			cmd.Env = append(cmd.Env, "BITNET_CONVERT_CHILD_VERIFY=1")
		}
		start := time.Now()
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, b)
		}
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // kB on Linux
		ost, _ := os.Stat(out)
		t.Logf("verify=%v: converted in %v to %.2f GB; peak RSS %.0f MB (bound %.0f MB)",
			verify, time.Since(start).Round(time.Second), float64(ost.Size())/1e9, float64(peak)/(1<<20), float64(bound)/(1<<20))
		if peak > bound {
			t.Errorf("peak RSS %d bytes exceeds 2 × largest tensor + 200 MB = %d", peak, bound)
		}
	}
}
