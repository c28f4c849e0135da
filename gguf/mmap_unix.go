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
