// The grouped expert projections of moe.cu: every routed expert's SiLU-gated MLP over the
// (token, slot) pairs routed to it, with pairs sorted by expert (moe_sort).
//
// Block (row tile, expert e): 8 warps, each owning a few output rows of e for all of e's pairs,
// taken 8 at a time. A lane reads float4-wide column chunks 4·lane + 128·m of its rows (f32, bf16
// or e4m3 decoded to f32 as the CPU does it) and of the 8 pairs' inputs, keeping one accumulator
// per (row, pair); warp_transpose_sum then totals 32 of them at once. An output is one fixed
// chain (columns in lane-chunk order, then the lane tree) set by the input width alone, so it is
// the same whichever pairs share the tile. A weight row is read once per 8 pairs of its expert:
// once per step in decode. Experts without pairs, or whose weights live on another device
// (address 0), leave at once.

#define MOE_THREADS 256
#define MOE_WARPS (MOE_THREADS / 32)
#define MOE_PAIR_TILE 8
#define MOE_GATE_UP_ROWS_PER_WARP 2
#define MOE_DOWN_ROWS_PER_WARP 4
#define MOE_FORMAT_F32 0
#define MOE_FORMAT_BF16 1
#define MOE_FORMAT_E4M3 2

// Weights [row, col .. col + 3] of a row-major [rows, cols] matrix in storage format FORMAT
// (cols % 4 == 0); e4m3 with its [ceil(rows/128), ceil(cols/128)] block scales.
template <int FORMAT>
__device__ __forceinline__ float4 moe_weights4(const void* w, const float* scales, int row, int col, int cols) {
    const size_t at = (size_t) row * cols + col;
    if constexpr (FORMAT == MOE_FORMAT_F32) {
        return *reinterpret_cast<const float4*>(static_cast<const float*>(w) + at);
    } else if constexpr (FORMAT == MOE_FORMAT_BF16) {
        const uint2 bits = *reinterpret_cast<const uint2*>(static_cast<const uint16_t*>(w) + at);
        return make_float4(bf16_to_float((uint16_t) (bits.x & 0xffffu)), bf16_to_float((uint16_t) (bits.x >> 16)),
                           bf16_to_float((uint16_t) (bits.y & 0xffffu)), bf16_to_float((uint16_t) (bits.y >> 16)));
    } else {
        const uint32_t codes = *reinterpret_cast<const uint32_t*>(static_cast<const uint8_t*>(w) + at);
        const float scale = scales[(size_t) (row / 128) * ((cols + 127) / 128) + col / 128];
        return make_float4(dequant_e4m3((uint8_t) (codes & 0xffu), scale), dequant_e4m3((uint8_t) ((codes >> 8) & 0xffu), scale),
                           dequant_e4m3((uint8_t) ((codes >> 16) & 0xffu), scale), dequant_e4m3((uint8_t) (codes >> 24), scale));
    }
}

__device__ __forceinline__ float moe_dot4(float4 w, float4 x, float acc) {
    acc = fmaf(w.x, x.x, acc);
    acc = fmaf(w.y, x.y, acc);
    acc = fmaf(w.z, x.z, acc);
    return fmaf(w.w, x.w, acc);
}

