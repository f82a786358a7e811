package io.streamseek.gpu.backend.cuda;

import java.util.Map;

/**
 * The {@code mla} module ({@code mla.cu}) emulated: the absorbed decode path (absorb query,
 * split-context attention, combine, absorb output) and the naive prefill path (gather latent,
 * prefill attention). Shapes as in {@code mla.cu}: {@code width = lora + rope}; {@code kv_b} is
 * {@code kv_b_proj} in f32 {@code [heads × (nope + v), lora]}.
 */
final class EmulatedMla {

    private EmulatedMla() {
    }

    static Map<String, EmulatedKernels.Emulation> emulations() {
        return Map.of(
                "mla_absorb_query", EmulatedMla::absorbQuery,
                "mla_decode_attention", EmulatedMla::decodeAttention,
                // The TF32 tensor-core variant is emulated in f32 like mla_decode_attention: same
                // parameters and outputs; on a GPU its scores and sums carry TF32's ~1e-3 rounding.
                "mla_decode_attention_tc", EmulatedMla::decodeAttention,
                "mla_decode_combine", EmulatedMla::decodeCombine,
                "mla_absorb_output", EmulatedMla::absorbOutput,
                "mla_gather_latent", EmulatedMla::gatherLatent,
                "mla_prefill_attention", EmulatedPrefill::prefillAttention);
    }

    /** q_latent[i, h] = [W_k[h]ᵀ · q_nope, q_pe] of task i's token, the sum over d in order 0..nope-1. */
    private static void absorbQuery(EmulatedMemory m, EmulatedArgs a) {
        long q = a.ptr("q");
        int qStride = a.i32("q_stride");
        long kvB = a.ptr("kv_b");
        long taskToken = a.ptr("task_token");
        long qLatent = a.ptr("q_latent");
        int tasks = a.i32("tasks");
        int heads = a.i32("heads");
        int nope = a.i32("nope");
        int rope = a.i32("rope");
        int v = a.i32("v");
        int lora = a.i32("lora");
        int width = lora + rope;
        int qk = nope + rope;
        for (int i = 0; i < tasks; i++) {
            long token = m.i32(taskToken, i);
            for (int h = 0; h < heads; h++) {
                long qRow = q + 4 * (token * qStride + (long) h * qk);
                long out = qLatent + 4 * (((long) i * heads + h) * width);
                long wK = kvB + 4 * ((long) h * (nope + v) * lora);
                for (int c = 0; c < lora; c++) {
                    float acc = 0f;
                    for (int d = 0; d < nope; d++) {
                        acc += m.f32(wK, (long) d * lora + c) * m.f32(qRow, d);
                    }
                    m.f32(out, c, acc);
                }
                for (int r = 0; r < rope; r++) {
                    m.f32(out, lora + r, m.f32(qRow, nope + r));
                }
            }
        }
    }

    /**
     * Per (task, split, head), over positions [split · split_len, min(ctx, (split + 1) · split_len)):
     * scores s = (q_latent · row) · scale, the split's max M, part_sum = Σ e^(s - M) and part_out =
     * Σ e^(s - M) · c_kv (un-normalised). A split at or past the context writes max = -inf, sum = 0
     * and leaves part_out alone, as the kernel does.
     */
    private static void decodeAttention(EmulatedMemory m, EmulatedArgs a) {
        long qLatent = a.ptr("q_latent");
        long cache = a.ptr("cache");
        long blockTables = a.ptr("block_tables");
        int maxBlocks = a.i32("max_blocks");
        long contextLens = a.ptr("context_lens");
        long partOut = a.ptr("part_out");
        long partMax = a.ptr("part_max");
        long partSum = a.ptr("part_sum");
        int tasks = a.i32("tasks");
        int heads = a.i32("heads");
        int lora = a.i32("lora");
        int width = a.i32("width");
        int layer = a.i32("layer");
        int numLayers = a.i32("num_layers");
        int blockSize = a.i32("block_size");
        int splitLen = a.i32("split_len");
        int maxSplits = a.i32("max_splits");
        float scale = a.f32("softmax_scale");
        for (int task = 0; task < tasks; task++) {
            int ctx = m.i32(contextLens, task);
            long table = blockTables + 4L * task * maxBlocks;
            for (int split = 0; split < maxSplits; split++) {
                int begin = split * splitLen;
                int end = Math.min(ctx, begin + splitLen);
                long part = ((long) task * maxSplits + split) * heads;
                for (int h = 0; h < heads; h++) {
                    if (begin >= end) {
                        m.f32(partMax, part + h, Float.NEGATIVE_INFINITY);
                        m.f32(partSum, part + h, 0f);
                        continue;
                    }
                    long query = qLatent + 4 * (((long) task * heads + h) * width);
                    float[] scores = new float[end - begin];
                    float max = Float.NEGATIVE_INFINITY;
                    for (int p = begin; p < end; p++) {
                        long row = cacheRow(m, cache, table, p, layer, numLayers, blockSize, width);
                        float score = 0f;
                        for (int c = 0; c < width; c++) {
                            score += m.f32(query, c) * m.f32(row, c);
                        }
                        scores[p - begin] = score * scale;
                        max = Math.max(max, scores[p - begin]);
                    }
                    float sum = 0f;
                    float[] out = new float[lora];
                    for (int p = begin; p < end; p++) {
                        float e = (float) Math.exp(scores[p - begin] - max);
                        sum += e;
                        long row = cacheRow(m, cache, table, p, layer, numLayers, blockSize, width);
                        for (int c = 0; c < lora; c++) {
                            out[c] += e * m.f32(row, c);
                        }
                    }
                    for (int c = 0; c < lora; c++) {
                        m.f32(partOut, (part + h) * lora + c, out[c]);
                    }
                    m.f32(partMax, part + h, max);
                    m.f32(partSum, part + h, sum);
                }
            }
        }
    }

