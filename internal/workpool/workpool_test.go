package workpool

import (
	"sync/atomic"
	"testing"
)

type countTask struct {
	hits    []atomic.Int32
	workers int
}

func (c *countTask) Run(lo, hi, worker int) {
	if worker < 0 || worker >= c.workers {
		panic("bad worker id")
	}
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestDoCoversEveryItemOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := New(threads)
		for _, n := range []int{0, 1, 2, 7, 64, 1000, 4097} {
			for _, minChunk := range []int{0, 1, 16, 5000} {
				c := &countTask{hits: make([]atomic.Int32, n), workers: threads}
				p.Do(n, minChunk, c)
				for i := range c.hits {
					if got := c.hits[i].Load(); got != 1 {
						t.Fatalf("threads=%d n=%d minChunk=%d: item %d ran %d times, want 1", threads, n, minChunk, i, got)
					}
				}
			}
		}
		p.Close()
		p.Close() // idempotent
	}
}

type nopTask struct{ sum atomic.Int64 }

func (t *nopTask) Run(lo, hi, _ int) { t.sum.Add(int64(hi - lo)) }

func TestDoAllocatesNothing(t *testing.T) {
	p := New(4)
	defer p.Close()
	task := &nopTask{}
	allocs := testing.AllocsPerRun(100, func() { p.Do(1000, 8, task) })
	if allocs != 0 {
		t.Errorf("Do allocated %v times per call, want 0", allocs)
	}
}

// BenchmarkDo times one small parallel loop; model-level figures (bitnet bench)
// are what the spinning hand-off is for.
func BenchmarkDo(b *testing.B) {
	p := New(0)
	defer p.Close()
	task := &nopTask{}
	b.ReportAllocs()
	for b.Loop() {
		p.Do(256, 16, task)
	}
}
