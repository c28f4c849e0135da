package crossval

import (
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/model"
)

// TestReferenceSets runs every set under shared/crossval against its own
// tolerance, greedy continuations included.
func TestReferenceSets(t *testing.T) {
	root := filepath.Join(shareddata.Path(t), "crossval")
	sets, err := filepath.Glob(filepath.Join(root, "*", "reference.json"))
	if err != nil || len(sets) == 0 {
		t.Fatalf("no reference sets under %s (%v)", root, err)
	}
	for _, p := range sets {
		dir := filepath.Dir(p)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ref, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(ref.ModelPath())
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.Load(f, model.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			rep, err := Run(m, ref, Options{Greedy: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Cases {
				t.Logf("%s: top1 %d/%d meancos %.6f mincos %.6f relrms %.4f maxabs %.3f greedy %d/%d tie=%v",
					c.Name, c.Top1Agree, c.Top1Counted, c.MeanCos, c.MinCos, c.RelRMS, c.MaxAbsDiff, c.GreedyMatch, c.GreedyLen, c.GreedyTieStop)
			}
			if !rep.Pass {
				t.Errorf("%s fails its tolerance: %v", dir, rep.Failures)
			}
		})
	}
}
