// mla_decode_attention on TF32 tensor cores (included by mla.cu after mla_decode.cuh; host side:
// MlaKernels.DECODE_ATTENTION_TC). Same parameters, grid meaning of splits and outputs as the f32
// kernel: part_out [tasks, max_splits, heads, lora] = Σ p·c_kv un-normalised, part_max / part_sum
// [tasks, max_splits, heads], consumed unchanged by mla_decode_combine.
//
// Why: at DeepSeek-V3's shape (128 heads, width 576, lora 512) a position costs 2·128·(576 + 512)
// ≈ 279 KFLOP for 2,304 bytes of latent row, ~120 FLOP/byte: f32 CUDA cores (~67 TFLOPS) reach only
// ~15% of an H100's 3.35 TB/s. TF32 tensor cores (~495 TFLOPS dense, H100 SXM) move the ridge point
// to ~148 FLOP/byte, just above this kernel's intensity.
//
// Work split. Block (head block, split, task) covers MLA_TC_HEADS = 32 heads (two 16-head m-tiles)
// over the split's positions, in tiles of MLA_TC_POS = 8 positions (the mma's n), staged with
// cp.async into two shared buffers. The 8 warps split the K dimension of both products, so each
// staged row value is read from shared memory by one warp per product and feeds both m-tiles:
//  1. scores S = Q · Rowsᵀ (M = heads, N = positions, K = width): warp w owns k-steps w, w + 8, ...
//     (8 columns each, at most 9) and keeps their TF32 query fragments for 32 heads in registers
//     (72 registers); it writes its partial 32 × 8 scores to shared memory;
//  2. thread (head tid / 8, position tid % 8) sums the 8 partials in warp order, masks, and runs the
//     online softmax of its head over the tile (8-lane butterflies); p is rounded to TF32 there;
//  3. O = O·rescale + P · Rows[:, :lora] (K = positions, N = lora): warp w owns n-tiles w, w + 8, ...
//     (8 lora columns each, at most 8) for both m-tiles: 64 accumulators per thread.
// Why 32 heads and not 64 or 128: the queries (heads × width) and accumulators (heads × lora) must
// stay on chip, 1,088 floats per head; 64 heads would be 69,632 registers, more than an SM's 65,536,
// and the 48 KiB shared budget holds the staged rows. A V3 split therefore runs as 4 neighbouring
// blocks (blockIdx.x fastest) that read the same rows at about the same time: HBM once, L2 3 times.
//
// Determinism: every score is, per warp, a fixed chain of mma over that warp's k-steps, then the
// 8 warp partials added in warp order; every output a fixed chain of mma over the split's position
// tiles. The order depends on width, lora, the context length and SPLIT_LEN only: batch-invariant.
// No atomics.
//
// Numerics (relative to the f32 kernel): queries, rows and probabilities are rounded to TF32
// (10-bit mantissa, rna: relative error ≤ 2^-11 each, so ≤ ~2^-10 per product); products and sums
// are f32. A score's error is ~2^-10·‖q ∘ r‖₂ (random rounding over 576 terms) instead of ~2^-23,
// i.e. about 1e-3 relative on the logits, and the output about 1e-3 relative (the f32 kernel:
// ~1e-6). The softmax sum adds the same TF32-rounded p that weight the rows, so the normalised
// weights still sum to 1. This is 4 times finer than bf16 and below what DeepSeek-V3's FP8/bf16
// weights already carry, but it is not bit-comparable with the CPU backend: compare with a relative
// tolerance of ~5e-3. Choosing this kernel must depend on the model shape only (never the batch), or
// a token's result would change with its neighbours (MlaKernels.useTensorCores).
//
// Expected speed on an H100 SXM (estimate, not measured), V3 shape, ≥ 1 block per SM:
//  - tensor work per 8-position tile and block: 8 warps × (18 + 16) m16n8k8 = 272 mma of 2,048 FLOP;
//    at the 495 TFLOPS peak that is ~1 mma per SM clock, but mma.sync reaches only ~60-70% of the
//    wgmma peak on Hopper, and the tile also pays 3 block barriers and the softmax step with only
//    8 warps per SM to hide them: ~600-700 clocks per tile, ~45% of the bandwidth roofline (needing
//    ~405 TFLOPS for 3.35 TB/s), i.e. ~1.5 TB/s of latent rows, about 3× the f32 kernel. The 4× L2
//    reads (~6 TB/s) sit near the L2's limit too, so more is not expected without a larger head block.
//  - 32k context: 128 splits × 4 head blocks = 512 blocks per token, ~4 full waves on 132 SMs even at
//    batch 1: ~40-45% of HBM bandwidth.
//  - 4k context: 16 splits × 4 = 64 blocks per token: at batch 1 half the SMs idle (~20%); from ~8
//    decode tokens per launch the waves fill and it approaches the 32k figure (~40%).
//  The partials also cost traffic: 128 × 512 floats per split (256 KiB written, then read by the
//  combine) against 590 KiB of rows per 256-position split.

