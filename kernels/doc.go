// Package kernels holds the hot loops of the forward pass on raw slices:
// ternary × int8 dot products for the I2_S, TQ2_0 and TQ1_0 layouts, int8
// activation quantization, the f16 head, RMSNorm, RoPE and softmax.
//
// Every function here is the plain-Go reference definition of its kernel and
// works on one row or one range of rows; parallelism is the caller's job
// (package model splits rows across its worker pool). Byte layouts and
// rounding rules follow the specification, ../shared/spec, §2 and §4, and
// the comments cite the ggml or bitnet.cpp function each loop mirrors.
package kernels
