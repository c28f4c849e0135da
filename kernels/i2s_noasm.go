//go:build (!amd64 && !arm64) || noasm

package kernels

func i2sDot(row []byte, q []int8) int32 { return i2sDotGeneric(row, q) }

func i2sMatMul(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	i2sMatMulGeneric(out, ldo, w, rows, K, q, qsum)
}