#define MLA_TC_HEADS 32
#define MLA_TC_M_TILES (MLA_TC_HEADS / 16)
#define MLA_TC_POS 8
#define MLA_TC_THREADS 256
#define MLA_TC_WARPS (MLA_TC_THREADS / 32)
#define MLA_TC_K_STEPS (MLA_MAX_WIDTH / (8 * MLA_TC_WARPS))
#define MLA_TC_N_TILES (MLA_MAX_LORA / (8 * MLA_TC_WARPS))
#define MLA_TC_PROB_STRIDE 12

// Shared row stride (floats) of a staged latent row: width padded to 8 mod 32, so the scores'
// float2 fragment loads (8 rows × 4 column pairs per half warp) and the output's fragment loads
// (4 rows × 8 columns, then rows + 4) each touch 32 different banks. Rows stay 16-byte aligned.
__device__ __forceinline__ int mla_tc_row_stride(int width) {
    return width + (40 - width % 32) % 32;
}

// Parameters as mla_decode_attention; width % 8 == 0, lora % 8 == 0, width ≤ 576, lora ≤ 512.
// Grid (ceil(heads / 32), max_splits, tasks), 256 threads, dynamic shared
// 2 * MLA_TC_POS * mla_tc_row_stride(width) floats (at most 37,376 bytes; 9,856 bytes static).
extern "C" __global__ void __launch_bounds__(MLA_TC_THREADS, 1)
mla_decode_attention_tc(const float* q_latent, const float* cache, const int* block_tables, int max_blocks,
                        const int* context_lens, float* part_out, float* part_max, float* part_sum, int tasks, int heads,
                        int lora, int width, int layer, int num_layers, int block_size, int split_len, int max_splits,
                        float softmax_scale) {
    extern __shared__ float4 mla_tc_shared_rows[];
    float* rows = reinterpret_cast<float*>(mla_tc_shared_rows); // [2][MLA_TC_POS][stride]
    __shared__ float2 partial_raw[MLA_TC_WARPS * MLA_TC_HEADS * MLA_TC_POS / 2];
    __shared__ float prob[MLA_TC_HEADS * MLA_TC_PROB_STRIDE];   // TF32-rounded p, [head][position]
    __shared__ float rescale[MLA_TC_HEADS];
    float* partial = reinterpret_cast<float*>(partial_raw);      // [warp][head][position]

    const int head0 = blockIdx.x * MLA_TC_HEADS;
    const int split = blockIdx.y;
    const int task = blockIdx.z;
    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int g = (tid & 31) >> 2;
    const int t = tid & 3;
    if (task >= tasks) {
        return;
    }
    const int ctx = context_lens[task];
    const int begin = split * split_len;
    const int end = min(ctx, begin + split_len);
    const size_t part = ((size_t) task * max_splits + split) * heads;
    if (begin >= end) {
        if (tid < MLA_TC_HEADS && head0 + tid < heads) {
            part_max[part + head0 + tid] = -INFINITY;
            part_sum[part + head0 + tid] = 0.f;
        }
        return;
    }
    const int stride = mla_tc_row_stride(width);

    // Step 1's query fragments. Within a k-step, k index t is column 2t and k index t + 4 column
    // 2t + 1 (a permutation of K shared with the row fragments), so both come from one float2.
    uint32_t qa[MLA_TC_M_TILES][MLA_TC_K_STEPS][4];
#pragma unroll
    for (int m = 0; m < MLA_TC_M_TILES; m++) {
#pragma unroll
        for (int j = 0; j < MLA_TC_K_STEPS; j++) {
            const int c = 8 * (warp + MLA_TC_WARPS * j) + 2 * t;
#pragma unroll
            for (int half = 0; half < 2; half++) {
                const int h = head0 + 16 * m + g + 8 * half;
                float2 v = make_float2(0.f, 0.f);
                if (h < heads && c < width) {
                    v = *reinterpret_cast<const float2*>(q_latent + ((size_t) task * heads + h) * width + c);
                }
                qa[m][j][half] = to_tf32(v.x);
                qa[m][j][2 + half] = to_tf32(v.y);
            }
        }
    }
    // Step 2's state: thread tid carries head tid / 8 (its 8 lanes hold identical copies).
    const int soft_head = tid >> 3;
    const int soft_pos = tid & 7;
    float run_max = -INFINITY;
    float run_sum = 0.f;
    // Step 3's accumulators: [m-tile][n-tile j = lora columns 8 (warp + 8 j) ..][fragment].
    float acc[MLA_TC_M_TILES][MLA_TC_N_TILES][4];
#pragma unroll
    for (int m = 0; m < MLA_TC_M_TILES; m++) {
#pragma unroll
        for (int j = 0; j < MLA_TC_N_TILES; j++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                acc[m][j][i] = 0.f;
            }
        }
    }

    const int* table = block_tables + (size_t) task * max_blocks;
    mla_stage_rows(rows, MLA_TC_POS, stride, cache, table, begin, end, layer, num_layers, block_size, width);
    cp_async_commit();
    int buffer = 0;
    for (int tile_start = begin; tile_start < end; tile_start += MLA_TC_POS, buffer ^= 1) {
        const float* cur = rows + buffer * MLA_TC_POS * stride;
        cp_async_wait_all();
        __syncthreads(); // tile ready; every thread is done with the other buffer, prob and rescale
        if (tile_start + MLA_TC_POS < end) {
            mla_stage_rows(rows + (buffer ^ 1) * MLA_TC_POS * stride, MLA_TC_POS, stride, cache, table, tile_start + MLA_TC_POS,
                           end, layer, num_layers, block_size, width);
        }
        cp_async_commit();

        // 1. This warp's share of the scores of 32 heads × 8 positions.
        float s[MLA_TC_M_TILES][4];
#pragma unroll
        for (int m = 0; m < MLA_TC_M_TILES; m++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                s[m][i] = 0.f;
            }
        }