// act[p, r] = silu(G_e[r] · x[p / k]) * (U_e[r] · x[p / k]) for this warp's 2 rows r.
template <int FORMAT>
__device__ __forceinline__ void moe_gate_up_rows(const float* x, const void* gate, const void* up, const float* gate_scales,
                                                 const float* up_scales, const int* sorted_pairs, int begin, int end, int k,
                                                 float* act, int inter, int hidden, int row0) {
    const int lane = threadIdx.x & 31;
    for (int tile = begin; tile < end; tile += MOE_PAIR_TILE) {
        const float* inputs[MOE_PAIR_TILE];
#pragma unroll
        for (int i = 0; i < MOE_PAIR_TILE; i++) {
            const int pair = sorted_pairs[min(tile + i, end - 1)]; // a short tile repeats its last pair
            inputs[i] = x + (size_t) (pair / k) * hidden;
        }
        float g[MOE_GATE_UP_ROWS_PER_WARP * MOE_PAIR_TILE];
        float u[MOE_GATE_UP_ROWS_PER_WARP * MOE_PAIR_TILE];
#pragma unroll
        for (int i = 0; i < MOE_GATE_UP_ROWS_PER_WARP * MOE_PAIR_TILE; i++) {
            g[i] = 0.f;
            u[i] = 0.f;
        }
        for (int c = 4 * lane; c < hidden; c += 128) {
            float4 wg[MOE_GATE_UP_ROWS_PER_WARP];
            float4 wu[MOE_GATE_UP_ROWS_PER_WARP];
#pragma unroll
            for (int r = 0; r < MOE_GATE_UP_ROWS_PER_WARP; r++) {
                const int row = min(row0 + r, inter - 1); // rows past the end are computed, not written
                wg[r] = moe_weights4<FORMAT>(gate, gate_scales, row, c, hidden);
                wu[r] = moe_weights4<FORMAT>(up, up_scales, row, c, hidden);
            }
#pragma unroll
            for (int i = 0; i < MOE_PAIR_TILE; i++) {
                const float4 xv = *reinterpret_cast<const float4*>(inputs[i] + c);
#pragma unroll
                for (int r = 0; r < MOE_GATE_UP_ROWS_PER_WARP; r++) {
                    g[r * MOE_PAIR_TILE + i] = moe_dot4(wg[r], xv, g[r * MOE_PAIR_TILE + i]);
                    u[r * MOE_PAIR_TILE + i] = moe_dot4(wu[r], xv, u[r * MOE_PAIR_TILE + i]);
                }
            }
        }
        // Lanes 2i and 2i+1 hold value index i: row row0 + (i >> 3) of pair tile + (i & 7).
        const float gate_value = warp_transpose_sum<MOE_GATE_UP_ROWS_PER_WARP * MOE_PAIR_TILE>(g);
        const float up_value = warp_transpose_sum<MOE_GATE_UP_ROWS_PER_WARP * MOE_PAIR_TILE>(u);
        const int index = lane >> 1;
        const int row = row0 + (index >> 3);
        const int at = tile + (index & 7);
        if ((lane & 1) == 0 && row < inter && at < end) {
            act[(size_t) sorted_pairs[at] * inter + row] = gate_value / (1.f + expf(-gate_value)) * up_value;
        }
    }
}

// down[p, r] = D_e[r] · act[p] for this warp's 4 rows r.
template <int FORMAT>
__device__ __forceinline__ void moe_down_rows(const float* act, const void* down_w, const float* down_scales,
                                              const int* sorted_pairs, int begin, int end, float* down, int inter, int hidden,
                                              int row0) {
    const int lane = threadIdx.x & 31;
    for (int tile = begin; tile < end; tile += MOE_PAIR_TILE) {
        const float* inputs[MOE_PAIR_TILE];
#pragma unroll
        for (int i = 0; i < MOE_PAIR_TILE; i++) {
            inputs[i] = act + (size_t) sorted_pairs[min(tile + i, end - 1)] * inter;
        }
        float acc[MOE_DOWN_ROWS_PER_WARP * MOE_PAIR_TILE];
#pragma unroll
        for (int i = 0; i < MOE_DOWN_ROWS_PER_WARP * MOE_PAIR_TILE; i++) {
            acc[i] = 0.f;
        }
        for (int c = 4 * lane; c < inter; c += 128) {
            float4 w[MOE_DOWN_ROWS_PER_WARP];
#pragma unroll
            for (int r = 0; r < MOE_DOWN_ROWS_PER_WARP; r++) {
                w[r] = moe_weights4<FORMAT>(down_w, down_scales, min(row0 + r, hidden - 1), c, inter);
            }
#pragma unroll
            for (int i = 0; i < MOE_PAIR_TILE; i++) {
                const float4 xv = *reinterpret_cast<const float4*>(inputs[i] + c);
#pragma unroll
                for (int r = 0; r < MOE_DOWN_ROWS_PER_WARP; r++) {
                    acc[r * MOE_PAIR_TILE + i] = moe_dot4(w[r], xv, acc[r * MOE_PAIR_TILE + i]);
                }
            }
        }
        // Lane l holds row row0 + (l >> 3) of pair tile + (l & 7).
        const float value = warp_transpose_sum<MOE_DOWN_ROWS_PER_WARP * MOE_PAIR_TILE>(acc);
        const int row = row0 + (lane >> 3);
        const int at = tile + (lane & 7);
        if (row < hidden && at < end) {
            down[(size_t) sorted_pairs[at] * hidden + row] = value;
        }
    }
}

