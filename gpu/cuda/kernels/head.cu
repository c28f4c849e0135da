// head.cu: the classifier (logits = E·y, spec §3.1 step 4; CPU
// model.headJob) and greedy selection on the device.
#include "common.cuh"

#define HEAD_MAX_T 8
#define HEAD_WARPS 8

// head_f16 sets logits[t·ldl + n] = Σ_i w[n·D + i]·x[t·ldx + i] for n < V
// and t < T ≤ 8, with w in binary16 and float accumulation (kernels.DotF16;
// x was rounded to f16 by rmsnorm's round16). One warp per vocabulary row,
// 16-byte loads; D is a multiple of 8.
extern "C" __global__ void __launch_bounds__(HEAD_WARPS * WARP)
head_f16(float* logits, int ldl, const u16* w, int V, int D, const float* x, int ldx, int T) {
    int lane = threadIdx.x % WARP;
    int n = blockIdx.x * HEAD_WARPS + threadIdx.x / WARP;
    if (n >= V) return;
    const uint4* wr = (const uint4*)(w + (i64)n * D);
    float acc[HEAD_MAX_T];
#pragma unroll
    for (int t = 0; t < HEAD_MAX_T; t++) acc[t] = 0.0f;
    for (int c = lane; c < D / 8; c += WARP) {
        uint4 wv = __ldg(wr + c);
        u32 wd[4] = {wv.x, wv.y, wv.z, wv.w};
        float wf[8];
#pragma unroll
        for (int j = 0; j < 4; j++) {
            wf[2 * j] = f16_to_f32((u16)(wd[j] & 0xffffu));
            wf[2 * j + 1] = f16_to_f32((u16)(wd[j] >> 16));
        }
#pragma unroll
        for (int t = 0; t < HEAD_MAX_T; t++) {
            if (t < T) {
                const float4* xr = (const float4*)(x + (i64)t * ldx + 8 * c);
                float4 a = xr[0], b = xr[1];
                acc[t] += wf[0] * a.x + wf[1] * a.y + wf[2] * a.z + wf[3] * a.w +
                          wf[4] * b.x + wf[5] * b.y + wf[6] * b.z + wf[7] * b.w;
            }
        }
    }
#pragma unroll
    for (int t = 0; t < HEAD_MAX_T; t++) {
        if (t < T) {
            float s = warp_sum_f(acc[t]);
            if (lane == 0) logits[(i64)t * ldl + n] = s;
        }
    }
}

// head_f32 is head_f16 for a float32 head (F32 files, and BF16/Q8_0/Q6_K
// heads, which the host dequantizes to float32 at load). Any D.
extern "C" __global__ void __launch_bounds__(HEAD_WARPS * WARP)
head_f32(float* logits, int ldl, const float* w, int V, int D, const float* x, int ldx, int T) {
    int lane = threadIdx.x % WARP;
    int n = blockIdx.x * HEAD_WARPS + threadIdx.x / WARP;
    if (n >= V) return;
    const float* wr = w + (i64)n * D;
    float acc[HEAD_MAX_T];
#pragma unroll
    for (int t = 0; t < HEAD_MAX_T; t++) acc[t] = 0.0f;
    for (int i = lane; i < D; i += WARP) {
        float wv = __ldg(wr + i);
#pragma unroll
        for (int t = 0; t < HEAD_MAX_T; t++)
            if (t < T) acc[t] += wv * x[(i64)t * ldx + i];
    }
#pragma unroll
    for (int t = 0; t < HEAD_MAX_T; t++) {
        if (t < T) {
            float s = warp_sum_f(acc[t]);
            if (lane == 0) logits[(i64)t * ldl + n] = s;
        }
    }
}

// argmax writes out[t] = the smallest index of the largest of logits[t·ld
// .. t·ld+V) for row t = blockIdx.x (greedy decoding without copying the
// logits to the host). Blocks of 1024 threads.
extern "C" __global__ void __launch_bounds__(1024) argmax(int* out, const float* logits, int ld, int V) {
    __shared__ float bv[32];
    __shared__ int bi[32];
    const float* x = logits + (i64)blockIdx.x * ld;
    float best = NEG_INF;
    int idx = 0x7fffffff;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float v = x[i];
        if (v > best || (v == best && i < idx)) {
            best = v;
            idx = i;
        }
    }
    for (int o = WARP / 2; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, best, o);
        int oi = __shfl_xor_sync(0xffffffffu, idx, o);
        if (ov > best || (ov == best && oi < idx)) {
            best = ov;
            idx = oi;
        }
    }
    int lane = threadIdx.x % WARP, w = threadIdx.x / WARP;
    if (lane == 0) {
        bv[w] = best;
        bi[w] = idx;
    }
    __syncthreads();
    if (w == 0) {
        int nw = blockDim.x / WARP;
        best = lane < nw ? bv[lane] : NEG_INF;
        idx = lane < nw ? bi[lane] : 0x7fffffff;
        for (int o = WARP / 2; o > 0; o >>= 1) {
            float ov = __shfl_xor_sync(0xffffffffu, best, o);
            int oi = __shfl_xor_sync(0xffffffffu, idx, o);
            if (ov > best || (ov == best && oi < idx)) {
                best = ov;
                idx = oi;
            }
        }
        if (lane == 0) out[blockIdx.x] = idx;
    }
}