#pragma unroll
        for (int j = 0; j < MLA_TC_K_STEPS; j++) {
            const int c = 8 * (warp + MLA_TC_WARPS * j);
            if (c < width) {
                const float2 r = *reinterpret_cast<const float2*>(cur + g * stride + c + 2 * t);
                const uint32_t b0 = to_tf32(r.x);
                const uint32_t b1 = to_tf32(r.y);
#pragma unroll
                for (int m = 0; m < MLA_TC_M_TILES; m++) {
                    mma_tf32_16x8x8(s[m], qa[m][j], b0, b1);
                }
            }
        }
#pragma unroll
        for (int m = 0; m < MLA_TC_M_TILES; m++) {
            float* mine = partial + (warp * MLA_TC_HEADS + 16 * m + g) * MLA_TC_POS + 2 * t;
            *reinterpret_cast<float2*>(mine) = make_float2(s[m][0], s[m][1]);
            *reinterpret_cast<float2*>(mine + 8 * MLA_TC_POS) = make_float2(s[m][2], s[m][3]);
        }
        __syncthreads();

        // 2. Online softmax of head soft_head over this tile's positions.
        {
            float score = partial[tid];
#pragma unroll
            for (int w = 1; w < MLA_TC_WARPS; w++) {
                score += partial[w * MLA_TC_HEADS * MLA_TC_POS + tid];
            }
            score = soft_pos < end - tile_start ? score * softmax_scale : -INFINITY;
            float tile_max = score;
#pragma unroll
            for (int offset = 4; offset > 0; offset >>= 1) {
                tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
            }
            const float new_max = fmaxf(run_max, tile_max);
            const float e = __uint_as_float(to_tf32(expf(score - new_max)));
            float tile_sum = e;
#pragma unroll
            for (int offset = 4; offset > 0; offset >>= 1) {
                tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, offset);
            }
            const float correction = expf(run_max - new_max); // 0 on the first tile
            run_sum = run_sum * correction + tile_sum;
            run_max = new_max;
            prob[soft_head * MLA_TC_PROB_STRIDE + soft_pos] = e;
            if (soft_pos == 0) {
                rescale[soft_head] = correction;
            }
        }
        __syncthreads();

        // 3. Rescale, then add P · rows for this warp's lora columns.
