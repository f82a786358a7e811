// MLA's absorbed decode attention over the paged latent cache, split along the context
// (included by mla.cu; see MlaKernels for the host side).
//
// Work split. Block (head tile, split, task) covers positions [split * split_len,
// min(ctx, (split + 1) * split_len)) of one decode token for MLA_HEAD_TILE heads. The latent rows
// are staged through shared memory in tiles of MLA_POS_TILE positions (cp.async, double
// buffered), and every staged row serves all heads of the tile: that sharing is what makes MLA's
// decode cheap. A model with more heads than one tile (DeepSeek-V3: 128 = 8 tiles) runs its head
// tiles as neighbouring blocks (blockIdx.x is the head tile, the fastest launch index), which
// read the same rows at the same time, so the rows come from HBM once and from L2 for the rest.
// Why not all heads in one block: 128 heads x 512 lora accumulators are 64 K f32, the whole
// register file of an SM; 16 heads x 512 is 32 registers per thread at 256 threads.
//
// Per position tile:
//  1. scores: warp w owns heads 2w and 2w+1 of the tile; each lane keeps the absorbed queries'
//     columns lane + 32 j (j < 18, width <= 576) in registers and sums its share of the 2 x 8
//     dot products, then warp_transpose_sum totals all 16 with 16 shuffles;
//  2. online softmax per head (max and sum over the tile in fixed butterfly order);
//  3. output: thread (head group g = tid / 64, column lane cl = tid % 64) accumulates heads
//     4g .. 4g+3 for columns cl + 64 j (j < 8, lora <= 512): 4 x 8 accumulators in registers, one
//     shared load of a row value feeds four heads, probabilities are warp-wide broadcasts.
// Every score and output element is one fixed chain over the positions of its split, set by the
// context length and split_len alone: batch-invariant.

#define MLA_HEAD_TILE 16
#define MLA_POS_TILE 8
#define MLA_DECODE_THREADS 256
#define MLA_MAX_WIDTH 576
#define MLA_MAX_LORA 512
#define MLA_Q_COLS (MLA_MAX_WIDTH / 32)
#define MLA_OUT_COLS (MLA_MAX_LORA / 64)

// Rows of positions [tile_start, tile_start + positions) into dst [positions][stride], through
// cp.async; positions at or past `end` are zeros (masked scores, and 0-weight times 0 adds nothing).
// Shared by the f32 and the tensor-core decode kernels.
__device__ __forceinline__ void mla_stage_rows(float* dst, int positions, int stride, const float* cache, const int* table,
                                               int tile_start, int end, int layer, int num_layers, int block_size, int width) {
    const int chunks_per_row = width / 4;
    for (int idx = threadIdx.x; idx < positions * chunks_per_row; idx += blockDim.x) {
        const int p = idx / chunks_per_row;
        const int chunk = idx - p * chunks_per_row;
        const int pos = tile_start + p;
        float* to = dst + p * stride + chunk * 4;
        if (pos < end) {
            const size_t block = (size_t) table[pos / block_size];
            const float* row = cache + ((block * num_layers + layer) * block_size + pos % block_size) * width;
            cp_async16(to, row + chunk * 4);
        } else {
            *reinterpret_cast<float4*>(to) = make_float4(0.f, 0.f, 0.f, 0.f);
        }
    }
}

