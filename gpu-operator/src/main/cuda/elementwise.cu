// Element-wise and row kernels of the forward pass: embedding lookup, RMSNorm, RoPE, the MLA latent
// cache write, residual add and SwiGLU gating. Each mirrors io.streamseek.gpu.backend.cpu.Kernels /
// attention.RotaryEmbedding / attention.MlaAttention, and each output's arithmetic depends only on
// the row's shape, never on how many rows share the launch.
//
// Launch shapes are fixed by io.streamseek.gpu.backend.cuda.kernel.ElementwiseKernels: the row
// kernels run one block of ROW_THREADS threads per row, the element kernels one thread per item.
#include "common.cuh"

// Threads of every one-block-per-row kernel. A compile-time constant because a row's reduction order
// is the thread layout: ElementwiseKernels.ROW_THREADS must say the same.
#define ROW_THREADS 256
#define ROW_WARPS (ROW_THREADS / STREAMSEEK_WARP)

// Sum of one value per thread of a ROW_THREADS block, in a fixed order (per-warp butterflies, then the
// warps' sums in warp order); every thread gets the result. Ends with the partials consumed, so the
// block may call it again.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float partial[ROW_WARPS];
    v = warp_sum(v);
    if ((threadIdx.x & (STREAMSEEK_WARP - 1)) == 0) {
        partial[threadIdx.x / STREAMSEEK_WARP] = v;
    }
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < ROW_WARPS; w++) {
        total += partial[w];
    }
    __syncthreads();
    return total;
}

// RMSNorm of one row of n values by a whole block: out = x * (1 / sqrt(mean(x²) + eps)) * weight,
// the CPU's order of the two multiplies. x may equal out: every thread reads its own elements in the
// reduction and writes the same elements only after block_sum's barrier.
__device__ __forceinline__ void norm_row(const float* x, const float* weight, float eps, float* out, int n) {
    float squares = 0.0f;
    for (int i = threadIdx.x; i < n; i += ROW_THREADS) {
        float v = x[i];
        squares = fmaf(v, v, squares);
    }
    float inv = 1.0f / sqrtf(block_sum(squares) / (float) n + eps);
    for (int i = threadIdx.x; i < n; i += ROW_THREADS) {
        out[i] = __fmul_rn(__fmul_rn(x[i], inv), weight[i]);
    }
}

// One interleaved RoPE pair: (x0, x1) rotated by the angle whose cos/sin are c/s. Explicit roundings
// keep nvcc from contracting into FMAs, so the result is bitwise RotaryEmbedding.rotate's.
__device__ __forceinline__ void rotate_pair(float x0, float x1, float c, float s, float* out) {
    out[0] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
    out[1] = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
}

// table [vocab, hidden] f32; tokens [count]; out [count, hidden]. Grid: count blocks of ROW_THREADS.
extern "C" __global__ void __launch_bounds__(ROW_THREADS)
embedding_f32(const float* table, const int* tokens, float* out, int count, int hidden) {
    int t = blockIdx.x;
    if (t >= count) {
        return;
    }
    const float* row = table + (size_t) tokens[t] * hidden;
    float* dest = out + (size_t) t * hidden;
    for (int c = threadIdx.x; c < hidden; c += ROW_THREADS) {
        dest[c] = row[c];
    }
}

// table [vocab, hidden] bf16 bits; tokens [count]; out [count, hidden] f32.
extern "C" __global__ void __launch_bounds__(ROW_THREADS)
embedding_bf16(const uint16_t* table, const int* tokens, float* out, int count, int hidden) {
    int t = blockIdx.x;
    if (t >= count) {
        return;
    }
    const uint16_t* row = table + (size_t) tokens[t] * hidden;
    float* dest = out + (size_t) t * hidden;
    for (int c = threadIdx.x; c < hidden; c += ROW_THREADS) {
        dest[c] = bf16_to_float(row[c]);
    }
}

// table [vocab, hidden] E4M3 codes; scales [ceil(vocab/128), ceil(hidden/128)]; tokens [count];
// out [count, hidden] f32, each value dequant_e4m3(code, block scale) as Linear.get.
extern "C" __global__ void __launch_bounds__(ROW_THREADS)
embedding_e4m3(const uint8_t* table, const float* scales, const int* tokens, float* out, int count, int hidden) {
    int t = blockIdx.x;
    if (t >= count) {
        return;
    }
    int token = tokens[t];
    const uint8_t* row = table + (size_t) token * hidden;
    const float* scale_row = scales + (size_t) (token / 128) * ((hidden + 127) / 128);
    float* dest = out + (size_t) t * hidden;
    for (int c = threadIdx.x; c < hidden; c += ROW_THREADS) {
        dest[c] = dequant_e4m3(row[c], scale_row[c / 128]);
    }
}

