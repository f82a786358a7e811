// TF32 tensor-core helpers (sm_80+) for kernels that keep their data in f32 memory: the operands
// are rounded to TF32 (10-bit mantissa) in registers, products are accumulated in f32.
#pragma once

#include <stdint.h>

// f32 -> TF32, rounded to nearest with ties away from zero (cvt.rna), as the 32-bit pattern the
// mma instruction takes: an f32 whose low 13 mantissa bits are zero. Rounding here, not letting the
// tensor core drop the low bits, halves the operand error (2^-11 instead of 2^-10 relative).
__device__ __forceinline__ uint32_t to_tf32(float x) {
    uint32_t bits;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(bits) : "f"(x));
    return bits;
}

// d += A · B for one warp: A 16 × 8 (row-major), B 8 × 8 (column-major), d 16 × 8, f32
// accumulation. Fragments, with g = lane / 4 and t = lane % 4:
//   a0 = A[g][t], a1 = A[g + 8][t], a2 = A[g][t + 4], a3 = A[g + 8][t + 4];
//   b0 = B[t][g], b1 = B[t + 4][g];
//   d0 = D[g][2t], d1 = D[g][2t + 1], d2 = D[g + 8][2t], d3 = D[g + 8][2t + 1].
// The tensor core's summation order inside one instruction is fixed by the hardware, so a chain of
// these is as deterministic as a chain of fmaf.
__device__ __forceinline__ void mma_tf32_16x8x8(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
