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
//
// A decoded token runs a few hundred short loops, so waking the workers
// must be cheap: after a loop, workers spin (yielding now and then) for a
// short while watching for the next one, and only then park on a channel;
// the caller of Do likewise spins until the workers are done. Parking
// keeps an idle pool from burning CPU.
type Pool struct {
	threads int
	helpers []*helper
	closed  atomic.Bool

	// The current job; written by Do before gen is bumped, read by helpers
	// after they see the new generation.
	task    Task
	n       int
	chunk   int
	next    atomic.Int64
	gen     atomic.Uint64 // job generation
	pending atomic.Int32  // helpers not yet done with the current job
}

// helper is one worker goroutine's parking state.
type helper struct {
	wake     chan struct{} // capacity 1
	sleeping atomic.Bool
}

// spinLimit is how many times an idle worker checks for new work before
// parking (tens of microseconds).
const spinLimit = 1 << 14

// New starts a pool of threads workers (the calling goroutine counts as one).
// threads <= 0 means runtime.GOMAXPROCS(0).
func New(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads}
	for w := 1; w < threads; w++ {
		h := &helper{wake: make(chan struct{}, 1)}
		p.helpers = append(p.helpers, h)
		go p.helperLoop(w, h)
	}
	return p
}

// Threads reports the number of workers, including the caller of Do.
func (p *Pool) Threads() int { return p.threads }

func (p *Pool) helperLoop(worker int, h *helper) {
	var seen uint64
	for {
		for spins := 0; p.gen.Load() == seen; spins++ {
			if p.closed.Load() {
				return
			}
			if spins < spinLimit {
				if spins%256 == 255 {
					runtime.Gosched()
				}
				continue
			}
			// Park. Do bumps gen before it looks at sleeping, so either we
			// see the new generation here or Do sees us asleep and wakes us.
			h.sleeping.Store(true)
			if p.gen.Load() != seen || p.closed.Load() {
				if !h.sleeping.CompareAndSwap(true, false) {
					<-h.wake // Do claimed us first: take its token
				}
				continue
			}
			<-h.wake
			spins = 0
		}
		if p.closed.Load() {
			return
		}
		seen = p.gen.Load()
		p.work(worker)
		p.pending.Add(-1)
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
	if len(p.helpers) == 0 || n <= minChunk {
		t.Run(0, n, 0)
		return
	}
	workers := min(len(p.helpers)+1, (n+minChunk-1)/minChunk)
	// About four chunks per worker balances uneven chunks without much
	// contention on the counter.
	chunk := max(minChunk, (n+4*workers-1)/(4*workers))
	p.task, p.n, p.chunk = t, n, chunk
	p.next.Store(0)
	p.pending.Store(int32(len(p.helpers)))
	p.gen.Add(1)
	for _, h := range p.helpers {
		if h.sleeping.Load() && h.sleeping.CompareAndSwap(true, false) {
			h.wake <- struct{}{}
		}
	}
	p.work(0)
	for spins := 0; p.pending.Load() != 0; spins++ {
		if spins%256 == 255 {
			runtime.Gosched()
		}
	}
	p.task = nil
}

// Close stops the helper goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p.closed.Swap(true) {
		return
	}
	for _, h := range p.helpers {
		if h.sleeping.CompareAndSwap(true, false) {
			h.wake <- struct{}{}
		}
	}
}
