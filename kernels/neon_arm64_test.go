//go:build !noasm

package kernels

import "testing"

// TestNEONWithoutSDOT reruns the integer equivalence tests with the SDOT
// kernels switched off, so a core with FEAT_DotProd also checks the
// SMULL/SADALP kernels that cores without it (Cortex-A53/A72) run.
func TestNEONWithoutSDOT(t *testing.T) {
	if !hasSDOT {
		t.Skip("no SDOT on this CPU: the other tests already run the SMULL/SADALP kernels")
	}
	hasSDOT = false
	defer func() {
		hasSDOT = true
		Select("auto")
	}()
	t.Run("I2S", TestI2SEquivalence)
	t.Run("I2STileEdges", TestI2STileEdges)
	t.Run("I2SAllCodes", TestI2SAllCodes)
	t.Run("U8I8", TestMatVecU8I8)
	t.Run("TQ2", TestTQ2Equivalence)
}
