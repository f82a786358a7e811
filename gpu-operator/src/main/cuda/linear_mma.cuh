// Linear layers on tensor cores, the prefill path: out[t, r] = W[r, :] · x[t, :] with bf16 operands
// and f32 accumulation (mma.sync.m16n8k16, compute capability 8.0 and later).
//
// A block computes a tile of MMA_TILE_M tokens × MMA_TILE_N weight rows, stepping through the
// columns MMA_TILE_K at a time. Operands are staged through registers into double-buffered shared
// memory: while the tensor cores work on one k-step, the next one's global loads are in flight
// (activations f32 → bf16 ties-to-even, E4M3 → bf16 with its block scale: conversions that cp.async
// cannot do, so every operand takes the same register path). Out-of-range tokens, rows and columns
// are staged as zeros, so every tail is handled and nothing is refused.
//
// Reduction order: each output accumulates its k16 steps in increasing column order inside one warp's
// fragment; it depends on cols alone (no split over k), so the result is batch invariant.
//
// 8 warps as 2 (tokens) × 4 (rows), each a 64 × 32 warp tile: 4 × 4 mma per k16 step, 64 f32
// accumulators per thread. Shared rows are padded from 32 to 40 bf16 (80 bytes) so that the eight
// 16-byte rows an ldmatrix phase reads fall in distinct banks. 40 KiB of static shared memory.
//
// Expected behaviour on an H100 (unmeasured): mma.sync (not Hopper's wgmma), so at best about half of
// the dense bf16 peak on large prefill batches; grid x walks the token tiles, so blocks running
// together share a weight tile and the weights are read from HBM about once per launch while the
// activations are re-read from L2.
#pragma once

#include "linear_common.cuh"

#define MMA_THREADS 256
#define MMA_TILE_M 128
#define MMA_TILE_N 128
#define MMA_TILE_K 32
#define MMA_SMEM_STRIDE 40

// Operand tiles of one k-step, bf16 bits, [tile rows][MMA_SMEM_STRIDE].
struct MmaTiles {
    uint16_t x[2][MMA_TILE_M * MMA_SMEM_STRIDE];
    uint16_t w[2][MMA_TILE_N * MMA_SMEM_STRIDE];
};

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    return (uint32_t) float_to_bf16_bits(lo) | ((uint32_t) float_to_bf16_bits(hi) << 16);
}

// Activations: each thread stages 4 runs of 4 floats of the 128 × 32 tile (8 threads per token row,
// 128 contiguous bytes per row), held as bf16 pairs: holding the f32 values until the store instead
// costs 8 more registers, which spill under the 128-register cap of two blocks per SM.
struct XStage {
    uint2 v[4];

    __device__ __forceinline__ void load(const float* x, int x_stride, int tokens, int cols, int m0, int k0, bool vec) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int idx = threadIdx.x + i * MMA_THREADS;
            int token = m0 + (idx >> 3);
            int col = k0 + (idx & 7) * 4;
            const float* src = x + (size_t) token * x_stride + col;
            if (token < tokens && vec && col + 4 <= cols) {
                float4 f = __ldg(reinterpret_cast<const float4*>(src));
                v[i] = make_uint2(pack_bf16(f.x, f.y), pack_bf16(f.z, f.w));
            } else {
                float f[4];
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    f[e] = token < tokens && col + e < cols ? __ldg(src + e) : 0.0f;
                }
                v[i] = make_uint2(pack_bf16(f[0], f[1]), pack_bf16(f[2], f[3]));
            }
        }
    }

    __device__ __forceinline__ void store(uint16_t* tile) const {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int idx = threadIdx.x + i * MMA_THREADS;
            *reinterpret_cast<uint2*>(tile + (idx >> 3) * MMA_SMEM_STRIDE + (idx & 7) * 4) = v[i];
        }
    }
};

// BF16 weights: each thread stages 2 runs of 8 values of the 128 × 32 tile.
struct Bf16Stage {
    uint4 v[2];

