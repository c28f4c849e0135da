// Package kernels holds the hot loops of the forward pass on raw slices:
// ternary × int8 dot products for the I2_S, TQ2_0 and TQ1_0 layouts, int8
// activation quantization, the f16 and Q8_0 heads, RMSNorm, RoPE, the FFN
// activations, softmax and the attention sums over the f16 and q8 KV cache.
//
// Every exported function works on one row or one range of rows;
// parallelism is the caller's job (package model splits rows across its
// worker pool). Byte layouts and rounding rules follow the specification,
// ../shared/spec, §2 and §4, and the comments cite the ggml or bitnet.cpp
// function each loop mirrors.
//
// # Rooms
//
// Each file holds one concept: norm.go (RMSNorm), rope.go (the RoPE angles
// and rotations), ffnact.go (the gated FFN activations relu² and SiLU),
// actquant.go (int8 activation quantization), softmax.go, and one family
// of files per kernel family (i2s, tq1, tq2, q8, q8mm, f16, f16mm, kvq8,
// wsum), laid out as below.
//
// # Files of a kernel family, and the fallback convention
//
// Take the family xyz:
//
//   - xyz.go (no build tag): the exported API and its doc comment. It
//     checks every length precondition, panicking with a message that
//     names the argument, then calls the unexported xyz kernel.
//   - The reference twin: xyzGeneric, plain Go with no build tag, in
//     xyz_generic.go (or beside the API in xyz.go for the short ones). It
//     is the definition: every build compiles it and every test compares
//     the assembly against it.
//   - xyz_amd64.go and xyz_arm64.go (//go:build !noasm): the //go:noescape
//     declarations of xyz_amd64.s and xyz_arm64.s, each with the Go loop it
//     implements in its doc comment, and the unexported kernel as a switch
//     on the dispatch bools, per row block, falling back to xyzGeneric.
//     Every .s file carries //go:build !noasm too.
//   - xyz_noasm.go (//go:build (!amd64 && !arm64) || noasm): forwards the
//     unexported kernel to xyzGeneric. There is one fallback suffix,
//     _noasm, and this one constraint; -tags noasm gives the pure-Go build
//     on every architecture.
//
// The dispatch bools (useAVX2, useVNNI on amd64; useNEON, useSDOT on
// arm64) are set from golang.org/x/sys/cpu once, at start-up, in
// cpu_amd64.go, cpu_arm64.go and cpu_noasm.go. Each family of
// instructions registers itself in impl.go's registry; Select (backing
// --kernels and the BITNET_KERNELS environment variable, read in init)
// switches every kernel at once, and Active names the kernel set in use.
// Select must not run concurrently with kernels. Nothing else changes the
// dispatch, and no kernel reads CPU features itself.
//
// Every kernel has an equivalence test that runs it under each available
// implementation (forEachImpl in impl_test.go) against the reference twin:
// integer results must be equal, float results equal bit for bit where
// the kernel documents the same order of operations, or within a
// tolerance written beside the test. CI runs the tests plain, with -tags
// noasm, and on arm64 under qemu.
package kernels
