// gemv_i2s.cu: W2A8 ternary × int8 products for few tokens (decode and
// small batched decode), over weights repacked by package gpu/cuda
// (repack.go):
//
//	row n of a K-column matrix is K/16 u32 words, word i holding elements
//	16i..16i+15 as 2-bit I2_S codes c ∈ {0,1,2} (t = c − 1); element
//	16i + 4s + b sits at bits 8b + 2s of the word, so (word >> 2s) &
//	0x03030303 holds elements 16i+4s .. 16i+4s+3 in its four bytes, ready
//	for dp4a against four consecutive int8 activations.
//
// A row is K/4 bytes, as in I2_S; K is a multiple of 128, so a row is a
// whole number of 16-byte chunks (64 elements each).
#include "common.cuh"

#define GEMV_MAX_T 8
#define GEMV_WARPS 8

// dot_chunk adds to acc[t] the products of one 16-byte weight chunk (64
// elements starting at element 64c) with tokens 0..T−1.
__device__ __forceinline__ void dot_chunk(int* acc, uint4 wv, const int4* xq4, int ldx4, int c, int T) {
    u32 wd[4] = {wv.x, wv.y, wv.z, wv.w};
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int c0 = (int)(wd[j] & 0x03030303u);
        int c1 = (int)((wd[j] >> 2) & 0x03030303u);
        int c2 = (int)((wd[j] >> 4) & 0x03030303u);
        int c3 = (int)((wd[j] >> 6) & 0x03030303u);
#pragma unroll
        for (int t = 0; t < GEMV_MAX_T; t++) {
            if (t < T) {
                int4 a = __ldg(xq4 + (i64)t * ldx4 + 4 * c + j);
                int s = acc[t];
                s = dp4a(c0, a.x, s);
                s = dp4a(c1, a.y, s);
                s = dp4a(c2, a.z, s);
                s = dp4a(c3, a.w, s);
                acc[t] = s;
            }
        }
    }
}

// i2s_gemv computes out[t·ldo + n] (= or +=, see i2s_store) for rows n <
// N and tokens t < T ≤ 8: one warp per row, each lane a strided set of
// 16-byte chunks, then a shuffle reduction. xq is (T, K) int8, xs and xsum
// the per-token scales and sums from norm_quant; beta (N) holds the
// per-row β (rows of fused matrices have their own tensor's β).
extern "C" __global__ void __launch_bounds__(GEMV_WARPS * WARP)
i2s_gemv(float* out, int ldo, const u32* w, int N, int K, const i8* xq, const float* xs,
         const int* xsum, int T, const float* beta, const float* oscale, const float* bias, int mode) {
    int lane = threadIdx.x % WARP;
    int n = blockIdx.x * GEMV_WARPS + threadIdx.x / WARP;
    if (n >= N) return;
    int nc = K / 64;
    const uint4* wr = (const uint4*)(w + (i64)n * (K / 16));
    const int4* xq4 = (const int4*)xq;
    int acc[GEMV_MAX_T];
#pragma unroll
    for (int t = 0; t < GEMV_MAX_T; t++) acc[t] = 0;
    for (int c = lane; c < nc; c += WARP) {
        uint4 wv = __ldg(wr + c);
        dot_chunk(acc, wv, xq4, K / 16, c, T);
    }
#pragma unroll
    for (int t = 0; t < GEMV_MAX_T; t++) {
        if (t < T) {
            int s = warp_sum_i(acc[t]);
            if (lane == 0) i2s_store(out + (i64)t * ldo + n, s, xsum[t], xs[t], beta[n], oscale, bias, n, mode);
        }
    }
}

// i2s_gemv_glu is i2s_gemv over a fused [gate; up] matrix of 2H rows
// followed by the gated activation (kernels.ReluSqrMul / kernels.SiluMul):
//
//	g = BitLinear(W[n]), u = BitLinear(W[H+n])
//	h[t·ldh + n] = act(g) · u,   act = relu(g)² (act 0) or g/(1+e^−g) (act 1)
//
// for n < H. One warp computes both rows.
extern "C" __global__ void __launch_bounds__(GEMV_WARPS * WARP)
i2s_gemv_glu(float* h, int ldh, const u32* w, int H, int K, const i8* xq, const float* xs,
             const int* xsum, int T, const float* beta, const float* oscale, const float* bias, int act) {
    int lane = threadIdx.x % WARP;
    int n = blockIdx.x * GEMV_WARPS + threadIdx.x / WARP;
    if (n >= H) return;
    int nc = K / 64;
    const uint4* wg = (const uint4*)(w + (i64)n * (K / 16));
    const uint4* wu = (const uint4*)(w + (i64)(H + n) * (K / 16));
    const int4* xq4 = (const int4*)xq;
    int ag[GEMV_MAX_T], au[GEMV_MAX_T];
#pragma unroll
    for (int t = 0; t < GEMV_MAX_T; t++) ag[t] = au[t] = 0;
    for (int c = lane; c < nc; c += WARP) {
        uint4 g4 = __ldg(wg + c);
        uint4 u4 = __ldg(wu + c);
        dot_chunk(ag, g4, xq4, K / 16, c, T);
        dot_chunk(au, u4, xq4, K / 16, c, T);
    }
#pragma unroll
    for (int t = 0; t < GEMV_MAX_T; t++) {
        if (t < T) {
            int sg = warp_sum_i(ag[t]);
            int su = warp_sum_i(au[t]);
            if (lane == 0) {
                float g, u;
                i2s_store(&g, sg, xsum[t], xs[t], beta[n], oscale, bias, n, 0);
                i2s_store(&u, su, xsum[t], xs[t], beta[H + n], oscale, bias, H + n, 0);
                float r;
                if (act == 0) {
                    float v = fmaxf(g, 0.0f);
                    r = (v * v) * u;
                } else {
                    r = g / (1.0f + (float)exp(-(double)g)) * u;
                }
                h[(i64)t * ldh + n] = r;
            }
        }
    }
}
