package testutil

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestLimitWriter(t *testing.T) {
	var buf bytes.Buffer
	w := &LimitWriter{W: &buf, N: 5}
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	if n, err := w.Write([]byte("defg")); n != 2 || !errors.Is(err, ErrWriteLimit) {
		t.Fatalf("crossing write: %d, %v", n, err)
	}
	if n, err := w.Write([]byte("h")); n != 0 || !errors.Is(err, ErrWriteLimit) {
		t.Fatalf("after the limit: %d, %v", n, err)
	}
	if buf.String() != "abcde" {
		t.Fatalf("passed through %q", buf.String())
	}
}

func TestRandomTernary(t *testing.T) {
	seen := map[int8]int{}
	for _, v := range RandomTernary(rand.New(rand.NewPCG(1, 2)), 3000) {
		seen[v]++
	}
	for _, v := range []int8{-1, 0, 1} {
		if seen[v] < 800 {
			t.Errorf("value %d drawn %d times of 3000", v, seen[v])
		}
	}
	if len(seen) != 3 {
		t.Errorf("values drawn: %v", seen)
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	done := make(chan bool)
	for range 4 {
		go func() { b.Write([]byte("xy")); done <- true }()
	}
	for range 4 {
		<-done
	}
	if b.String() != "xyxyxyxy" {
		t.Fatalf("got %q", b.String())
	}
}