// x [tokens, hidden]; gate_w, up_w [experts]: device addresses of G_e, U_e [inter, hidden] (0: not
// on this device); gate_scales, up_scales [experts]: addresses of their e4m3 block scales (format
// 2 only); expert_offsets [experts + 1], sorted_pairs [tokens × k] from moe_sort;
// act [tokens × k, inter]. Grid (ceil(inter / 16), experts), 256 threads; hidden % 4 == 0.
extern "C" __global__ void __launch_bounds__(MOE_THREADS, 2)
moe_expert_gate_up(const float* x, const unsigned long long* gate_w, const unsigned long long* up_w,
                   const unsigned long long* gate_scales, const unsigned long long* up_scales, int format,
                   const int* expert_offsets, const int* sorted_pairs, int k, float* act, int experts, int inter, int hidden) {
    const int e = blockIdx.y;
    if (e >= experts) {
        return;
    }
    const int begin = expert_offsets[e];
    const int end = expert_offsets[e + 1];
    const void* gate = reinterpret_cast<const void*>(gate_w[e]);
    const void* up = reinterpret_cast<const void*>(up_w[e]);
    const int row0 = blockIdx.x * MOE_WARPS * MOE_GATE_UP_ROWS_PER_WARP + (threadIdx.x >> 5) * MOE_GATE_UP_ROWS_PER_WARP;
    if (begin >= end || gate == nullptr || up == nullptr || row0 >= inter) {
        return; // no barrier follows: whole warps may leave
    }
    const float* gs = format == MOE_FORMAT_E4M3 ? reinterpret_cast<const float*>(gate_scales[e]) : nullptr;
    const float* us = format == MOE_FORMAT_E4M3 ? reinterpret_cast<const float*>(up_scales[e]) : nullptr;
    switch (format) {
        case MOE_FORMAT_F32:
            moe_gate_up_rows<MOE_FORMAT_F32>(x, gate, up, gs, us, sorted_pairs, begin, end, k, act, inter, hidden, row0);
            break;
        case MOE_FORMAT_BF16:
            moe_gate_up_rows<MOE_FORMAT_BF16>(x, gate, up, gs, us, sorted_pairs, begin, end, k, act, inter, hidden, row0);
            break;
        default:
            moe_gate_up_rows<MOE_FORMAT_E4M3>(x, gate, up, gs, us, sorted_pairs, begin, end, k, act, inter, hidden, row0);
            break;
    }
}

// act [tokens × k, inter]; down_w [experts]: addresses of D_e [hidden, inter] (0: not on this
// device); down_scales [experts] (format 2 only); down [tokens × k, hidden]. Grid
// (ceil(hidden / 32), experts), 256 threads; inter % 4 == 0.
extern "C" __global__ void __launch_bounds__(MOE_THREADS, 2)
moe_expert_down(const float* act, const unsigned long long* down_w, const unsigned long long* down_scales, int format,
                const int* expert_offsets, const int* sorted_pairs, float* down, int experts, int inter, int hidden) {
    const int e = blockIdx.y;
    if (e >= experts) {
        return;
    }
    const int begin = expert_offsets[e];
    const int end = expert_offsets[e + 1];
    const void* w = reinterpret_cast<const void*>(down_w[e]);
    const int row0 = blockIdx.x * MOE_WARPS * MOE_DOWN_ROWS_PER_WARP + (threadIdx.x >> 5) * MOE_DOWN_ROWS_PER_WARP;
    if (begin >= end || w == nullptr || row0 >= hidden) {
        return;
    }
    const float* ds = format == MOE_FORMAT_E4M3 ? reinterpret_cast<const float*>(down_scales[e]) : nullptr;
    switch (format) {
        case MOE_FORMAT_F32:
            moe_down_rows<MOE_FORMAT_F32>(act, w, ds, sorted_pairs, begin, end, down, inter, hidden, row0);
            break;
        case MOE_FORMAT_BF16:
            moe_down_rows<MOE_FORMAT_BF16>(act, w, ds, sorted_pairs, begin, end, down, inter, hidden, row0);
            break;
        default:
            moe_down_rows<MOE_FORMAT_E4M3>(act, w, ds, sorted_pairs, begin, end, down, inter, hidden, row0);
            break;
    }
}
