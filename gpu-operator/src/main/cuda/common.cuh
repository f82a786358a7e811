// Device helpers shared by every kernel module: weight decoding exactly as the CPU backend does it
// (io.streamseek.gpu.backend.cpu.ScalarDot), and fixed-order warp reductions.
//
// Conventions of all kernels (see gpu-operator/README.md, "CUDA backend"):
//  - extern "C" __global__, parameters only int, float and pointers (checked against
//    io.streamseek.gpu.backend.cuda.kernel.CudaKernels in CI);
//  - activations f32, row-major; weights row-major [rows = out_features, cols = in_features];
//  - an output's reduction order depends only on the problem's shape, never on how many tokens
//    share the launch, and no float atomics: the GPU keeps the engine's batch invariance.
#pragma once

#include <stdint.h>

#define STREAMSEEK_WARP 32

// bf16 bit pattern to f32: the upper half of an f32.
__device__ __forceinline__ float bf16_to_float(uint16_t bits) {
    return __uint_as_float(((uint32_t) bits) << 16);
}

// f32 to the nearest bf16 (ties to even), as an f32: ScalarDot.roundToBf16.
__device__ __forceinline__ float round_to_bf16(float value) {
    uint32_t bits = __float_as_uint(value);
    return __uint_as_float((bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u);
}

// f32 to a bf16 bit pattern (ties to even).
__device__ __forceinline__ uint16_t float_to_bf16_bits(float value) {
    return (uint16_t) (__float_as_uint(round_to_bf16(value)) >> 16);
}

// OCP FP8 E4M3FN to f32: exponent and mantissa moved into an f32's fields, rebiased by 2^120.
// 0x7f/0xff are NaN; there are no infinities.
__device__ __forceinline__ float e4m3_to_float(uint8_t code) {
    if ((code & 0x7f) == 0x7f) {
        return __uint_as_float(0x7fc00000u);
    }
    float magnitude = __uint_as_float(((uint32_t) (code & 0x7f)) << 20) * 0x1p120f;
    return (code & 0x80) ? -magnitude : magnitude;
}

// One FP8 weight with its 128x128 block scale: bf16(e4m3 x scale), as DeepSeek-V3's weight_dequant.
__device__ __forceinline__ float dequant_e4m3(uint8_t code, float scale) {
    return round_to_bf16(e4m3_to_float(code) * scale);
}

// Butterfly sum over a full warp: every lane ends with the same value, in an order fixed by the
// lane layout alone.
__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = STREAMSEEK_WARP / 2; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = STREAMSEEK_WARP / 2; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    }
    return v;
}
