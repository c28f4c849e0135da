//go:build (!amd64 && !arm64) || noasm

package kernels

func softmaxScale(x []float32, scale float32) { softmaxScaleGeneric(x, scale) }