// q_latent [tasks, heads, width]; cache: the paged latent cache; block_tables [tasks, max_blocks];
// context_lens [tasks]; part_out [tasks, max_splits, heads, lora] (un-normalised Σ p·c_kv);
// part_max, part_sum [tasks, max_splits, heads]. Grid (ceil(heads / 16), max_splits, tasks),
// 256 threads, dynamic shared 2 * MLA_POS_TILE * width floats.
extern "C" __global__ void __launch_bounds__(MLA_DECODE_THREADS, 2)
mla_decode_attention(const float* q_latent, const float* cache, const int* block_tables, int max_blocks,
                     const int* context_lens, float* part_out, float* part_max, float* part_sum, int tasks, int heads,
                     int lora, int width, int layer, int num_layers, int block_size, int split_len, int max_splits,
                     float softmax_scale) {
    extern __shared__ float4 mla_shared_rows[];
    float* rows = reinterpret_cast<float*>(mla_shared_rows); // [2][MLA_POS_TILE][width]
    __shared__ float prob[MLA_HEAD_TILE][MLA_POS_TILE];
    __shared__ float rescale[MLA_HEAD_TILE];

    const int head0 = blockIdx.x * MLA_HEAD_TILE;
    const int split = blockIdx.y;
    const int task = blockIdx.z;
    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    if (task >= tasks) {
        return;
    }
    const int ctx = context_lens[task];
    const int begin = split * split_len;
    const int end = min(ctx, begin + split_len);
    const size_t part = ((size_t) task * max_splits + split) * heads;
    if (begin >= end) {
        if (tid < MLA_HEAD_TILE && head0 + tid < heads) {
            part_max[part + head0 + tid] = -INFINITY;
            part_sum[part + head0 + tid] = 0.f;
        }
        return;
    }

    // Step 1's registers: this warp's two heads' absorbed queries, columns lane + 32 j.
    const int score_head = head0 + 2 * warp;
    const bool warp_has_heads = score_head < heads;
    float q[2][MLA_Q_COLS];
#pragma unroll
    for (int a = 0; a < 2; a++) {
#pragma unroll
        for (int j = 0; j < MLA_Q_COLS; j++) {
            const int c = lane + 32 * j;
            q[a][j] = (score_head + a < heads && c < width)
                    ? q_latent[((size_t) task * heads + score_head + a) * width + c] : 0.f;
        }
    }
    // Lanes 0-15 carry head score_head's softmax state, lanes 16-31 head score_head + 1's.
    float run_max = -INFINITY;
    float run_sum = 0.f;

    // Step 3's registers.
    const int group = tid >> 6;
    const int column_lane = tid & 63;
    float acc[4][MLA_OUT_COLS];
#pragma unroll
    for (int a = 0; a < 4; a++) {
#pragma unroll
        for (int j = 0; j < MLA_OUT_COLS; j++) {
            acc[a][j] = 0.f;
        }
    }

    const int* table = block_tables + (size_t) task * max_blocks;
    mla_stage_rows(rows, MLA_POS_TILE, width, cache, table, begin, end, layer, num_layers, block_size, width);
    cp_async_commit();
    int buffer = 0;
    for (int tile_start = begin; tile_start < end; tile_start += MLA_POS_TILE, buffer ^= 1) {
        const float* cur = rows + buffer * MLA_POS_TILE * width;
        cp_async_wait_all();
        __syncthreads(); // tile ready; every thread is done with the other buffer, prob and rescale
        if (tile_start + MLA_POS_TILE < end) {
            mla_stage_rows(rows + (buffer ^ 1) * MLA_POS_TILE * width, MLA_POS_TILE, width, cache, table, tile_start + MLA_POS_TILE,
                           end, layer, num_layers, block_size, width);
        }
        cp_async_commit();
        const int valid = min(MLA_POS_TILE, end - tile_start);

        if (warp_has_heads) {
            float s[2 * MLA_POS_TILE];
#pragma unroll
            for (int i = 0; i < 2 * MLA_POS_TILE; i++) {
                s[i] = 0.f;
            }
            // Per score: columns in order lane, lane + 32, ... within a lane, then the lane tree.
#pragma unroll
            for (int j = 0; j < MLA_Q_COLS; j++) {
                const int c = lane + 32 * j;
                if (c < width) {
#pragma unroll
                    for (int p = 0; p < MLA_POS_TILE; p++) {
                        const float r = cur[p * width + c];
                        s[p] = fmaf(q[0][j], r, s[p]);
                        s[MLA_POS_TILE + p] = fmaf(q[1][j], r, s[MLA_POS_TILE + p]);
                    }
                }
            }
            // Lane l holds score index l >> 1: head a = l >> 4, position p = (l >> 1) & 7.
            float score = warp_transpose_sum<2 * MLA_POS_TILE>(s);
            const int p = (lane >> 1) & (MLA_POS_TILE - 1);
            score = p < valid ? score * softmax_scale : -INFINITY;
            float tile_max = score;
            for (int offset = 8; offset > 1; offset >>= 1) {
                tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
            }
            const float new_max = fmaxf(run_max, tile_max);
            const float e = expf(score - new_max);
            float tile_sum = e;
            for (int offset = 8; offset > 1; offset >>= 1) {
                tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, offset);
            }
            const float correction = expf(run_max - new_max); // 0 on the first tile
            run_sum = run_sum * correction + tile_sum;
            run_max = new_max;
            const int head_in_tile = 2 * warp + (lane >> 4);
            if ((lane & 1) == 0) {
                prob[head_in_tile][p] = e;
            }
            if ((lane & 15) == 0) {
                rescale[head_in_tile] = correction;
            }
        }
        __syncthreads();

        if (head0 + 4 * group < heads) {
#pragma unroll
            for (int a = 0; a < 4; a++) {
                const float correction = rescale[4 * group + a];
#pragma unroll
                for (int j = 0; j < MLA_OUT_COLS; j++) {
                    acc[a][j] *= correction;
                }
            }
            for (int p = 0; p < valid; p++) {
                float r[MLA_OUT_COLS];
#pragma unroll
                for (int j = 0; j < MLA_OUT_COLS; j++) {
                    const int c = column_lane + 64 * j;
                    r[j] = c < lora ? cur[p * width + c] : 0.f;
                }
#pragma unroll
                for (int a = 0; a < 4; a++) {
                    const float pa = prob[4 * group + a][p];
#pragma unroll
                    for (int j = 0; j < MLA_OUT_COLS; j++) {
                        acc[a][j] = fmaf(pa, r[j], acc[a][j]);
                    }
                }
            }
        }
    }

#pragma unroll
    for (int a = 0; a < 4; a++) {
        const int h = head0 + 4 * group + a;
        if (h < heads) {
#pragma unroll
            for (int j = 0; j < MLA_OUT_COLS; j++) {
                const int c = column_lane + 64 * j;
                if (c < lora) {
                    part_out[(part + h) * lora + c] = acc[a][j];
                }
            }
        }
    }
    if (warp_has_heads && (lane & 15) == 0 && score_head + (lane >> 4) < heads) {
        part_max[part + score_head + (lane >> 4)] = run_max;
        part_sum[part + score_head + (lane >> 4)] = run_sum;
    }
}
