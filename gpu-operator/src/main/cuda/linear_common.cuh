// Helpers shared by the two linear-layer families (linear_simt.cuh, linear_mma.cuh).
#pragma once

#include "common.cuh"

// Whether a pointer allows 16-byte vector loads: weights and activations may be views into larger
// buffers, so alignment is checked at run time and scalar loads take over where it fails.
__device__ __forceinline__ bool aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15) == 0;
}
