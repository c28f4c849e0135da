// attention.cu: causal GQA attention over the paged f16 KV cache (spec
// §3.1 step 2.5, §3.5; CPU model.attendHead):
//
//	s_p = (q_h · k_{g,p}) · 1/√hd     for p ≤ pos, g = h / kvMul
//	o_h = Σ_p softmax(s)_p · v_{g,p}
//
// computed with the online (streaming) softmax: a running maximum m, sum l
// and unnormalised output, rescaled by exp(m_old − m_new) as the maximum
// grows. The result equals the CPU's two-pass softmax up to float rounding.
//
// Keys and values of position p of a row live in block blockTable[row ·
// maxBlocks + p/bs] at row p%bs: element ((blk·nLayers + layer)·bs +
// p%bs)·kvDim + g·hd + i of kc / vc. hd is a multiple of 32, at most 256.
#include "common.cuh"

#define ATT_MAXD 8      // hd/32 values per lane
#define ATT_WARPS 4     // warps per attn_decode block
#define PF_ROWS 16      // query rows per attn_prefill tile
#define PF_WARPS 8      // warps per attn_prefill block
#define PF_KV 32        // positions staged per attn_prefill step

__device__ __forceinline__ i64 kv_off(const int* bt, int p, int bs, int layer, int nLayers, int kvDim) {
    int blk = bt[p / bs];
    return (((i64)blk * nLayers + layer) * bs + p % bs) * kvDim;
}

// online_update folds score s with value row v (f16, lane-strided) into the
// running (m, l, acc).
__device__ __forceinline__ void online_update(float s, const u16* v, int nd, float& m, float& l, float* acc) {
    int lane = threadIdx.x % WARP;
    float mn = fmaxf(m, s);
    float corr = (m == NEG_INF) ? 0.0f : expf(m - mn);
    float e = expf(s - mn);
    l = l * corr + e;
#pragma unroll
    for (int i = 0; i < ATT_MAXD; i++)
        if (i < nd) acc[i] = acc[i] * corr + e * f16_to_f32(v[lane + WARP * i]);
    m = mn;
}

// attn_decode handles query head h = blockIdx.x of row rows[blockIdx.y]
// over positions [chunk·z, chunk·(z+1)) ∩ [0, pos] with z = blockIdx.z
// (split-K, "flash-decoding": long contexts spread over nsplit blocks per
// head). With nsplit == 1 it writes o (row-major, leading dimension ldo,
// head h at column h·hd) directly; otherwise it writes the partial (m, l,
// acc[hd]) to part[((y·nHeads + h)·nsplit + z)·(hd+2)] for attn_combine.
extern "C" __global__ void __launch_bounds__(ATT_WARPS * WARP)
attn_decode(float* o, int ldo, const float* qkv, int ldq, const int* rows, const int* rowPos,
            const int* blockTable, int maxBlocks, const u16* kc, const u16* vc, int layer, int nLayers,
            int bs, int nHeads, int kvMul, int hd, int kvDim, float scale, int chunk, int nsplit, float* part) {
    __shared__ float wm[ATT_WARPS], wl[ATT_WARPS];
    __shared__ float wacc[ATT_WARPS][ATT_MAXD * WARP];
    int h = blockIdx.x, y = blockIdx.y, z = blockIdx.z;
    int r = rows[y];
    int pos = rowPos[r];
    int g = h / kvMul;
    int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    int nd = hd / WARP;
    const int* bt = blockTable + (i64)r * maxBlocks;
    float q[ATT_MAXD], acc[ATT_MAXD];
    const float* qr = qkv + (i64)r * ldq + h * hd;
#pragma unroll
    for (int i = 0; i < ATT_MAXD; i++) {
        q[i] = i < nd ? qr[lane + WARP * i] : 0.0f;
        acc[i] = 0.0f;
    }
    float m = NEG_INF, l = 0.0f;
    int p0 = z * chunk, p1 = min(p0 + chunk, pos + 1);
    for (int p = p0 + warp; p < p1; p += ATT_WARPS) {
        i64 off = kv_off(bt, p, bs, layer, nLayers, kvDim) + g * hd;
        float s = 0.0f;
#pragma unroll
        for (int i = 0; i < ATT_MAXD; i++)
            if (i < nd) s += q[i] * f16_to_f32(kc[off + lane + WARP * i]);
        s = warp_sum_f(s) * scale;
        online_update(s, vc + off, nd, m, l, acc);
    }
    if (lane == 0) {
        wm[warp] = m;
        wl[warp] = l;
    }
#pragma unroll
    for (int i = 0; i < ATT_MAXD; i++)
        if (i < nd) wacc[warp][lane + WARP * i] = acc[i];
    __syncthreads();
    float M = NEG_INF;
    for (int w = 0; w < ATT_WARPS; w++) M = fmaxf(M, wm[w]);
    float L = 0.0f;
    for (int w = 0; w < ATT_WARPS; w++)
        if (wm[w] != NEG_INF) L += wl[w] * expf(wm[w] - M);
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        float O = 0.0f;
        for (int w = 0; w < ATT_WARPS; w++)
            if (wm[w] != NEG_INF) O += wacc[w][i] * expf(wm[w] - M);
        if (nsplit == 1) {
            o[(i64)r * ldo + h * hd + i] = O / L;
        } else {
            float* pp = part + (((i64)y * nHeads + h) * nsplit + z) * (hd + 2);
            pp[2 + i] = O;
            if (i == 0) {
                pp[0] = M;
                pp[1] = L;
            }
        }
    }
}

