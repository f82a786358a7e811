// Helpers of the attention and MoE kernels (mla.cu, moe.cu): a warp reduction that sums many
// values at once, and asynchronous global-to-shared copies.
#pragma once

#include "common.cuh"

// Sums each of the N per-lane values v[0..N) over the 32 lanes of a warp, with log2(N) exchange
// steps that each halve the values a lane holds (it keeps one half and adds its partner's copy of
// that half) and plain butterfly steps after: N - 1 + (5 - log2 N) shuffles instead of 5 N.
// Lane l ends with the total of value index l >> (5 - log2 N). Every index is summed by the same
// tree as warp_sum (pairs by lane bit 4 first, bit 0 last), so a total does not depend on which
// index it had: a query or head gets the same bits whatever slot of a tile it is computed in.
// One exchange step of warp_transpose_sum: lanes whose `offset` bit is set keep the upper half of
// the WIDTH values, the others the lower half, each adding its partner's copy of the kept half.
// A template per step so that every array index is a compile-time constant (registers, not
// local memory).
template <int N, int WIDTH, int OFFSET>
__device__ __forceinline__ void warp_transpose_step(float (&v)[N], int lane) {
    if constexpr (WIDTH > 1) {
        const bool upper = (lane & OFFSET) != 0;
#pragma unroll
        for (int i = 0; i < WIDTH / 2; i++) {
            const float low = v[i];
            const float high = v[i + WIDTH / 2];
            const float send = upper ? low : high;
            const float keep = upper ? high : low;
            v[i] = keep + __shfl_xor_sync(0xffffffffu, send, OFFSET);
        }
        warp_transpose_step<N, WIDTH / 2, OFFSET / 2>(v, lane);
    } else {
#pragma unroll
        for (int offset = OFFSET; offset > 0; offset >>= 1) {
            v[0] += __shfl_xor_sync(0xffffffffu, v[0], offset);
        }
    }
}

// Sums each of the N per-lane values v[0..N) over the 32 lanes of a warp, with log2(N) exchange
// steps that each halve the values a lane holds, then plain butterfly steps: N - 1 + (5 - log2 N)
// shuffles instead of 5 N. Lane l ends with the total of value index l >> (5 - log2 N). Every
// index is summed by the same tree as warp_sum (pairs by lane bit 4 first, bit 0 last; addition
// commutes), so a total does not depend on which index it had: a query or head gets the same bits
// whatever slot of a tile it is computed in. Clobbers v.
template <int N>
__device__ __forceinline__ float warp_transpose_sum(float (&v)[N]) {
    static_assert(N >= 1 && N <= 32 && (N & (N - 1)) == 0, "N must be a power of two up to 32");
    warp_transpose_step<N, N, 16>(v, threadIdx.x & 31);
    return v[0];
}

// 16 bytes global -> shared without a register round trip (sm_80 cp.async), cached in L2 only:
// streamed rows that other blocks of the same split may still read from L2.
__device__ __forceinline__ void cp_async16(void* shared_dst, const void* global_src) {
    unsigned dst = (unsigned) __cvta_generic_to_shared(shared_dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(global_src) : "memory");
}

__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::: "memory");
}

__device__ __forceinline__ void cp_async_wait_all() {
    asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}
