package cuda

import (
	"slices"
	"testing"

	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
)

// TestPlanAttention checks the split of a step's rows into decode rows
// (split-K) and prefill tiles.
func TestPlanAttention(t *testing.T) {
	seqs := []*kvcache.Seq{{}, {}, {}, {}}
	// Rows: seq0 ×1 (pos 700), seq1 ×20 (pos 0..19), seq2 ×1 (pos 5), seq3 ×3.
	var rowSeq []*kvcache.Seq
	var pos []int32
	add := func(s *kvcache.Seq, p0, n int) {
		for i := range n {
			rowSeq = append(rowSeq, s)
			pos = append(pos, int32(p0+i))
		}
	}
	add(seqs[0], 700, 1)
	add(seqs[1], 0, 20)
	add(seqs[2], 5, 1)
	add(seqs[3], 10, 3)
	s := &State{MaxBatch: 32, maxBlocks: 1, pool: &kvcache.Pool{}}
	s.hmeta = make([]int32, s.metaLen())
	s.rowSeq = make([]*kvcache.Seq, s.MaxBatch)
	copy(s.rowSeq, rowSeq)
	copy(s.hmeta[s.offPos():], pos)
	s.T = len(pos)
	s.planAttention()
	if got, want := s.hmeta[s.offRows():s.offRows()+s.nDec], []int32{0, 21}; !slices.Equal(got, want) {
		t.Errorf("decode rows = %v, want %v", got, want)
	}
	if got, want := s.hmeta[s.offTiles():s.offTiles()+2*s.nTiles], []int32{1, 16, 17, 4, 22, 3}; !slices.Equal(got, want) {
		t.Errorf("tiles = %v, want %v", got, want)
	}
	if s.nSplit != 3 { // position 700 → ⌈701/256⌉
		t.Errorf("nSplit = %d, want 3", s.nSplit)
	}
}

// TestKJVTinySupported checks that the embedded default model passes the
// GPU backend's shape and type checks, so the device tests can run it.
func TestKJVTinySupported(t *testing.T) {
	f, err := defaultmodel.Open()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(f, model.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := checkSupported(m); err != nil {
		t.Fatal(err)
	}
	g := &Model{Config: m.Config, cpu: m}
	t.Logf("%s: %.1f MiB of device weights", m.Config, mib(g.planWeightBytes()))
}
