// elementwise.cu: the gated FFN activation for the GEMM (prefill) path.
// The decode path fuses it into i2s_gemv_glu; residual adds are fused
// into the I2_S epilogues (mode 1 of i2s_store).
#include "common.cuh"

// act_mul sets h[t·ldh + n] = act(gu[t·ldgu + n]) · gu[t·ldgu + H + n] for
// n < H over rows t = blockIdx.y: relu(g)² (act 0, kernels.ReluSqrMul) or
// g/(1+e^−g) (act 1, kernels.SiluMul, exp in double as Go's math.Exp).
extern "C" __global__ void act_mul(float* h, int ldh, const float* gu, int ldgu, int H, int act) {
    int t = blockIdx.y;
    for (int n = blockIdx.x * blockDim.x + threadIdx.x; n < H; n += gridDim.x * blockDim.x) {
        float g = gu[(i64)t * ldgu + n], u = gu[(i64)t * ldgu + H + n];
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

// add_f32 sets y[i] += x[i] for i < n (a plain residual add, for callers
// that do not use a fused epilogue).
extern "C" __global__ void add_f32(float* y, const float* x, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] = y[i] + x[i];
}