    /** o = Σ_s e^(m_s - M) part_out_s / Σ_s e^(m_s - M) part_sum_s over the task's splits, in split order. */
    private static void decodeCombine(EmulatedMemory m, EmulatedArgs a) {
        long partOut = a.ptr("part_out");
        long partMax = a.ptr("part_max");
        long partSum = a.ptr("part_sum");
        long contextLens = a.ptr("context_lens");
        long oLatent = a.ptr("o_latent");
        int tasks = a.i32("tasks");
        int heads = a.i32("heads");
        int lora = a.i32("lora");
        int splitLen = a.i32("split_len");
        int maxSplits = a.i32("max_splits");
        for (int task = 0; task < tasks; task++) {
            int ctx = m.i32(contextLens, task);
            int splits = Math.min(maxSplits, (ctx + splitLen - 1) / splitLen);
            for (int h = 0; h < heads; h++) {
                long first = (long) task * maxSplits * heads + h;
                float globalMax = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < splits; s++) {
                    globalMax = Math.max(globalMax, m.f32(partMax, first + (long) s * heads));
                }
                float denominator = 0f;
                for (int s = 0; s < splits; s++) {
                    long at = first + (long) s * heads;
                    denominator += m.f32(partSum, at) * (float) Math.exp(m.f32(partMax, at) - globalMax);
                }
                long out = oLatent + 4 * (((long) task * heads + h) * lora);
                for (int c = 0; c < lora; c++) {
                    float numerator = 0f;
                    for (int s = 0; s < splits; s++) {
                        long at = first + (long) s * heads;
                        numerator += (float) Math.exp(m.f32(partMax, at) - globalMax) * m.f32(partOut, at * lora + c);
                    }
                    m.f32(out, c, splits == 0 ? 0f : numerator / denominator);
                }
            }
        }
    }

    /** attn[task_token[i], h·v + j] = W_v[h][j] · o_latent[i, h]. */
    private static void absorbOutput(EmulatedMemory m, EmulatedArgs a) {
        long oLatent = a.ptr("o_latent");
        long kvB = a.ptr("kv_b");
        long taskToken = a.ptr("task_token");
        long attn = a.ptr("attn");
        int attnStride = a.i32("attn_stride");
        int tasks = a.i32("tasks");
        int heads = a.i32("heads");
        int nope = a.i32("nope");
        int v = a.i32("v");
        int lora = a.i32("lora");
        for (int i = 0; i < tasks; i++) {
            long token = m.i32(taskToken, i);
            for (int h = 0; h < heads; h++) {
                long o = oLatent + 4 * (((long) i * heads + h) * lora);
                long wV = kvB + 4 * (((long) h * (nope + v) + nope) * lora);
                for (int j = 0; j < v; j++) {
                    float acc = 0f;
                    for (int c = 0; c < lora; c++) {
                        acc += m.f32(wV, (long) j * lora + c) * m.f32(o, c);
                    }
                    m.f32(attn, token * attnStride + (long) h * v + j, acc);
                }
            }
        }
    }

    /** latent[p, :] = the cached row of position p of one sequence and layer, p < context. */
    private static void gatherLatent(EmulatedMemory m, EmulatedArgs a) {
        long cache = a.ptr("cache");
        long blockTable = a.ptr("block_table");
        int context = a.i32("context");
        int layer = a.i32("layer");
        int numLayers = a.i32("num_layers");
        int blockSize = a.i32("block_size");
        int width = a.i32("width");
        long latent = a.ptr("latent");
        for (int p = 0; p < context; p++) {
            long row = cacheRow(m, cache, blockTable, p, layer, numLayers, blockSize, width);
            for (int c = 0; c < width; c++) {
                m.f32(latent, (long) p * width + c, m.f32(row, c));
            }
        }
    }

    /** The address of position {@code pos}'s latent row of {@code layer}, through a sequence's block table. */
    static long cacheRow(EmulatedMemory m, long cache, long blockTable, int pos, int layer, int numLayers, int blockSize, int width) {
        long block = m.i32(blockTable, pos / blockSize);
        return cache + 4 * (((block * numLayers + layer) * blockSize + pos % blockSize) * width);
    }
}
