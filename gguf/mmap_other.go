//go:build !unix

package gguf

import (
	"errors"
	"os"
)

// mmapSupported reports whether Open maps files on this platform.
const mmapSupported = false

// mmapFile is unavailable on this platform; Open falls back to ReadAt.
func mmapFile(f *os.File, size int64) ([]byte, func() error, error) {
	return nil, nil, errors.New("mmap not supported on this platform")
}

// readAnon reads f into an ordinary heap buffer on this platform.
func readAnon(f *os.File, size int64) ([]byte, func() error, error) {
	if size < 0 || int64(int(size)) != size {
		return nil, nil, errors.New("file too large")
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}
