//go:build unix

package gguf

import (
	"errors"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mmapSupported reports whether Open maps files on this platform.
const mmapSupported = true

// mmapFile maps size bytes of f read-only and shared (spec §1.6) and returns
// the mapping and a function that unmaps it. The mapping stays valid after
// f is closed.
func mmapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 || size > math.MaxInt {
		return nil, nil, errors.New("size not mappable")
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return unix.Munmap(b) }, nil
}

// madvHugepage is MADV_HUGEPAGE (Linux); other unix systems ignore or
// reject it, which is harmless.
const madvHugepage = 14

// readAnon reads size bytes of f into private anonymous memory advised for
// transparent huge pages, and returns it with a function that frees it.
func readAnon(f *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 || size > math.MaxInt {
		return nil, nil, errors.New("size not mappable")
	}
	b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, nil, err
	}
	_ = unix.Madvise(b, madvHugepage) // best effort
	if _, err := f.ReadAt(b, 0); err != nil {
		unix.Munmap(b)
		return nil, nil, err
	}
	return b, func() error { return unix.Munmap(b) }, nil
}
