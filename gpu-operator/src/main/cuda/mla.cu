// Multi-head latent attention (DeepSeek-V2/V3) on the GPU: the absorbed decode path over the paged
// latent cache (absorb the query, split-context attention, combine, absorb the output) and the
// naive prefill path (gather a sequence's latent rows, attend over the expanded keys and values).
// The CPU twin is io.streamseek.gpu.attention.MlaAttention; the host side is
// io.streamseek.gpu.backend.cuda.kernel.MlaKernels.
//
// Shapes: heads, nope = qk_nope_head_dim, rope = qk_rope_head_dim, v = v_head_dim,
// lora = kv_lora_rank, width = lora + rope. kv_b is kv_b_proj in f32 [heads × (nope + v), lora].
// A task is one decode token; task_token[i] is its row in the step's q and attn buffers.
#include "common.cuh"
#include "tf32_mma.cuh"
#include "warp_tiles.cuh"

#include "mla_decode.cuh"
#include "mla_decode_tc.cuh"
#include "mla_prefill.cuh"

#define MLA_ABSORB_TASKS 16
#define MLA_ABSORB_THREADS 256
#define MLA_MAX_NOPE 256

// q_latent[i, h, :lora] = W_k[h]ᵀ · q_nope, q_latent[i, h, lora:] = q_pe.
// q [step tokens rows of stride q_stride, heads × (nope + rope)]; kv_b [heads × (nope + v), lora];
// task_token [tasks]; q_latent [tasks, heads, width]. Grid (heads, ceil(tasks / 16)), 256 threads.
// Thread c owns columns c and c + 256 of 16 tasks; the sum over d runs in order 0..nope-1, so an
// output depends only on nope. Each weight element is read once per 16 tasks, coalesced along c.
extern "C" __global__ void __launch_bounds__(MLA_ABSORB_THREADS)
mla_absorb_query(const float* q, int q_stride, const float* kv_b, const int* task_token, float* q_latent, int tasks, int heads,
                 int nope, int rope, int v, int lora) {
    __shared__ float4 q_nope_raw[MLA_ABSORB_TASKS * MLA_MAX_NOPE / 4];
    float* q_nope = reinterpret_cast<float*>(q_nope_raw); // [16][nope]
    const int h = blockIdx.x;
    const int task0 = blockIdx.y * MLA_ABSORB_TASKS;
    const int tid = threadIdx.x;
    const int width = lora + rope;
    const int qk = nope + rope;
    for (int idx = tid; idx < MLA_ABSORB_TASKS * nope; idx += blockDim.x) {
        const int t = idx / nope;
        const int d = idx - t * nope;
        q_nope[idx] = task0 + t < tasks ? q[(size_t) task_token[task0 + t] * q_stride + (size_t) h * qk + d] : 0.f;
    }
    for (int idx = tid; idx < MLA_ABSORB_TASKS * rope; idx += blockDim.x) {
        const int t = idx / rope;
        const int r = idx - t * rope;
        if (task0 + t < tasks) {
            q_latent[((size_t) (task0 + t) * heads + h) * width + lora + r] =
                    q[(size_t) task_token[task0 + t] * q_stride + (size_t) h * qk + nope + r];
        }
    }
    __syncthreads();

    const float* w_k = kv_b + (size_t) h * (nope + v) * lora;
    const int c0 = tid;
    const int c1 = tid + MLA_ABSORB_THREADS;
    float acc[MLA_ABSORB_TASKS][2];
#pragma unroll
    for (int t = 0; t < MLA_ABSORB_TASKS; t++) {
        acc[t][0] = 0.f;
        acc[t][1] = 0.f;
    }
    for (int d = 0; d < nope; d++) {
        const float w0 = c0 < lora ? w_k[(size_t) d * lora + c0] : 0.f;
        const float w1 = c1 < lora ? w_k[(size_t) d * lora + c1] : 0.f;
#pragma unroll
        for (int t = 0; t < MLA_ABSORB_TASKS; t++) {
            const float x = q_nope[t * nope + d]; // the same address for the whole block: a broadcast
            acc[t][0] = fmaf(w0, x, acc[t][0]);
            acc[t][1] = fmaf(w1, x, acc[t][1]);
        }
    }
#pragma unroll
    for (int t = 0; t < MLA_ABSORB_TASKS; t++) {
        if (task0 + t < tasks) {
            float* out = q_latent + ((size_t) (task0 + t) * heads + h) * width;
            if (c0 < lora) {
                out[c0] = acc[t][0];
            }
            if (c1 < lora) {
                out[c1] = acc[t][1];
            }
        }
    }
}

