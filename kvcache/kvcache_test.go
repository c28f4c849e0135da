package kvcache

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bitnet-go/bitnet/quant"
)

func newPool(t *testing.T, blocks int, typ Type) *Pool {
	t.Helper()
	p, err := NewPool(Config{Layers: 2, KVHeads: 2, HeadDim: 4, BlockSize: 4, Blocks: blocks, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fill stores a recognisable value for each position: k = pos+layer/10, v = −k.
func fill(s *Seq, from, to int) {
	kd := s.pool.cfg.KVDim()
	k, v := make([]float32, kd), make([]float32, kd)
	for pos := from; pos < to; pos++ {
		for l := range s.pool.cfg.Layers {
			for i := range k {
				k[i] = float32(pos) + float32(l)/10 + float32(i)/100
				v[i] = -k[i]
			}
			s.Store(l, pos, k, v)
		}
	}
	s.Advance(to)
}

func keyAt(s *Seq, layer, pos, i int) float32 {
	p := s.pool
	bs := p.cfg.BlockSize
	b := s.blocks[pos/bs]
	if p.cfg.Type == F16 {
		return quant.F16ToF32(p.KeysF16(b, layer)[(pos%bs)*p.cfg.KVDim()+i])
	}
	k, sc := p.KeysQ8(b, layer)
	return float32(k[(pos%bs)*p.cfg.KVDim()+i]) * sc[(pos%bs)*p.cfg.KVHeads+i/p.cfg.HeadDim]
}

func TestStoreAndRead(t *testing.T) {
	for _, typ := range []Type{F16, Q8} {
		t.Run(typ.String(), func(t *testing.T) {
			p := newPool(t, 8, typ)
			s := p.NewSeq(32)
			if err := s.Reserve(10); err != nil {
				t.Fatal(err)
			}
			fill(s, 0, 10)
			tol := 0.01 // f16 at values < 16
			if typ == Q8 {
				tol = 0.1 // 1/127 of the head's max (≤ 10)
			}
			for pos := range 10 {
				for l := range 2 {
					for i := range 8 {
						want := float64(pos) + float64(l)/10 + float64(i)/100
						if got := keyAt(s, l, pos, i); math.Abs(float64(got)-want) > tol {
							t.Errorf("layer %d pos %d elem %d: %v, want %v", l, pos, i, got, want)
						}
					}
				}
			}
			if st := p.Stats(); st.Used != 3 || st.Free != 5 {
				t.Errorf("stats %+v, want 3 used, 5 free", st)
			}
			s.Free()
			if st := p.Stats(); st.Used != 0 || st.Free != 8 {
				t.Errorf("after Free: %+v, want all free", st)
			}
		})
	}
}

func TestReserveOutOfSpace(t *testing.T) {
	p := newPool(t, 3, F16)
	a := p.NewSeq(16)
	if err := a.Reserve(9); err != nil { // 3 blocks
		t.Fatal(err)
	}
	b := p.NewSeq(16)
	if err := b.Reserve(1); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Reserve past the pool: %v, want ErrNoSpace", err)
	}
	if len(b.Blocks()) != 0 {
		t.Error("a failed Reserve took blocks")
	}
	a.Free()
	if err := b.Reserve(12); err != nil {
		t.Errorf("Reserve after Free: %v", err)
	}
}

func TestPrefixSharing(t *testing.T) {
	p := newPool(t, 16, F16)
	prompt := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	a := p.NewSeq(32)
	if n := a.AttachPrefix(prompt); n != 0 {
		t.Fatalf("empty index attached %d positions", n)
	}
	a.Reserve(len(prompt))
	fill(a, 0, len(prompt))
	a.Publish(prompt)

	// Same 8-token prefix (two full blocks), different tail.
	b := p.NewSeq(32)
	other := []int32{1, 2, 3, 4, 5, 6, 7, 8, 99, 100, 101}
	if n := b.AttachPrefix(other); n != 8 {
		t.Fatalf("attached %d positions, want 8", n)
	}
	if b.Blocks()[0] != a.Blocks()[0] || b.Blocks()[1] != a.Blocks()[1] {
		t.Error("shared blocks are not the same blocks")
	}
	if got := keyAt(b, 1, 6, 0); math.Abs(float64(got)-6.1) > 0.01 {
		t.Errorf("shared key = %v, want 6.1", got)
	}
	// Exactly 8 tokens: one must be left to compute, so only one block attaches.
	c := p.NewSeq(32)
	if n := c.AttachPrefix(prompt[:8]); n != 4 {
		t.Errorf("8-token prompt attached %d positions, want 4", n)
	}
	// A different first block shares nothing.
	d := p.NewSeq(32)
	if n := d.AttachPrefix([]int32{0, 2, 3, 4, 5, 6, 7, 8, 9}); n != 0 {
		t.Errorf("different prefix attached %d", n)
	}
	// Freed blocks stay cached for reuse until the pool needs them.
	a.Free()
	b.Free()
	c.Free()
	if st := p.Stats(); st.Cached != 2 || st.Used != 0 {
		t.Errorf("after freeing: %+v, want 2 cached", st)
	}
	e := p.NewSeq(32)
	if n := e.AttachPrefix(prompt); n != 8 {
		t.Errorf("re-attach from cache: %d, want 8", n)
	}
	e.Free()
	// Pressure evicts cached blocks, oldest first.
	f := p.NewSeq(64)
	if err := f.Reserve(16 * 4); err != nil {
		t.Fatalf("reserving the whole pool: %v", err)
	}
	if st := p.Stats(); st.Cached != 0 || st.Used != 16 {
		t.Errorf("after eviction: %+v", st)
	}
	g := p.NewSeq(32)
	if n := g.AttachPrefix(prompt); n != 0 {
		t.Errorf("evicted blocks still attach (%d)", n)
	}
}

func TestTruncateCopyOnWrite(t *testing.T) {
	p := newPool(t, 16, F16)
	prompt := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	a := p.NewSeq(32)
	a.Reserve(9)
	fill(a, 0, 9)
	a.Publish(prompt)
	b := p.NewSeq(32)
	if n := b.AttachPrefix(prompt); n != 8 {
		t.Fatalf("attached %d", n)
	}
	shared := b.Blocks()[1]
	// b truncates into its second (shared) block and rewrites position 6.
	if err := b.Truncate(6); err != nil {
		t.Fatal(err)
	}
	if b.Blocks()[1] == shared {
		t.Fatal("truncating into a shared block did not copy it")
	}
	if got := keyAt(b, 0, 5, 0); math.Abs(float64(got)-5) > 0.01 {
		t.Errorf("copied row = %v, want 5", got)
	}
	b.Reserve(1)
	kd := p.cfg.KVDim()
	k := make([]float32, kd)
	for i := range k {
		k[i] = 1000
	}
	for l := range 2 {
		b.Store(l, 6, k, k)
	}
	b.Advance(7)
	if got := keyAt(a, 0, 6, 0); math.Abs(float64(got)-6) > 0.01 {
		t.Errorf("a's position 6 changed to %v after b rewrote its copy", got)
	}
	// a itself truncating into its own published block un-indexes it.
	if err := a.Truncate(5); err != nil {
		t.Fatal(err)
	}
	c := p.NewSeq(32)
	if n := c.AttachPrefix(prompt); n != 4 {
		t.Errorf("after a truncated its published block, attach gives %d, want 4", n)
	}
}

func TestQ8Accuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 128)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	q := make([]int8, 128)
	s := quantizeHead(q, x)
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	for i, v := range x {
		if d := math.Abs(float64(q[i])*float64(s) - float64(v)); d > m/127/2+1e-6 {
			t.Fatalf("element %d: error %g > half a step %g", i, d, m/127/2)
		}
	}
	if s := quantizeHead(q, make([]float32, 8)); s != 0 {
		t.Errorf("zero vector scale %v", s)
	}
}

func TestBlockBytes(t *testing.T) {
	c := Config{Layers: 30, KVHeads: 5, HeadDim: 128, BlockSize: 16, Type: F16}
	if got, want := c.BlockBytes(), int64(2*2*30*16*640); got != want {
		t.Errorf("f16 block = %d bytes, want %d", got, want)
	}
	c.Type = Q8
	if got, want := c.BlockBytes(), int64(2*(30*16*640+30*16*5*4)); got != want {
		t.Errorf("q8 block = %d bytes, want %d", got, want)
	}
	if n := c.BlocksForBudget(1 << 30); n != int((1<<30)/c.BlockBytes()) {
		t.Errorf("BlocksForBudget = %d", n)
	}
}