    __device__ __forceinline__ void load(const uint16_t* w, const float*, int rows, int cols, int n0, int k0, bool vec) {
#pragma unroll
        for (int i = 0; i < 2; i++) {
            int idx = threadIdx.x + i * MMA_THREADS;
            int row = n0 + (idx >> 2);
            int col = k0 + (idx & 3) * 8;
            const uint16_t* src = w + (size_t) row * cols + col;
            if (row < rows && vec && col + 8 <= cols) {
                v[i] = __ldg(reinterpret_cast<const uint4*>(src));
            } else {
                uint32_t word[4];
#pragma unroll
                for (int k = 0; k < 4; k++) {
                    uint32_t lo = row < rows && col + 2 * k < cols ? src[2 * k] : 0u;
                    uint32_t hi = row < rows && col + 2 * k + 1 < cols ? src[2 * k + 1] : 0u;
                    word[k] = lo | (hi << 16);
                }
                v[i] = make_uint4(word[0], word[1], word[2], word[3]);
            }
        }
    }

    __device__ __forceinline__ void store(uint16_t* tile) const {
#pragma unroll
        for (int i = 0; i < 2; i++) {
            int idx = threadIdx.x + i * MMA_THREADS;
            *reinterpret_cast<uint4*>(tile + (idx >> 2) * MMA_SMEM_STRIDE + (idx & 3) * 8) = v[i];
        }
    }
};

// E4M3 weights: each thread stages one run of 16 codes (2 threads per row) and dequantises them to
// bf16 with the run's block scale when storing (a run starts at a multiple of 16 columns, so it lies
// in one 128-column scale block).
struct E4m3Stage {
    uint32_t code[4];
    float scale;

    __device__ __forceinline__ void load(const uint8_t* w, const float* scales, int rows, int cols, int n0, int k0, bool vec) {
        int row = n0 + (threadIdx.x >> 1);
        int col = k0 + (threadIdx.x & 1) * 16;
        const uint8_t* src = w + (size_t) row * cols + col;
        if (row < rows && vec && col + 16 <= cols) {
            uint4 c = __ldg(reinterpret_cast<const uint4*>(src));
            code[0] = c.x; code[1] = c.y; code[2] = c.z; code[3] = c.w;
        } else {
#pragma unroll
            for (int k = 0; k < 4; k++) {
                uint32_t word = 0;
#pragma unroll
                for (int b = 0; b < 4; b++) {
                    uint32_t value = row < rows && col + 4 * k + b < cols ? src[4 * k + b] : 0u;
                    word |= value << (8 * b);
                }
                code[k] = word;
            }
        }
        // Rows and columns past the end stage code 0 (+0.0) with scale 0: zeros, never NaN.
        scale = row < rows && col < cols ? __ldg(scales + (size_t) (row / 128) * ((cols + 127) / 128) + col / 128) : 0.0f;
    }

    __device__ __forceinline__ void store(uint16_t* tile) const {
        uint32_t packed[8];
#pragma unroll
        for (int k = 0; k < 4; k++) {
#pragma unroll
            for (int h = 0; h < 2; h++) {
                uint32_t lo = float_to_bf16_bits(dequant_e4m3((uint8_t) (code[k] >> (16 * h)), scale));
                uint32_t hi = float_to_bf16_bits(dequant_e4m3((uint8_t) (code[k] >> (16 * h + 8)), scale));
                packed[2 * k + h] = lo | (hi << 16);
            }
        }
        uint16_t* dest = tile + (threadIdx.x >> 1) * MMA_SMEM_STRIDE + (threadIdx.x & 1) * 16;
        *reinterpret_cast<uint4*>(dest) = make_uint4(packed[0], packed[1], packed[2], packed[3]);
        *reinterpret_cast<uint4*>(dest + 8) = make_uint4(packed[4], packed[5], packed[6], packed[7]);
    }
};

