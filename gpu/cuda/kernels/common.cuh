// common.cuh: types and helpers shared by every kernel file of package
// gpu/cuda. The Go side replaces the line `#include "common.cuh"` of each
// .cu file with this text before NVRTC compiles it, and NVRTC is given no
// include path, so nothing here may include a header: NVRTC 11.x ships no
// standard headers and no cuda_fp16.h.
//
// Numerics follow the CPU engine (package kernels) step by step; the file
// of each kernel names the Go function it mirrors. Programs are compiled
// with --fmad=false so that a*b+c rounds twice, as Go does on amd64.

typedef signed char i8;
typedef unsigned char u8;
typedef unsigned short u16;
typedef int i32;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;

#define WARP 32
#define NEG_INF __int_as_float(0xff800000)

// f16_to_f32 converts IEEE binary16 bits to float (exact).
__device__ __forceinline__ float f16_to_f32(u16 h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

// f32_to_f16 rounds to the nearest binary16, ties to even (quant.F32ToF16).
__device__ __forceinline__ u16 f32_to_f16(float f) {
    u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

// dp4a returns c + Σ_i a.byte[i]·b.byte[i] over signed bytes.
__device__ __forceinline__ int dp4a(int a, int b, int c) {
    int d;
    asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
    return d;
}

__device__ __forceinline__ float warp_sum_f(float v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ int warp_sum_i(int v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max_f(float v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide reductions for blocks of at most 1024 threads (a multiple of
// 32). buf needs 32 elements of shared memory; every thread gets the result.
__device__ __forceinline__ double block_sum_d(double v, double* buf) {
    int lane = threadIdx.x % WARP, w = threadIdx.x / WARP, nw = blockDim.x / WARP;
    v = warp_sum_d(v);
    __syncthreads();
    if (lane == 0) buf[w] = v;
    __syncthreads();
    v = lane < nw ? buf[lane] : 0.0;
    return warp_sum_d(v);
}

__device__ __forceinline__ float block_max_f(float v, float* buf) {
    int lane = threadIdx.x % WARP, w = threadIdx.x / WARP, nw = blockDim.x / WARP;
    v = warp_max_f(v);
    __syncthreads();
    if (lane == 0) buf[w] = v;
    __syncthreads();
    v = lane < nw ? buf[lane] : NEG_INF;
    return warp_max_f(v);
}

__device__ __forceinline__ int block_sum_i(int v, int* buf) {
    int lane = threadIdx.x % WARP, w = threadIdx.x / WARP, nw = blockDim.x / WARP;
    v = warp_sum_i(v);
    __syncthreads();
    if (lane == 0) buf[w] = v;
    __syncthreads();
    v = lane < nw ? buf[lane] : 0;
    return warp_sum_i(v);
}

// I2_S epilogue shared by the GEMV and GEMM kernels (spec §4.3, CPU
// model.linearJob): y = (float)(Σc·q − Σq) / s · β, then the optional
// per-projection scale and bias, then store (mode 0) or add to out (mode 1,
// the residual add x += y of spec §3.1 steps 2.8 and 2.13).
__device__ __forceinline__ void i2s_store(float* out, int acc, int qsum, float xs, float beta,
                                           const float* oscale, const float* bias, int n, int mode) {
    float y = (float)(acc - qsum) / xs * beta;
    if (oscale) y = y * oscale[n];
    if (bias) y = y + bias[n];
    if (mode == 1) *out = *out + y; else *out = y;
}
