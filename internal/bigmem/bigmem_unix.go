//go:build unix

package bigmem

import "golang.org/x/sys/unix"

// madvHugepage is MADV_HUGEPAGE on Linux; elsewhere the advice is refused
// or ignored, which is harmless.
const madvHugepage = 14

func alloc(n int) ([]byte, func(), bool) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, nil, false
	}
	_ = unix.Madvise(b, madvHugepage)
	return b, func() { unix.Munmap(b) }, true
}
