// Package testutil holds small helpers that the tests of several packages
// need: a writer that fails like a full disk, a goroutine-safe buffer, and
// random ternary weights. It imports only the standard library.
package testutil

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
)

// ErrWriteLimit is the error of a LimitWriter whose budget is spent.
var ErrWriteLimit = errors.New("testutil: write limit reached")

// LimitWriter passes the first N bytes to W, then fails every write with
// ErrWriteLimit, as a full disk does; a write that crosses the limit writes
// the bytes that fit and reports how many.
type LimitWriter struct {
	W io.Writer
	N int
}

func (l *LimitWriter) Write(p []byte) (int, error) {
	if len(p) > l.N {
		k, _ := l.W.Write(p[:l.N])
		l.N = 0
		return k, ErrWriteLimit
	}
	l.N -= len(p)
	return l.W.Write(p)
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers, such as a
// server's log under test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what has been written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// RandomTernary returns n weights drawn uniformly from {−1, 0, 1}.
func RandomTernary(r *rand.Rand, n int) []int8 {
	t := make([]int8, n)
	for i := range t {
		t[i] = int8(r.IntN(3)) - 1
	}
	return t
}
