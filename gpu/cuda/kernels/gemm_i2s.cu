// gemm_i2s.cu: the W2A8 ternary × int8 product for many tokens (prefill
// and large decode batches), over the repacked layout of gemv_i2s.cu.
// Integer results equal those of i2s_gemv and of the CPU kernels exactly;
// only the float epilogue (identical operations) follows.
#include "common.cuh"

#define GEMM_BN 64   // output rows per block
#define GEMM_BT 32   // tokens per block
#define GEMM_BKW 8   // u32 weight words per row per k step (128 elements)

// i2s_gemm computes out[t·ldo + n] (= or +=, see i2s_store) for n < N, t <
// T. Block (bx, by) covers rows 64bx.. and tokens 32by..; thread tid owns
// row tid%64 and the 8 tokens 8(tid/64).. of the tile. Each k step stages
// 64 rows × 128 weights and 32 tokens × 128 activations in shared memory.
extern "C" __global__ void __launch_bounds__(256)
i2s_gemm(float* out, int ldo, const u32* w, int N, int K, const i8* xq, const float* xs,
         const int* xsum, int T, const float* beta, const float* oscale, const float* bias, int mode) {
    __shared__ u32 ws[GEMM_BN][GEMM_BKW + 1];
    __shared__ int xsm[GEMM_BT][GEMM_BKW * 4];
    int tid = threadIdx.x;
    int n0 = blockIdx.x * GEMM_BN, t0 = blockIdx.y * GEMM_BT;
    int r = tid % GEMM_BN, tg = tid / GEMM_BN;
    int kw = K / 16;           // words per weight row
    int kx = K / 4;            // int32 words per activation row
    const int* xq32 = (const int*)xq;
    int acc[8];
#pragma unroll
    for (int i = 0; i < 8; i++) acc[i] = 0;
    for (int k0 = 0; k0 < kw; k0 += GEMM_BKW) {
        // Stage weights: 64 rows × 8 words, two words per thread.
        for (int e = tid; e < GEMM_BN * GEMM_BKW; e += 256) {
            int rr = e / GEMM_BKW, ww = e % GEMM_BKW;
            int n = n0 + rr;
            ws[rr][ww] = (n < N) ? __ldg(w + (i64)n * kw + k0 + ww) : 0u;
        }
        // Stage activations: 32 tokens × 32 int32 (128 int8), four per thread.
        for (int e = tid; e < GEMM_BT * GEMM_BKW * 4; e += 256) {
            int tt = e / (GEMM_BKW * 4), ww = e % (GEMM_BKW * 4);
            int t = t0 + tt;
            xsm[tt][ww] = (t < T) ? __ldg(xq32 + (i64)t * kx + 4 * k0 + ww) : 0;
        }
        __syncthreads();
#pragma unroll
        for (int i = 0; i < GEMM_BKW; i++) {
            u32 wd = ws[r][i];
#pragma unroll
            for (int s = 0; s < 4; s++) {
                int cw = (int)((wd >> (2 * s)) & 0x03030303u);
#pragma unroll
                for (int j = 0; j < 8; j++) acc[j] = dp4a(cw, xsm[tg * 8 + j][4 * i + s], acc[j]);
            }
        }
        __syncthreads();
    }
    int n = n0 + r;
    if (n >= N) return;
#pragma unroll
    for (int j = 0; j < 8; j++) {
        int t = t0 + tg * 8 + j;
        if (t < T) i2s_store(out + (i64)t * ldo + n, acc[j], xsum[t], xs[t], beta[n], oscale, bias, n, mode);
    }
}
