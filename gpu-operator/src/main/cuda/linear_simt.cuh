// Linear layers on CUDA cores, the decode path: out[t, r] = W[r, :] · x[t, :] for a few tokens.
//
// Decode is bound by reading the weights, so the layout is chosen to stream each weight row from
// memory once per launch:
//  - one warp per weight row; the warp loops over the launch's tokens in tiles of up to
//    SIMT_TOKEN_TILE, each tile's accumulators in registers, so tiles after the first read the row
//    from L1/L2 while it is still there;
//  - a row is read in 16-byte chunks (4 f32, 8 bf16 or 16 E4M3 weights); chunk j belongs to lane
//    j % 32, and each lane keeps SIMT_UNROLL chunks in flight before using them;
//  - a lane accumulates its chunks in increasing order, element by element, with one FMA chain per
//    token; the warp then adds its lanes with warp_sum. Which lane owns which column depends on cols
//    alone, and vector and scalar loads feed the same chain, so every output's arithmetic depends
//    only on cols: not on the token count, the tile a token falls in, strides or alignment.
//
// Expected behaviour on an H100 (unmeasured): at tokens = 1 each SM keeps roughly 32+ warps × 32
// lanes × SIMT_UNROLL × 16 bytes ≈ 64 KiB of weight reads in flight, enough for most of HBM
// bandwidth (~70-85%) on matrices of a few thousand rows or more; matrices with fewer rows than
// about 8 warps × 132 SMs leave SMs idle (one warp per row, no split over columns). Larger token
// tiles multiply the FMA work and the activation reads (from L1) per weight byte, so at 8 tokens per
// tile the kernel is closer to L1-bound than HBM-bound, still far cheaper per token than tokens = 1.
// E4M3 at tokens = 1 spends ~10 instructions per weight on dequant_e4m3 (bf16(e4m3 × scale), as the
// CPU), about as many as the SM can issue per byte at full HBM speed: expect it issue-bound, around
// half to two thirds of the bandwidth, its cost shared by every token of a tile.
#pragma once

#include "linear_common.cuh"

#define SIMT_THREADS 256
#define SIMT_ROWS_PER_BLOCK (SIMT_THREADS / STREAMSEEK_WARP)
#define SIMT_TOKEN_TILE 8
// 16-byte chunks each lane loads before using them. 4 keeps every format spill-free at one resident
// block per 64-108 registers (f32: 56, bf16: 78, e4m3: 108 on sm_90) with 32-64 KiB per SM in flight.
#define SIMT_UNROLL 4
// No minimum blocks per SM: a register cap low enough for more would spill the E4M3 kernel.
#define SIMT_MIN_BLOCKS 1

// One 16-byte chunk of a weight row as four 32-bit words (little-endian element order), however
// it was loaded.
struct Chunk {
    uint32_t word[4];
};

// F32 weights: 4 per chunk.
struct F32Weights {
    static constexpr int kValues = 4;
    const float* w;
    __device__ __forceinline__ Chunk load(size_t row_start, int col, int valid, bool vec) const {
        Chunk c;
        if (vec) {
            uint4 v = __ldg(reinterpret_cast<const uint4*>(w + row_start + col));
            c.word[0] = v.x; c.word[1] = v.y; c.word[2] = v.z; c.word[3] = v.w;
        } else {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                c.word[e] = e < valid ? __float_as_uint(w[row_start + col + e]) : 0u;
            }
        }
        return c;
    }
    __device__ __forceinline__ float value(const Chunk& c, int e, float) const {
        return __uint_as_float(c.word[e]);
    }
};

// BF16 weights: 8 per chunk, element 2k in the low half of word k.
struct Bf16Weights {
    static constexpr int kValues = 8;
    const uint16_t* w;
    __device__ __forceinline__ Chunk load(size_t row_start, int col, int valid, bool vec) const {
        Chunk c;
        if (vec) {
            uint4 v = __ldg(reinterpret_cast<const uint4*>(w + row_start + col));
            c.word[0] = v.x; c.word[1] = v.y; c.word[2] = v.z; c.word[3] = v.w;
        } else {
#pragma unroll
            for (int k = 0; k < 4; k++) {
                uint32_t lo = 2 * k < valid ? w[row_start + col + 2 * k] : 0u;
                uint32_t hi = 2 * k + 1 < valid ? w[row_start + col + 2 * k + 1] : 0u;
                c.word[k] = lo | (hi << 16);
            }
        }
        return c;
    }
    __device__ __forceinline__ float value(const Chunk& c, int e, float) const {
        return bf16_to_float((uint16_t) (c.word[e / 2] >> (16 * (e % 2))));
    }
};

// E4M3 weights: 16 codes per chunk, each dequantised with its 128×128 block scale. A chunk starts at
// a multiple of 16 columns, so it never straddles two scale blocks.
struct E4m3Weights {
    static constexpr int kValues = 16;
    const uint8_t* w;
    __device__ __forceinline__ Chunk load(size_t row_start, int col, int valid, bool vec) const {
        Chunk c;
        if (vec) {
            uint4 v = __ldg(reinterpret_cast<const uint4*>(w + row_start + col));
            c.word[0] = v.x; c.word[1] = v.y; c.word[2] = v.z; c.word[3] = v.w;
        } else {
#pragma unroll
            for (int k = 0; k < 4; k++) {
                uint32_t word = 0;
#pragma unroll
                for (int b = 0; b < 4; b++) {
                    uint32_t code = 4 * k + b < valid ? w[row_start + col + 4 * k + b] : 0u;
                    word |= code << (8 * b);
                }
                c.word[k] = word;
            }
        }
        return c;
    }
    __device__ __forceinline__ float value(const Chunk& c, int e, float scale) const {
        return dequant_e4m3((uint8_t) (c.word[e / 4] >> (8 * (e % 4))), scale);
    }
};