// Merges the splits of mla_decode_attention in split order: o = Σ_s e^(m_s - M) part_out_s /
// Σ_s e^(m_s - M) part_sum_s with M the largest split max. Only the ceil(ctx / split_len) splits
// of the task's context are read. part_* as written by mla_decode_attention; o_latent
// [tasks, heads, lora]. Grid (heads, tasks), 128 threads.
extern "C" __global__ void mla_decode_combine(const float* part_out, const float* part_max, const float* part_sum,
                                              const int* context_lens, float* o_latent, int tasks, int heads, int lora,
                                              int split_len, int max_splits) {
    const int h = blockIdx.x;
    const int task = blockIdx.y;
    if (task >= tasks) {
        return;
    }
    const int ctx = context_lens[task];
    const int splits = min(max_splits, (ctx + split_len - 1) / split_len);
    const size_t first = (size_t) task * max_splits * heads + h; // split s at first + s * heads
    float global_max = -INFINITY;
    for (int s = 0; s < splits; s++) {
        global_max = fmaxf(global_max, part_max[first + (size_t) s * heads]);
    }
    float denominator = 0.f;
    for (int s = 0; s < splits; s++) {
        denominator += part_sum[first + (size_t) s * heads] * expf(part_max[first + (size_t) s * heads] - global_max);
    }
    float* out = o_latent + ((size_t) task * heads + h) * lora;
    for (int c = threadIdx.x; c < lora; c += blockDim.x) {
        float numerator = 0.f;
        for (int s = 0; s < splits; s++) {
            const size_t at = first + (size_t) s * heads;
            numerator += expf(part_max[at] - global_max) * part_out[at * lora + c];
        }
        out[c] = splits == 0 ? 0.f : numerator / denominator;
    }
}

// attn[task_token[i] * attn_stride + h*v + j] = W_v[h][j] · o_latent[i, h].
// o_latent [tasks, heads, lora]; kv_b [heads × (nope + v), lora]; attn [step tokens rows of
// stride attn_stride, heads × v]. Grid (heads, ceil(tasks / 16)), 256 threads, lora % 4 == 0.
// Warp w computes rows 2w, 2w+1 (then + 16, ...) for 16 tasks: lanes take float4 column chunks
// 4·lane + 128·k in order, then warp_transpose_sum totals the 2 × 16 dot products; the order
// depends only on lora. Each weight row is read once per 16 tasks.
extern "C" __global__ void __launch_bounds__(MLA_ABSORB_THREADS)
mla_absorb_output(const float* o_latent, const float* kv_b, const int* task_token, float* attn, int attn_stride, int tasks,
                  int heads, int nope, int v, int lora) {
    __shared__ float4 o_raw[MLA_ABSORB_TASKS * MLA_MAX_LORA / 4];
    const int h = blockIdx.x;
    const int task0 = blockIdx.y * MLA_ABSORB_TASKS;
    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int chunks = lora / 4;
    for (int idx = tid; idx < MLA_ABSORB_TASKS * chunks; idx += blockDim.x) {
        const int t = idx / chunks;
        const int c4 = idx - t * chunks;
        o_raw[idx] = task0 + t < tasks
                ? reinterpret_cast<const float4*>(o_latent + ((size_t) (task0 + t) * heads + h) * lora)[c4]
                : make_float4(0.f, 0.f, 0.f, 0.f);
    }
    __syncthreads();

    const float* w_v = kv_b + ((size_t) h * (nope + v) + nope) * lora;
    for (int row0 = 2 * warp; row0 < v; row0 += 2 * (MLA_ABSORB_THREADS / 32)) {
        float s[2 * MLA_ABSORB_TASKS];
#pragma unroll
        for (int i = 0; i < 2 * MLA_ABSORB_TASKS; i++) {
            s[i] = 0.f;
        }
        for (int c4 = lane; c4 < chunks; c4 += 32) {
            float4 w[2];
#pragma unroll
            for (int a = 0; a < 2; a++) {
                w[a] = row0 + a < v ? reinterpret_cast<const float4*>(w_v + (size_t) (row0 + a) * lora)[c4]
                                    : make_float4(0.f, 0.f, 0.f, 0.f);
            }
#pragma unroll
            for (int t = 0; t < MLA_ABSORB_TASKS; t++) {
                const float4 o = o_raw[t * chunks + c4];
#pragma unroll
                for (int a = 0; a < 2; a++) {
                    float acc = s[a * MLA_ABSORB_TASKS + t];
                    acc = fmaf(w[a].x, o.x, acc);
                    acc = fmaf(w[a].y, o.y, acc);
                    acc = fmaf(w[a].z, o.z, acc);
                    acc = fmaf(w[a].w, o.w, acc);
                    s[a * MLA_ABSORB_TASKS + t] = acc;
                }
            }
        }
        // Lane l holds row row0 + (l >> 4) of task task0 + (l & 15).
        const float total = warp_transpose_sum<2 * MLA_ABSORB_TASKS>(s);
        const int row = row0 + (lane >> 4);
        const int t = task0 + (lane & 15);
        if (row < v && t < tasks) {
            attn[(size_t) task_token[t] * attn_stride + (size_t) h * v + row] = total;
        }
    }
}

// latent[p, :] = the cached row of position p, p < context, for one sequence and layer.
// cache: the paged latent cache; block_table [ceil(context / block_size)]; latent [context, width].
// width % 4 == 0. Grid cover(context × width / 4 float4s, 256).
extern "C" __global__ void mla_gather_latent(const float* cache, const int* block_table, int context, int layer, int num_layers,
                                             int block_size, int width, float* latent) {
    const int chunks = width / 4;
    const long long idx = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long) context * chunks) {
        return;
    }
    const int pos = (int) (idx / chunks);
    const int c4 = (int) (idx - (long long) pos * chunks);
    const size_t block = (size_t) block_table[pos / block_size];
    const float* row = cache + ((block * num_layers + layer) * block_size + pos % block_size) * width;
    reinterpret_cast<float4*>(latent + (size_t) pos * width)[c4] = reinterpret_cast<const float4*>(row)[c4];
}
