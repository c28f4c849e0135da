// Package workpool runs data-parallel loops on a fixed set of goroutines.
//
// A Pool is created once (with the number of threads the user asked for) and
// reused for every operation of every token: no goroutine is started per
// operation and Do allocates nothing, so the forward pass stays allocation
// free. Work is described by a Task, usually a pointer to a struct that the
// caller keeps in its long-lived state; converting such a pointer to the
// interface does not allocate.
package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is one parallel loop. Run processes items [lo, hi); worker is in
// [0, Pool.Threads()) and identifies per-worker scratch space. Run is called
// concurrently from different goroutines with disjoint ranges.
type Task interface {
	Run(lo, hi, worker int)
}

// Pool is a persistent set of worker goroutines. Do may be called from one
// goroutine at a time; a Pool must not be used by two forward passes at once.
type Pool struct {
	threads int
	wake    []chan struct{} // one per helper goroutine (threads-1)
	wg      sync.WaitGroup
	closed  atomic.Bool

	// The current job; written by Do before waking helpers, read by them after.
	task  Task
	n     int
	chunk int
	next  atomic.Int64
}

// New starts a pool of threads workers (the calling goroutine counts as one).
// threads <= 0 means runtime.GOMAXPROCS(0).
func New(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads}
	for w := 1; w < threads; w++ {
		ch := make(chan struct{}, 1)
		p.wake = append(p.wake, ch)
		go p.helper(w, ch)
	}
	return p
}

// Threads reports the number of workers, including the caller of Do.
func (p *Pool) Threads() int { return p.threads }

func (p *Pool) helper(worker int, wake chan struct{}) {
	for range wake {
		p.work(worker)
		p.wg.Done()
	}
}

// work claims chunks until none remain.
func (p *Pool) work(worker int) {
	n, chunk := p.n, p.chunk
	for {
		lo := int(p.next.Add(int64(chunk))) - chunk
		if lo >= n {
			return
		}
		p.task.Run(lo, min(lo+chunk, n), worker)
	}
}

// Do runs t over items [0, n) split into chunks of at least minChunk items,
// and returns when every item is done. With one thread, or when n is too
// small to split, t runs on the calling goroutine.
func (p *Pool) Do(n, minChunk int, t Task) {
	if n <= 0 {
		return
	}
	minChunk = max(minChunk, 1)
	helpers := min(len(p.wake), (n-1)/minChunk)
	if helpers <= 0 {
		t.Run(0, n, 0)
		return
	}
	// About four chunks per worker balances uneven chunks without much
	// contention on the counter.
	chunk := max(minChunk, (n+4*(helpers+1)-1)/(4*(helpers+1)))
	p.task, p.n, p.chunk = t, n, chunk
	p.next.Store(0)
	p.wg.Add(helpers)
	for w := range helpers {
		p.wake[w] <- struct{}{}
	}
	p.work(0)
	p.wg.Wait()
	p.task = nil
}

// Close stops the helper goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p.closed.Swap(true) {
		return
	}
	for _, ch := range p.wake {
		close(ch)
	}
}
