//go:build !noasm

package kernels

// arm64 has no kernel for this family yet; it forwards to generic, as the
// noasm build does.
func tq1ToTQ2(dst, src []byte, nblk int) { tq1ToTQ2Generic(dst, src, nblk) }
