package model

import "github.com/bitnet-go/bitnet/kernels"

// dotI2SForTest is the decode-path kernel, exposed to the tests.
func dotI2SForTest(row []byte, q []int8) int32 { return kernels.DotI2S(row, q) }