#pragma unroll
        for (int m = 0; m < MLA_TC_M_TILES; m++) {
            const float low = rescale[16 * m + g];
            const float high = rescale[16 * m + g + 8];
#pragma unroll
            for (int j = 0; j < MLA_TC_N_TILES; j++) {
                acc[m][j][0] *= low;
                acc[m][j][1] *= low;
                acc[m][j][2] *= high;
                acc[m][j][3] *= high;
            }
        }
        uint32_t pa[MLA_TC_M_TILES][4];
#pragma unroll
        for (int m = 0; m < MLA_TC_M_TILES; m++) {
            const float* p_low = prob + (16 * m + g) * MLA_TC_PROB_STRIDE;
            const float* p_high = p_low + 8 * MLA_TC_PROB_STRIDE;
            pa[m][0] = __float_as_uint(p_low[t]);
            pa[m][1] = __float_as_uint(p_high[t]);
            pa[m][2] = __float_as_uint(p_low[t + 4]);
            pa[m][3] = __float_as_uint(p_high[t + 4]);
        }
#pragma unroll
        for (int j = 0; j < MLA_TC_N_TILES; j++) {
            const int n0 = 8 * (warp + MLA_TC_WARPS * j);
            if (n0 < lora) {
                const uint32_t b0 = to_tf32(cur[t * stride + n0 + g]);
                const uint32_t b1 = to_tf32(cur[(t + 4) * stride + n0 + g]);
#pragma unroll
                for (int m = 0; m < MLA_TC_M_TILES; m++) {
                    mma_tf32_16x8x8(acc[m][j], pa[m], b0, b1);
                }
            }
        }
    }

#pragma unroll
    for (int m = 0; m < MLA_TC_M_TILES; m++) {
#pragma unroll
        for (int j = 0; j < MLA_TC_N_TILES; j++) {
            const int c = 8 * (warp + MLA_TC_WARPS * j) + 2 * t;
#pragma unroll
            for (int half = 0; half < 2; half++) {
                const int h = head0 + 16 * m + g + 8 * half;
                if (c < lora && h < heads) {
                    *reinterpret_cast<float2*>(part_out + (part + h) * lora + c) =
                            make_float2(acc[m][j][2 * half], acc[m][j][2 * half + 1]);
                }
            }
        }
    }
    if (soft_pos == 0 && head0 + soft_head < heads) {
        part_max[part + head0 + soft_head] = run_max;
        part_sum[part + head0 + soft_head] = run_sum;
    }
}
