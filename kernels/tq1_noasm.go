//go:build (!amd64 && !arm64) || noasm

package kernels

func tq1ToTQ2(dst, src []byte, nblk int) { tq1ToTQ2Generic(dst, src, nblk) }