// attn_combine merges the nsplit partials of attn_decode for head
// blockIdx.x of row rows[blockIdx.y]:
//
//	M = max_z m_z,  L = Σ_z l_z e^{m_z − M},  o = Σ_z acc_z e^{m_z − M} / L
extern "C" __global__ void attn_combine(float* o, int ldo, const int* rows, const float* part, int nHeads, int hd,
                                        int nsplit) {
    int h = blockIdx.x, y = blockIdx.y;
    int r = rows[y];
    const float* pp = part + ((i64)y * nHeads + h) * nsplit * (hd + 2);
    float M = NEG_INF;
    for (int z = 0; z < nsplit; z++) M = fmaxf(M, pp[z * (hd + 2)]);
    float L = 0.0f;
    for (int z = 0; z < nsplit; z++) {
        float mz = pp[z * (hd + 2)];
        if (mz != NEG_INF) L += pp[z * (hd + 2) + 1] * expf(mz - M);
    }
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        float O = 0.0f;
        for (int z = 0; z < nsplit; z++) {
            float mz = pp[z * (hd + 2)];
            if (mz != NEG_INF) O += pp[z * (hd + 2) + 2 + i] * expf(mz - M);
        }
        o[(i64)r * ldo + h * hd + i] = O / L;
    }
}

// attn_prefill handles query head h = blockIdx.x for a tile of up to 16
// consecutive rows of one sequence at consecutive positions: tiles[2b] is
// the first row of tile b = blockIdx.y and tiles[2b+1] its row count. Each
// step stages 32 positions of k and v (f16) in shared memory once for all
// the tile's rows; warp w owns rows w and w+8 of the tile.
extern "C" __global__ void __launch_bounds__(PF_WARPS * WARP)
attn_prefill(float* o, int ldo, const float* qkv, int ldq, const int* tiles, const int* rowPos,
             const int* blockTable, int maxBlocks, const u16* kc, const u16* vc, int layer, int nLayers,
             int bs, int nHeads, int kvMul, int hd, int kvDim, float scale) {
    __shared__ u16 ks[PF_KV][ATT_MAXD * WARP];
    __shared__ u16 vs[PF_KV][ATT_MAXD * WARP];
    int h = blockIdx.x, b = blockIdx.y;
    int row0 = tiles[2 * b], nrows = tiles[2 * b + 1];
    int g = h / kvMul;
    int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    int nd = hd / WARP;
    const int* bt = blockTable + (i64)row0 * maxBlocks;
    int last = rowPos[row0 + nrows - 1];

    float q[2][ATT_MAXD], acc[2][ATT_MAXD], m[2], l[2];
    int pos[2];
#pragma unroll
    for (int j = 0; j < 2; j++) {
        int rr = warp + PF_WARPS * j;
        pos[j] = rr < nrows ? rowPos[row0 + rr] : -1;
        m[j] = NEG_INF;
        l[j] = 0.0f;
        const float* qr = qkv + (i64)(row0 + rr) * ldq + h * hd;
#pragma unroll
        for (int i = 0; i < ATT_MAXD; i++) {
            q[j][i] = (rr < nrows && i < nd) ? qr[lane + WARP * i] : 0.0f;
            acc[j][i] = 0.0f;
        }
    }
    for (int c0 = 0; c0 <= last; c0 += PF_KV) {
        int np = min(PF_KV, last + 1 - c0);
        for (int e = threadIdx.x; e < np * hd; e += blockDim.x) {
            int p = e / hd, i = e % hd;
            i64 off = kv_off(bt, c0 + p, bs, layer, nLayers, kvDim) + g * hd + i;
            ks[p][i] = kc[off];
            vs[p][i] = vc[off];
        }
        __syncthreads();
#pragma unroll
        for (int j = 0; j < 2; j++) {
            int pend = min(np, pos[j] + 1 - c0);
            for (int p = 0; p < pend; p++) {
                float s = 0.0f;
#pragma unroll
                for (int i = 0; i < ATT_MAXD; i++)
                    if (i < nd) s += q[j][i] * f16_to_f32(ks[p][lane + WARP * i]);
                s = warp_sum_f(s) * scale;
                online_update(s, vs[p], nd, m[j], l[j], acc[j]);
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int j = 0; j < 2; j++) {
        int rr = warp + PF_WARPS * j;
        if (rr >= nrows) continue;
        float* orow = o + (i64)(row0 + rr) * ldo + h * hd;
#pragma unroll
        for (int i = 0; i < ATT_MAXD; i++)
            if (i < nd) orow[lane + WARP * i] = acc[j][i] / l[j];
    }
}
