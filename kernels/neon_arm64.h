// Instructions that the Go arm64 assembler (Go 1.26) does not know, encoded
// with WORD. The arguments are vector register numbers (0..31 for V0..V31)
// in the order of the ARM mnemonic (destination first). Each encoding is the
// base opcode from the Arm Architecture Reference Manual (A64, C7.2) with
// the register fields ORed in (Rd bits 4..0, Rn bits 9..5, Rm bits 20..16),
// and was checked with llvm-mc -triple=aarch64 -mattr=+dotprod
// -show-encoding and with llvm-objdump on the built test binary.

// SDOT Vd.4S, Vn.16B, Vm.16B (FEAT_DotProd): each 32-bit lane of d gains
// the sum of four signed byte products.
//	0x4e809400 | m<<16 | n<<5 | d
#define SDOT(d, n, m) WORD $(0x4e809400 | (m)<<16 | (n)<<5 | (d))

// SMULL Vd.8H, Vn.8B, Vm.8B: signed 8×8→16-bit products of the low halves.
//	0x0e20c000 | m<<16 | n<<5 | d
#define SMULL(d, n, m) WORD $(0x0e20c000 | (m)<<16 | (n)<<5 | (d))

// SMULL2 Vd.8H, Vn.16B, Vm.16B: the same for the high halves.
//	0x4e20c000 | m<<16 | n<<5 | d
#define SMULL2(d, n, m) WORD $(0x4e20c000 | (m)<<16 | (n)<<5 | (d))

// SADALP Vd.4S, Vn.8H: d[i] += n[2i] + n[2i+1] (signed, widened).
//	0x4e606800 | n<<5 | d
#define SADALP(d, n) WORD $(0x4e606800 | (n)<<5 | (d))

// SDOTN is SDOT for cores without FEAT_DotProd (every ARMv8-A core has
// SMULL and SADALP): the same four products per 32-bit lane, summed in
// another lane order, so only full horizontal sums of d are meaningful.
// Each product must fit in int16, which every int8 × int8 product does
// (|n·m| ≤ 16384). Clobbers V29 and V30.
#define SDOTN(d, n, m) \
	SMULL(29, n, m); \
	SMULL2(30, n, m); \
	SADALP(d, 29); \
	SADALP(d, 30)

// FCVTL Vd.4S, Vn.4H: widen the low four binary16 lanes to float32.
//	0x0e217800 | n<<5 | d
#define FCVTL(d, n) WORD $(0x0e217800 | (n)<<5 | (d))

// FCVTL2 Vd.4S, Vn.8H: widen the high four binary16 lanes to float32.
//	0x4e217800 | n<<5 | d
#define FCVTL2(d, n) WORD $(0x4e217800 | (n)<<5 | (d))

// FMUL Vd.4S, Vn.4S, Vm.4S (rounded product, no fusion).
//	0x6e20dc00 | m<<16 | n<<5 | d
#define FMUL4S(d, n, m) WORD $(0x6e20dc00 | (m)<<16 | (n)<<5 | (d))

// FADD Vd.4S, Vn.4S, Vm.4S.
//	0x4e20d400 | m<<16 | n<<5 | d
#define FADD4S(d, n, m) WORD $(0x4e20d400 | (m)<<16 | (n)<<5 | (d))

// FADDP Sd, Vn.2S: d = n[0] + n[1] (scalar pairwise add).
//	0x7e30d800 | n<<5 | d
#define FADDP2S(d, n) WORD $(0x7e30d800 | (n)<<5 | (d))

// FADDP Vd.4S, Vn.4S, Vm.4S: d = {n0+n1, n2+n3, m0+m1, m2+m3}.
//	0x6e20d400 | m<<16 | n<<5 | d
#define FADDP4S(d, n, m) WORD $(0x6e20d400 | (m)<<16 | (n)<<5 | (d))
