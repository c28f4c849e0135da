//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// peakRSS returns the process's peak resident set size in bytes
// (getrusage ru_maxrss: kilobytes on Linux and the BSDs, bytes on Darwin).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// readAnon reads the file into private anonymous memory advised for
// transparent huge pages (--mmap=false). On a VM a file mapping's 4 KiB
// pages cost a nested page walk every 4 KiB of weights, and the hardware
// prefetchers stop at each page boundary: decoding reads the weights at
// less than half the speed it reaches on 2 MiB pages. The memory is never
// freed (the benchmark process exits).
func readAnon(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n := int(fi.Size())
	if n == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS == "linux" {
		_ = unix.Madvise(b, 14) // MADV_HUGEPAGE (Linux only, so not a named constant here); best effort
	}
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}
