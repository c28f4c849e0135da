package crossval

import (
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/model"
)

// TestHeadQ8 measures the accuracy cost of the int8 head (--head q8) on the
// trained kjv-tiny sets: it must still meet each set's tolerance.
func TestHeadQ8(t *testing.T) {
	for _, set := range []string{"kjv-tiny-i2_s", "kjv-tiny-tq2_0"} {
		t.Run(set, func(t *testing.T) {
			ref, err := Load(filepath.Join(shareddata.Path(t), "crossval", set))
			if err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(ref.ModelPath())
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.Load(f, model.Options{HeadQ8: true})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			rep, err := Run(m, ref, Options{Greedy: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("q8 head: top1 %.4f, min mean cos %.6f, max rel RMS %.4f", rep.Top1, rep.MinMean, rep.MaxRelRMS)
			for _, c := range rep.Cases {
				t.Logf("%s: greedy %d/%d tie=%v", c.Name, c.GreedyMatch, c.GreedyLen, c.GreedyTieStop)
			}
			if !rep.Pass {
				t.Errorf("q8 head fails the tolerance: %v", rep.Failures)
			}
		})
	}
}
