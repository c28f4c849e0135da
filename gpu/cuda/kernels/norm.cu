// norm.cu: RMSNorm and per-token int8 activation quantization.
#include "common.cuh"

// rmsnorm_row computes y_i = (x_i · r) · w_i with r = 1/sqrt(mean(x²)+eps),
// the squares summed in double and mean, r in float (kernels.RMSNorm).
// Returns r; every thread gets it.
__device__ __forceinline__ float rms_factor(const float* x, int n, float eps, double* dbuf) {
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float v = x[i];
        s += (double)(v * v);
    }
    s = block_sum_d(s, dbuf);
    float mean = (float)(s / (double)n);
    return 1.0f / (float)sqrt((double)(mean + eps));
}

// rmsnorm writes y = RMSNorm(x; w) for rows blockIdx.x of x (rows × n,
// row-major, leading dimensions ldx and ldy). With round16 != 0 the output
// is rounded to binary16 precision (kernels.RoundF16: ggml feeds an F16
// head f16 activations). rows[] (optional) maps block b to the source row
// rows[b]; destination row is b. One block per row.
extern "C" __global__ void rmsnorm(float* y, int ldy, const float* x, int ldx, const int* rows,
                                   const float* w, int n, float eps, int round16) {
    __shared__ double dbuf[32];
    int b = blockIdx.x;
    int src = rows ? rows[b] : b;
    const float* xr = x + (i64)src * ldx;
    float* yr = y + (i64)b * ldy;
    float r = rms_factor(xr, n, eps, dbuf);
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float v = (xr[i] * r) * w[i];
        if (round16) v = f16_to_f32(f32_to_f16(v));
        yr[i] = v;
    }
}

// norm_quant is RMSNorm (when w != NULL) followed by int8 quantization of
// each row, fused (kernels.RMSNorm then kernels.QuantizeI8, spec §4.2):
//
//	y   = w ? RMSNorm(x; w) : x                   (float, as the CPU)
//	m   = max(1e-5, max_i |y_i|)
//	s   = (float)(127.0 / (double)m)
//	q_i = clamp(rint_half_even(y_i · s), −128, 127)   (product in float)
//	xs[row] = s, xsum[row] = Σ q_i
//
// y is recomputed in each pass rather than stored: the same float
// operations give the same bits. One block per row; x is (rows, n) with
// leading dimension ldx, q is (rows, n) packed.
extern "C" __global__ void norm_quant(i8* q, float* xs, int* xsum, const float* x, int ldx,
                                      const float* w, int n, float eps) {
    __shared__ double dbuf[32];
    __shared__ float fbuf[32];
    __shared__ int ibuf[32];
    int row = blockIdx.x;
    const float* xr = x + (i64)row * ldx;
    float r = 1.0f;
    if (w) r = rms_factor(xr, n, eps, dbuf);
    float m = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float v = w ? (xr[i] * r) * w[i] : xr[i];
        m = fmaxf(m, fabsf(v));
    }
    m = block_max_f(m, fbuf);
    double md = (double)m;
    if (md < 1e-5) md = 1e-5;
    float s = (float)(127.0 / md);
    int sum = 0;
    i8* qr = q + (i64)row * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float v = w ? (xr[i] * r) * w[i] : xr[i];
        int k = __float2int_rn(v * s);
        k = min(max(k, -128), 127);
        qr[i] = (i8)k;
        sum += k;
    }
    sum = block_sum_i(sum, ibuf);
    if (threadIdx.x == 0) {
        xs[row] = s;
        xsum[row] = sum;
    }
}
