//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// CPU capabilities, computed once. Advanced SIMD (with FCVTL for f16) is
// part of every ARMv8-A core; SDOT (FEAT_DotProd, ARMv8.2 and optional
// there) is detected separately, and the family includes its foundation
// flag so that GODEBUG=cpu.asimd=off switches off every NEON kernel.
// x/sys/cpu reads HWCAP (Linux) or sysctl (macOS); never the ID registers
// directly.
var (
	hasNEON = cpu.ARM64.HasASIMD && cpu.ARM64.HasFP
	hasSDOT = hasNEON && cpu.ARM64.HasASIMDDP
)

// Dispatch bools: the wrappers switch on these once per call (per row
// block), never per element. useSDOT implies useNEON; with useNEON alone
// the integer kernels multiply with SMULL/SMULL2 and accumulate with
// SADALP, which every ARMv8-A core has.
var useNEON, useSDOT bool

func disableAll() { useNEON, useSDOT = false, false }

func init() {
	register("neon", hasNEON, func() { useNEON, useSDOT = true, hasSDOT })
}