// Four 8×8 bf16 matrices from shared memory; lane l names the 16-byte row of matrix l / 8.
__device__ __forceinline__ void ldmatrix_x4(const uint16_t* row, uint32_t (&r)[4]) {
    uint32_t address = (uint32_t) __cvta_generic_to_shared(row);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

// d += a (16×16, row-major) × b (16×8, column-major), bf16 in, f32 accumulate.
__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// One k-step (MMA_TILE_K columns) of this warp's 64 × 32 tile from the staged operands.
__device__ __forceinline__ void mma_k_step(const uint16_t* xs, const uint16_t* ws, int warp_m, int warp_n,
                                           float (&acc)[4][4][4]) {
    const int lane = threadIdx.x & (STREAMSEEK_WARP - 1);
#pragma unroll
    for (int ks = 0; ks < MMA_TILE_K; ks += 16) {
        // B fragments of the warp's 4 n8 tiles: matrices (rows +0..7 | +8..15) × (k +0..7 | +8..15).
        uint32_t b[4][2];
#pragma unroll
        for (int p = 0; p < 2; p++) {
            int row = warp_n * 32 + p * 16 + (lane & 7) + ((lane >> 4) << 3);
            int col = ks + ((lane >> 3) & 1) * 8;
            uint32_t r[4];
            ldmatrix_x4(ws + row * MMA_SMEM_STRIDE + col, r);
            b[2 * p][0] = r[0];
            b[2 * p][1] = r[1];
            b[2 * p + 1][0] = r[2];
            b[2 * p + 1][1] = r[3];
        }
#pragma unroll
        for (int mi = 0; mi < 4; mi++) {
            // A fragment: matrices (tokens +0..7, k +0..7), (+8..15, +0..7), (+0..7, +8..15), (+8..15, +8..15).
            uint32_t a[4];
            ldmatrix_x4(xs + (warp_m * 64 + mi * 16 + (lane & 15)) * MMA_SMEM_STRIDE + ks + (lane >> 4) * 8, a);
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {
                mma_bf16(acc[mi][ni], a, b[ni][0], b[ni][1]);
            }
        }
    }
}

// The kernel body. Block (bx, by): tokens [bx * 128, +128) × weight rows [by * 128, +128).
template <class WStage, class WType>
__device__ __forceinline__ void mma_linear(const float* x, int x_stride, const WType* w, const float* scales, float* out,
                                           int out_stride, int tokens, int rows, int cols, bool w_vec) {
    __shared__ __align__(16) MmaTiles tiles;
    const int m0 = blockIdx.x * MMA_TILE_M;
    const int n0 = blockIdx.y * MMA_TILE_N;
    const int warp = threadIdx.x / STREAMSEEK_WARP;
    const int warp_m = warp >> 2;
    const int warp_n = warp & 3;
    const bool x_vec = aligned16(x) && x_stride % 4 == 0;

    float acc[4][4][4];
#pragma unroll
    for (int mi = 0; mi < 4; mi++) {
#pragma unroll
        for (int ni = 0; ni < 4; ni++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                acc[mi][ni][e] = 0.0f;
            }
        }
    }

    XStage xstage;
    WStage wstage;
    xstage.load(x, x_stride, tokens, cols, m0, 0, x_vec);
    wstage.load(w, scales, rows, cols, n0, 0, w_vec);
    xstage.store(tiles.x[0]);
    wstage.store(tiles.w[0]);
    __syncthreads();

    const int k_steps = (cols + MMA_TILE_K - 1) / MMA_TILE_K;
    for (int step = 0; step < k_steps; step++) {
        const int buf = step & 1;
        const bool more = step + 1 < k_steps;
        if (more) {
            // In flight during the mma below; the other buffer was last read before the previous barrier.
            xstage.load(x, x_stride, tokens, cols, m0, (step + 1) * MMA_TILE_K, x_vec);
            wstage.load(w, scales, rows, cols, n0, (step + 1) * MMA_TILE_K, w_vec);
        }
        mma_k_step(tiles.x[buf], tiles.w[buf], warp_m, warp_n, acc);
        if (more) {
            xstage.store(tiles.x[buf ^ 1]);
            wstage.store(tiles.w[buf ^ 1]);
        }
        __syncthreads();
    }

    // Accumulator layout: e = 0, 1 at (token g, rows 2q, 2q + 1), e = 2, 3 at token g + 8.
    const int lane = threadIdx.x & (STREAMSEEK_WARP - 1);
    const int g = lane >> 2;
    const int q = lane & 3;
#pragma unroll
    for (int mi = 0; mi < 4; mi++) {
#pragma unroll
        for (int ni = 0; ni < 4; ni++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int token = m0 + warp_m * 64 + mi * 16 + g + (e >> 1) * 8;
                int row = n0 + warp_n * 32 + ni * 8 + 2 * q + (e & 1);
                if (token < tokens && row < rows) {
                    out[(size_t) token * out_stride + row] = acc[mi][ni][e];
                }
            }
        }
    }
}
