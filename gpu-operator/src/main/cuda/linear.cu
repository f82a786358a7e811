// Linear layers: out[t * out_stride + r] = Σ_c W[r, c] · x[t * x_stride + c] for t < tokens,
// r < rows, c < cols, f32 accumulation, deterministic (no atomics, no split over columns).
//
// Shapes of every kernel: x [tokens, x_stride] f32 (first cols used); W [rows, cols] row-major in
// its storage format (f32, bf16 bits, or E4M3 codes with scales [ceil(rows/128), ceil(cols/128)]);
// out [tokens, out_stride] f32 (first rows written). out must not overlap x or W.
//
// linear_<format>: CUDA cores, the decode path (linear_simt.cuh); grid ceil(rows / 8) blocks of 256
// threads. linear_<format>_mma: tensor cores with bf16 operands, the prefill path (linear_mma.cuh);
// grid (ceil(tokens / 128), ceil(rows / 128)) blocks of 256 threads. Both fixed by
// io.streamseek.gpu.backend.cuda.kernel.LinearKernels.
#include "linear_simt.cuh"
#include "linear_mma.cuh"

extern "C" __global__ void __launch_bounds__(SIMT_THREADS, SIMT_MIN_BLOCKS)
linear_f32(const float* x, int x_stride, const float* w, float* out, int out_stride, int tokens, int rows, int cols) {
    simt_linear(F32Weights{w}, nullptr, x, x_stride, out, out_stride, tokens, rows, cols);
}

extern "C" __global__ void __launch_bounds__(SIMT_THREADS, SIMT_MIN_BLOCKS)
linear_bf16(const float* x, int x_stride, const uint16_t* w, float* out, int out_stride, int tokens, int rows, int cols) {
    simt_linear(Bf16Weights{w}, nullptr, x, x_stride, out, out_stride, tokens, rows, cols);
}

extern "C" __global__ void __launch_bounds__(SIMT_THREADS, SIMT_MIN_BLOCKS)
linear_e4m3(const float* x, int x_stride, const uint8_t* w, const float* scales, float* out, int out_stride, int tokens,
            int rows, int cols) {
    simt_linear(E4m3Weights{w}, scales, x, x_stride, out, out_stride, tokens, rows, cols);
}

// Two blocks per SM: 40 KiB of shared memory each, registers capped at 128 per thread.
extern "C" __global__ void __launch_bounds__(MMA_THREADS, 2)
linear_bf16_mma(const float* x, int x_stride, const uint16_t* w, float* out, int out_stride, int tokens, int rows,
                int cols) {
    bool w_vec = aligned16(w) && cols % 8 == 0;
    mma_linear<Bf16Stage>(x, x_stride, w, nullptr, out, out_stride, tokens, rows, cols, w_vec);
}

extern "C" __global__ void __launch_bounds__(MMA_THREADS, 2)
linear_e4m3_mma(const float* x, int x_stride, const uint8_t* w, const float* scales, float* out, int out_stride,
                int tokens, int rows, int cols) {
    bool w_vec = aligned16(w) && cols % 16 == 0;
    mma_linear<E4m3Stage>(x, x_stride, w, scales, out, out_stride, tokens, rows, cols, w_vec);
}