// Multiplies `valid` values of chunk c (first column col) into the accumulators of the tile's first
// `count` tokens (the others are skipped: a uniform branch, no wasted loads or FMAs). The x values
// of a full chunk come as float4 loads when x_vec, otherwise one by one.
template <class Weights>
__device__ __forceinline__ void simt_chunk(const Weights& weights, const Chunk& c, float scale, const float* x,
                                           int x_stride, int count, int col, int valid, bool x_vec,
                                           float (&acc)[SIMT_TOKEN_TILE]) {
    constexpr int V = Weights::kValues;
    float w[V];
#pragma unroll
    for (int e = 0; e < V; e++) {
        w[e] = weights.value(c, e, scale);
    }
#pragma unroll
    for (int t = 0; t < SIMT_TOKEN_TILE; t++) {
        if (t >= count) {
            break;
        }
        const float* xt = x + (size_t) t * x_stride + col;
        if (valid == V && x_vec) {
#pragma unroll
            for (int q = 0; q < V / 4; q++) {
                float4 v = __ldg(reinterpret_cast<const float4*>(xt) + q);
                acc[t] = fmaf(w[4 * q], v.x, acc[t]);
                acc[t] = fmaf(w[4 * q + 1], v.y, acc[t]);
                acc[t] = fmaf(w[4 * q + 2], v.z, acc[t]);
                acc[t] = fmaf(w[4 * q + 3], v.w, acc[t]);
            }
        } else {
#pragma unroll
            for (int e = 0; e < V; e++) {
                if (e < valid) {
                    acc[t] = fmaf(w[e], __ldg(xt + e), acc[t]);
                }
            }
        }
    }
}

// One weight row (row_start = row * cols) times `count` (1 to SIMT_TOKEN_TILE) tokens starting at
// x / out; the whole warp calls it. scales_row: this row's block scales (E4M3 only, else null).
template <class Weights>
__device__ __forceinline__ void simt_row_tile(const Weights& weights, const float* scales_row, size_t row_start,
                                              const float* x, int x_stride, float* out, int out_stride, int count,
                                              int cols, bool w_vec, bool x_vec) {
    constexpr int V = Weights::kValues;
    const int lane = threadIdx.x & (STREAMSEEK_WARP - 1);
    const int full = cols / V;
    float acc[SIMT_TOKEN_TILE];
#pragma unroll
    for (int t = 0; t < SIMT_TOKEN_TILE; t++) {
        acc[t] = 0.0f;
    }
    for (int j0 = lane; j0 < full; j0 += STREAMSEEK_WARP * SIMT_UNROLL) {
        Chunk chunk[SIMT_UNROLL];
        float scale[SIMT_UNROLL];
        // Issue every load first: SIMT_UNROLL independent 16-byte reads in flight per lane.
#pragma unroll
        for (int u = 0; u < SIMT_UNROLL; u++) {
            int j = j0 + u * STREAMSEEK_WARP;
            if (j < full) {
                chunk[u] = weights.load(row_start, j * V, V, w_vec);
                scale[u] = scales_row == nullptr ? 1.0f : __ldg(scales_row + j * V / 128);
            }
        }
#pragma unroll
        for (int u = 0; u < SIMT_UNROLL; u++) {
            int j = j0 + u * STREAMSEEK_WARP;
            if (j < full) {
                simt_chunk(weights, chunk[u], scale[u], x, x_stride, count, j * V, V, x_vec, acc);
            }
        }
    }
    // The partial last chunk (cols % V values) is the highest of its lane's chunks: added last.
    int rest = cols - full * V;
    if (rest > 0 && lane == full % STREAMSEEK_WARP) {
        Chunk chunk = weights.load(row_start, full * V, rest, false);
        float scale = scales_row == nullptr ? 1.0f : __ldg(scales_row + full * V / 128);
        simt_chunk(weights, chunk, scale, x, x_stride, count, full * V, rest, false, acc);
    }
#pragma unroll
    for (int t = 0; t < SIMT_TOKEN_TILE; t++) {
        if (t >= count) {
            break;
        }
        float sum = warp_sum(acc[t]);
        if (lane == t) {
            out[(size_t) t * out_stride] = sum;
        }
    }
}

// The kernel body: warp w of block b computes weight row b * SIMT_ROWS_PER_BLOCK + w for every token,
// SIMT_TOKEN_TILE tokens at a time.
template <class Weights>
__device__ __forceinline__ void simt_linear(const Weights& weights, const float* scales, const float* x, int x_stride,
                                            float* out, int out_stride, int tokens, int rows, int cols) {
    const int row = blockIdx.x * SIMT_ROWS_PER_BLOCK + threadIdx.x / STREAMSEEK_WARP;
    if (row >= rows) {
        return; // whole warps only: the warp_sum below needs all 32 lanes
    }
    const size_t row_start = (size_t) row * cols;
    const bool w_vec = aligned16(weights.w) && cols % Weights::kValues == 0;
    const bool x_vec = aligned16(x) && x_stride % 4 == 0;
    const float* scales_row = scales == nullptr ? nullptr : scales + (size_t) (row / 128) * ((cols + 127) / 128);
    for (int t0 = 0; t0 < tokens; t0 += SIMT_TOKEN_TILE) {
        simt_row_tile(weights, scales_row, row_start, x + (size_t) t0 * x_stride, x_stride,
                      out + (size_t) t0 * out_stride + row, out_stride, min(SIMT_TOKEN_TILE, tokens - t0), cols, w_vec,
                      x_vec);
    }
}
