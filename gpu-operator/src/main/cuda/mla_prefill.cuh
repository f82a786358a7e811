// MLA's naive prefill attention over one sequence's expanded keys and values (included by
// mla.cu; see MlaKernels for the host side).
//
// Block (query tile of 16 chunk tokens, head): warp w owns tokens 2w and 2w+1 of the tile, each
// lane holding their query columns lane + 32 j (qk_head_dim <= 256) and output columns lane + 32 j
// (v_head_dim <= 128) in registers. Keys ([k_nope from keys_values, k_pe from the latent rows])
// and values of 16 positions are staged in shared memory once for the 16 tokens. Positions run in
// tiles of 16 from 0 with a flash-style online softmax; a tile past a token's own position is an
// exact no-op for it (rescale by exp(0) = 1, weights 0), so a token's result depends only on its
// position, not on which chunk or slot it was computed in.

#define MLA_PREFILL_QUERIES 16
#define MLA_PREFILL_POSITIONS 16
#define MLA_PREFILL_THREADS 256
#define MLA_PREFILL_MAX_QK 256
#define MLA_PREFILL_MAX_V 128

// q [count rows of stride q_stride, heads × (nope + rope), rope part already rotated];
// keys_values [start_pos + count, heads × (nope + v)]; latent [start_pos + count, width];
// attn [count rows of stride attn_stride, heads × v]. Grid (ceil(count / 16), heads), 256
// threads, dynamic shared 16 × (nope + rope + v) floats.
extern "C" __global__ void __launch_bounds__(MLA_PREFILL_THREADS)
mla_prefill_attention(const float* q, int q_stride, const float* keys_values, const float* latent, float* attn,
                      int attn_stride, int count, int start_pos, int heads, int nope, int rope, int v, int lora, int width,
                      float softmax_scale) {
    extern __shared__ float4 mla_prefill_shared[];
    const int qk = nope + rope;
    float* keys = reinterpret_cast<float*>(mla_prefill_shared); // [16][qk]
    float* values = keys + MLA_PREFILL_POSITIONS * qk;          // [16][v]

    const int h = blockIdx.y;
    const int tile0 = blockIdx.x * MLA_PREFILL_QUERIES;
    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int kv_width = heads * (nope + v);
    const int last_token = min(count, tile0 + MLA_PREFILL_QUERIES) - 1;
    if (tile0 >= count) {
        return;
    }
    const int last_pos = start_pos + last_token;

    float qr[2][MLA_PREFILL_MAX_QK / 32];
    int query_pos[2];
#pragma unroll
    for (int a = 0; a < 2; a++) {
        const int t = tile0 + 2 * warp + a;
        query_pos[a] = t < count ? start_pos + t : -1; // -1: no position is visible
#pragma unroll
        for (int j = 0; j < MLA_PREFILL_MAX_QK / 32; j++) {
            const int d = lane + 32 * j;
            qr[a][j] = (t < count && d < qk) ? q[(size_t) t * q_stride + (size_t) h * qk + d] : 0.f;
        }
    }
    float acc[2][MLA_PREFILL_MAX_V / 32];
#pragma unroll
    for (int a = 0; a < 2; a++) {
#pragma unroll
        for (int j = 0; j < MLA_PREFILL_MAX_V / 32; j++) {
            acc[a][j] = 0.f;
        }
    }
    float run_max = -INFINITY; // lanes 0-15: token a = 0, lanes 16-31: a = 1
    float run_sum = 0.f;

    for (int pos0 = 0; pos0 <= last_pos; pos0 += MLA_PREFILL_POSITIONS) {
        __syncthreads(); // the previous tile is no longer read
        for (int idx = tid; idx < MLA_PREFILL_POSITIONS * qk; idx += blockDim.x) {
            const int p = idx / qk;
            const int d = idx - p * qk;
            const size_t pos = (size_t) pos0 + p;
            float k = 0.f;
            if ((int) pos <= last_pos) {
                k = d < nope ? keys_values[pos * kv_width + (size_t) h * (nope + v) + d] : latent[pos * width + lora + (d - nope)];
            }
            keys[idx] = k;
        }
        for (int idx = tid; idx < MLA_PREFILL_POSITIONS * v; idx += blockDim.x) {
            const int p = idx / v;
            const int d = idx - p * v;
            const size_t pos = (size_t) pos0 + p;
            values[idx] = (int) pos <= last_pos ? keys_values[pos * kv_width + (size_t) h * (nope + v) + nope + d] : 0.f;
        }
        __syncthreads();

        float s[2 * MLA_PREFILL_POSITIONS];
#pragma unroll
        for (int i = 0; i < 2 * MLA_PREFILL_POSITIONS; i++) {
            s[i] = 0.f;
        }
#pragma unroll
        for (int p = 0; p < MLA_PREFILL_POSITIONS; p++) {
#pragma unroll
            for (int j = 0; j < MLA_PREFILL_MAX_QK / 32; j++) {
                const int d = lane + 32 * j;
                if (d < qk) {
                    const float k = keys[p * qk + d];
                    s[p] = fmaf(qr[0][j], k, s[p]);
                    s[MLA_PREFILL_POSITIONS + p] = fmaf(qr[1][j], k, s[MLA_PREFILL_POSITIONS + p]);
                }
            }
        }
        // Lane l holds token a = l >> 4 at position pos0 + (l & 15).
        float score = warp_transpose_sum<2 * MLA_PREFILL_POSITIONS>(s);
        const int my_query_pos = (lane >> 4) ? query_pos[1] : query_pos[0];
        score = pos0 + (lane & 15) <= my_query_pos ? score * softmax_scale : -INFINITY;
        float tile_max = score;
        for (int offset = 8; offset > 0; offset >>= 1) {
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
        }
        const float new_max = fmaxf(run_max, tile_max);
        // A token with nothing visible yet (only a token past the chunk) keeps weight 0.
        const float e = new_max == -INFINITY ? 0.f : expf(score - new_max);
        const float correction = new_max == -INFINITY ? 1.f : expf(run_max - new_max);
        float tile_sum = e;
        for (int offset = 8; offset > 0; offset >>= 1) {
            tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, offset);
        }
        run_sum = run_sum * correction + tile_sum;
        run_max = new_max;

#pragma unroll
        for (int a = 0; a < 2; a++) {
            const float c = __shfl_sync(0xffffffffu, correction, 16 * a);
#pragma unroll
            for (int j = 0; j < MLA_PREFILL_MAX_V / 32; j++) {
                acc[a][j] *= c;
            }
        }
#pragma unroll
        for (int p = 0; p < MLA_PREFILL_POSITIONS; p++) {
            float val[MLA_PREFILL_MAX_V / 32];
#pragma unroll
            for (int j = 0; j < MLA_PREFILL_MAX_V / 32; j++) {
                const int d = lane + 32 * j;
                val[j] = d < v ? values[p * v + d] : 0.f;
            }
#pragma unroll
            for (int a = 0; a < 2; a++) {
                const float pa = __shfl_sync(0xffffffffu, e, 16 * a + p);
#pragma unroll
                for (int j = 0; j < MLA_PREFILL_MAX_V / 32; j++) {
                    acc[a][j] = fmaf(pa, val[j], acc[a][j]);
                }
            }
        }
    }

#pragma unroll
    for (int a = 0; a < 2; a++) {
        const int t = tile0 + 2 * warp + a;
        const float sum = __shfl_sync(0xffffffffu, run_sum, 16 * a);
        if (t < count) {
#pragma unroll
            for (int j = 0; j < MLA_PREFILL_MAX_V / 32; j++) {
                const int d = lane + 32 * j;
                if (d < v) {
                    attn[(size_t) t * attn_stride + (size_t) h * v + d] = acc[a][j] / sum;
                }
            }
        }
    }
}
