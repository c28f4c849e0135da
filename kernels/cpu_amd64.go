//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// CPU capabilities, computed once. Each family includes its foundation flag:
// GODEBUG clears x/sys/cpu flags independently, so cpu.avx512f=off or
// cpu.avx2=off must switch off everything built on it. x/sys/cpu already
// checks OS support of the register state (XGETBV).
var (
	hasAVX2 = cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C
	hasVNNI = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW &&
		cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
)

// Dispatch bools: the wrappers switch on these once per call (per row
// block), never per element.
var useAVX2, useVNNI bool

func disableAll() { useAVX2, useVNNI = false, false }

func init() {
	register("avx2", hasAVX2, func() { useAVX2 = true })
	register("avx512vnni", hasVNNI, func() { useAVX2, useVNNI = true, true })
}
