// rope.cu: rotary position embedding of q and k, then the store of k and v
// into the paged KV cache (spec §3.1 steps 2.3–2.4, §3.4).
#include "common.cuh"

// rope_store works on row t = blockIdx.x of the fused qkv buffer (q: QDim
// = nHeads·hd values, then k and v: kvDim = nKVHeads·hd values each, at
// leading dimension ld). It rotates every q and k head by the angles of the
// row's position from cs, the (SeqLen, nRot) table of cos/sin pairs the
// host computed with kernels.RopeAngles, so the angles are bit-identical to
// the CPU's: NeoX pairs (j, j+nRot/2) when neox, else (2j, 2j+1). It then
// writes k and v, rounded to binary16, to block blockTable[t·maxBlocks +
// pos/bs], row pos%bs of layer, at element ((blk·nLayers + layer)·bs +
// row)·kvDim (the layout of kvcache.Pool).
extern "C" __global__ void rope_store(float* qkv, int ld, int nHeads, int nKVHeads, int hd, int nRot, int neox,
                                      const float* cs, const int* rowPos, const int* blockTable, int maxBlocks,
                                      u16* kc, u16* vc, int layer, int nLayers, int bs) {
    int t = blockIdx.x;
    int pos = rowPos[t];
    int half = nRot / 2;
    int qDim = nHeads * hd, kvDim = nKVHeads * hd;
    float* row = qkv + (i64)t * ld;
    const float* c = cs + (i64)pos * nRot;
    int pairs = (nHeads + nKVHeads) * half;
    for (int i = threadIdx.x; i < pairs; i += blockDim.x) {
        int hh = i / half, j = i % half;
        float* x = hh < nHeads ? row + hh * hd : row + qDim + (hh - nHeads) * hd;
        int a = neox ? j : 2 * j;
        int b = neox ? j + half : 2 * j + 1;
        float cj = c[2 * j], sj = c[2 * j + 1];
        float xa = x[a], xb = x[b];
        x[a] = xa * cj - xb * sj;
        x[b] = xa * sj + xb * cj;
    }
    __syncthreads();
    int blk = blockTable[(i64)t * maxBlocks + pos / bs];
    i64 off = (((i64)blk * nLayers + layer) * bs + pos % bs) * kvDim;
    const float* k = row + qDim;
    const float* v = row + qDim + kvDim;
    for (int i = threadIdx.x; i < kvDim; i += blockDim.x) {
        kc[off + i] = f32_to_f16(k[i]);
        vc[off + i] = f32_to_f16(v[i]);
    }
}
