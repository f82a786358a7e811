package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels of MLA's absorbed attention for one token: all its heads against the latent rows of its
 * sequence. Every head reads the same rows (MLA caches one latent per position, not one key per
 * head), so the kernels tile over heads and load each row once per tile.
 *
 * <p>Rows are given per position as an array and an offset, since a paged cache spreads a
 * sequence over blocks. Scores are laid out {@code [position, head]}. Each score is the
 * {@link Kernels#dot} of its query and row, and each output element one chain of fused
 * multiply-adds over the positions in order, however the work is tiled: batch-invariant.
 */
public final class LatentKernels {

    private static final VectorSpecies<Float> F = VectorDot.F;
    private static final int L = F.length();

    private LatentKernels() {
    }

    /**
     * {@code scores[pos·heads + h] = q[qOffset + h·width ..] · rows[pos][offsets[pos] ..]} over
     * {@code width} values, for every head and position.
     */
    public static void scores(float[] q, int qOffset, int heads, float[][] rows, int[] offsets, int context, int width,
                              float[] scores) {
        int pos = 0;
        while (pos < context) {
            float[] row = rows[pos];
            if (pos + 3 < context && rows[pos + 1] == row && rows[pos + 2] == row && rows[pos + 3] == row) {
                int o0 = pos * heads;
                int o1 = o0 + heads;
                int o2 = o1 + heads;
                int o3 = o2 + heads;
                int h = 0;
                for (; h + 1 < heads; h += 2) {
                    TileDot.f32x2x4(q, qOffset + h * width, row, offsets[pos], offsets[pos + 1], offsets[pos + 2], offsets[pos + 3],
                            width, scores, o0 + h, o1 + h, o2 + h, o3 + h);
                }
                if (h < heads) {
                    TileDot.f32x4(q, qOffset + h * width, row, offsets[pos], offsets[pos + 1], offsets[pos + 2], offsets[pos + 3],
                            width, scores, o0 + h, o1 + h, o2 + h, o3 + h);
                }
                pos += 4;
            } else {
                for (int h = 0; h < heads; h++) {
                    scores[pos * heads + h] = Kernels.dot(q, qOffset + h * width, row, offsets[pos], width);
                }
                pos++;
            }
        }
    }

    /** Scales every score, then a softmax over the positions of each head, in place. */
    public static void softmaxPerHead(float[] scores, int heads, int context, float scale) {
        for (int h = 0; h < heads; h++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = h, end = context * heads; i < end; i += heads) {
                float v = scores[i] * scale;
                scores[i] = v;
                max = Math.max(max, v);
            }
            float sum = 0f;
            for (int i = h, end = context * heads; i < end; i += heads) {
                float e = (float) Math.exp(scores[i] - max);
                scores[i] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int i = h, end = context * heads; i < end; i += heads) {
                scores[i] *= inv;
            }
        }
    }

    /**
     * {@code out[outOffset + h·n + c] = Σ_pos p[pos·heads + h] · rows[pos][offsets[pos] + c]} for
     * {@code c < n}: four heads by two vectors at a time, eight accumulators, each row chunk loaded
     * once for the four heads. A short last group of heads repeats its last head (same values
     * written twice).
     */
    public static void weightedSum(float[] p, int heads, float[][] rows, int[] offsets, int context, int n,
                                   float[] out, int outOffset) {
        for (int h0 = 0; h0 < heads; h0 += 4) {
            int h1 = Math.min(h0 + 1, heads - 1);
            int h2 = Math.min(h0 + 2, heads - 1);
            int h3 = Math.min(h0 + 3, heads - 1);
            int c = 0;
            for (; c + 2 * L <= n; c += 2 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
                FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
                for (int pos = 0; pos < context; pos++) {
                    float[] row = rows[pos];
                    int ro = offsets[pos] + c;
                    FloatVector v0 = FloatVector.fromArray(F, row, ro);
                    FloatVector v1 = FloatVector.fromArray(F, row, ro + L);
                    int pi = pos * heads;
                    FloatVector pa = FloatVector.broadcast(F, p[pi + h0]);
                    a0 = v0.fma(pa, a0);
                    a1 = v1.fma(pa, a1);
                    FloatVector pb = FloatVector.broadcast(F, p[pi + h1]);
                    b0 = v0.fma(pb, b0);
                    b1 = v1.fma(pb, b1);
                    FloatVector pc = FloatVector.broadcast(F, p[pi + h2]);
                    c0 = v0.fma(pc, c0);
                    c1 = v1.fma(pc, c1);
                    FloatVector pd = FloatVector.broadcast(F, p[pi + h3]);
                    d0 = v0.fma(pd, d0);
                    d1 = v1.fma(pd, d1);
                }
                a0.intoArray(out, outOffset + h0 * n + c);
                a1.intoArray(out, outOffset + h0 * n + c + L);
                b0.intoArray(out, outOffset + h1 * n + c);
                b1.intoArray(out, outOffset + h1 * n + c + L);
                c0.intoArray(out, outOffset + h2 * n + c);
                c1.intoArray(out, outOffset + h2 * n + c + L);
                d0.intoArray(out, outOffset + h3 * n + c);
                d1.intoArray(out, outOffset + h3 * n + c + L);
            }
            // Leftover columns (kv_lora_rank not a multiple of two vectors): the same chain per element.
            for (; c < n; c++) {
                for (int h = h0; h <= h3; h++) {
                    float acc = 0f;
                    for (int pos = 0; pos < context; pos++) {
                        acc = Math.fma(rows[pos][offsets[pos] + c], p[pos * heads + h], acc);
                    }
                    out[outOffset + h * n + c] = acc;
                }
            }
        }
    }
}