// x [rows, x_stride] (first n used); weight [n]; out [rows, out_stride]; in place when x == out and
// x_stride == out_stride (each row is read and written by its own block).
// Grid: rows blocks of ROW_THREADS.
extern "C" __global__ void __launch_bounds__(ROW_THREADS)
rms_norm(const float* x, int x_stride, const float* weight, float eps, float* out, int out_stride, int rows, int n) {
    int r = blockIdx.x;
    if (r >= rows) {
        return;
    }
    norm_row(x + (size_t) r * x_stride, weight, eps, out + (size_t) r * out_stride, n);
}

// x [*, x_stride]; row_index [rows] (rows of x to normalise); weight [n]; out [rows, out_stride].
// Grid: rows blocks of ROW_THREADS. out must not overlap x (another block may still read it).
extern "C" __global__ void __launch_bounds__(ROW_THREADS)
rms_norm_gather(const float* x, int x_stride, const int* row_index, const float* weight, float eps, float* out,
                int out_stride, int rows, int n) {
    int r = blockIdx.x;
    if (r >= rows) {
        return;
    }
    norm_row(x + (size_t) row_index[r] * x_stride, weight, eps, out + (size_t) r * out_stride, n);
}

// x [rows, row_stride], rotated in place: for row r and head h, the 2*half values at
// offset + h*head_stride; positions [rows]; cos, sin [max_positions, half].
// Grid: one thread per (row, head, pair), pair fastest.
extern "C" __global__ void rope(float* x, int row_stride, int offset, int head_stride, int heads, const int* positions,
                                const float* cos, const float* sin, int half, int rows) {
    long long item = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    long long per_row = (long long) heads * half;
    if (item >= per_row * rows) {
        return;
    }
    int r = (int) (item / per_row);
    int within = (int) (item - r * per_row);
    int h = within / half;
    int i = within - h * half;
    float* pair = x + (size_t) r * row_stride + offset + (size_t) h * head_stride + 2 * i;
    size_t table = (size_t) positions[r] * half + i;
    rotate_pair(pair[0], pair[1], cos[table], sin[table], pair);
}

// kv [rows, kv_stride]: per token c_kv (kv_lora_rank values) then k_pe (rope_dim values), the output
// of kv_a_proj_with_mqa; norm_weight [kv_lora_rank] (kv_a_layernorm); positions, slot_block,
// slot_index [rows]; cos, sin [max_positions, rope_dim/2]; cache: the paged latent cache (see the
// brief: row (b, layer, s) at ((b * num_layers + layer) * block_size + s) * width).
// Writes [rms_norm(c_kv), rope(k_pe)] as MlaAttention does. Grid: rows blocks of ROW_THREADS.
extern "C" __global__ void __launch_bounds__(ROW_THREADS)
latent_cache_write(const float* kv, int kv_stride, const float* norm_weight, float eps, int kv_lora_rank, int rope_dim,
                   const int* positions, const float* cos, const float* sin, const int* slot_block,
                   const int* slot_index, float* cache, int layer, int num_layers, int block_size, int rows) {
    int t = blockIdx.x;
    if (t >= rows) {
        return;
    }
    int width = kv_lora_rank + rope_dim;
    size_t slot = ((size_t) slot_block[t] * num_layers + layer) * block_size + slot_index[t];
    float* dest = cache + slot * width;
    const float* src = kv + (size_t) t * kv_stride;
    norm_row(src, norm_weight, eps, dest, kv_lora_rank);
    int half = rope_dim / 2;
    size_t table = (size_t) positions[t] * half;
    for (int i = threadIdx.x; i < half; i += ROW_THREADS) {
        const float* pair = src + kv_lora_rank + 2 * i;
        rotate_pair(pair[0], pair[1], cos[table + i], sin[table + i], dest + kv_lora_rank + 2 * i);
    }
}

// h [n] += delta [n]: the residual connection. Grid: one thread per value.
extern "C" __global__ void add_inplace(float* h, const float* delta, int n) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        h[i] = h[i] + delta[i];
    }
}

// gate [rows, gate_stride], up [rows, up_stride], first n of each row: gate = silu(gate) * up, with
// silu(g) = g / (1 + exp(-g)) as Kernels.siluMul. Grid: one thread per (row, column).
extern "C" __global__ void silu_mul(float* gate, int gate_stride, const float* up, int up_stride, int rows, int n) {
    long long item = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (item >= (long long) rows * n) {
        return;
    }
    int r = (int) (item / n);
    int c = (int) (item - (long long) r * n);
    float* g = gate + (size_t) r * gate_stride + c;
    float value = *g;
    *g = __fmul_rn(value / (1.0f + expf(-value)), up[(size_t) r * up_stride + c]);
}
