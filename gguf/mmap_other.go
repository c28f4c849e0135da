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
