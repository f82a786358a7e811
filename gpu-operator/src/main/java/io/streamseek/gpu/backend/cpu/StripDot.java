package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register tiles over a strip of dequantized rows ({@link BlockDequant}): four f32 rows against four
 * tokens, the batched products of every block format. Every output is one accumulator chain,
 * {@code acc = fma(w[k ..], x[k ..], acc)} for k = 0, L, 2L, ..., then one lane reduction: the same
 * operations whatever the tile, so an output is bitwise the same alone ({@link #dot}), decoded in
 * registers by {@link BlockDot} in the same order, or in a batch of any size. Four rows by four tokens load
 * eight vectors per sixteen FMAs, which keeps AVX-512's FMA units busy where a one-row tile cannot.
 *
 * <p>Rows are at {@code w0 .. w3} in {@code w}, tokens at {@code x0 .. x3} in {@code x}; a caller
 * with fewer rows or tokens repeats one (computed twice, written twice: same value).
 */
final class StripDot {

    private static final VectorSpecies<Float> F = VectorDot.F;
    private static final int L = F.length();

    private StripDot() {
    }

    /** One row against one token: the chain of one output of the tiles below. */
    static float dot(float[] w, int w0, float[] x, int x0, int n) {
        FloatVector a = FloatVector.zero(F);
        for (int k = 0; k < n; k += L) {
            a = FloatVector.fromArray(F, w, w0 + k).fma(FloatVector.fromArray(F, x, x0 + k), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Four rows against four tokens: {@code out[oj + i] = row i · token j}. Sixteen accumulators,
     * four row vectors and one token vector live (AVX-512 has 32 registers; on AVX2 C2 spills a few,
     * still ahead of narrower tiles there).
     */
    static void r4x4(float[] w, int w0, int w1, int w2, int w3, float[] x, int x0, int x1, int x2, int x3, int n,
                     float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F), c0 = FloatVector.zero(F), d0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F), b1 = FloatVector.zero(F), c1 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F), b2 = FloatVector.zero(F), c2 = FloatVector.zero(F), d2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F), b3 = FloatVector.zero(F), c3 = FloatVector.zero(F), d3 = FloatVector.zero(F);
        for (int k = 0; k < n; k += L) {
            FloatVector u = FloatVector.fromArray(F, w, w0 + k);
            FloatVector v = FloatVector.fromArray(F, w, w1 + k);
            FloatVector s = FloatVector.fromArray(F, w, w2 + k);
            FloatVector t = FloatVector.fromArray(F, w, w3 + k);
            FloatVector y = FloatVector.fromArray(F, x, x0 + k);
            a0 = u.fma(y, a0);
            b0 = v.fma(y, b0);
            c0 = s.fma(y, c0);
            d0 = t.fma(y, d0);
            y = FloatVector.fromArray(F, x, x1 + k);
            a1 = u.fma(y, a1);
            b1 = v.fma(y, b1);
            c1 = s.fma(y, c1);
            d1 = t.fma(y, d1);
            y = FloatVector.fromArray(F, x, x2 + k);
            a2 = u.fma(y, a2);
            b2 = v.fma(y, b2);
            c2 = s.fma(y, c2);
            d2 = t.fma(y, d2);
            y = FloatVector.fromArray(F, x, x3 + k);
            a3 = u.fma(y, a3);
            b3 = v.fma(y, b3);
            c3 = s.fma(y, c3);
            d3 = t.fma(y, d3);
        }
        out[o0] = a0.reduceLanes(VectorOperators.ADD);
        out[o0 + 1] = b0.reduceLanes(VectorOperators.ADD);
        out[o0 + 2] = c0.reduceLanes(VectorOperators.ADD);
        out[o0 + 3] = d0.reduceLanes(VectorOperators.ADD);
        out[o1] = a1.reduceLanes(VectorOperators.ADD);
        out[o1 + 1] = b1.reduceLanes(VectorOperators.ADD);
        out[o1 + 2] = c1.reduceLanes(VectorOperators.ADD);
        out[o1 + 3] = d1.reduceLanes(VectorOperators.ADD);
        out[o2] = a2.reduceLanes(VectorOperators.ADD);
        out[o2 + 1] = b2.reduceLanes(VectorOperators.ADD);
        out[o2 + 2] = c2.reduceLanes(VectorOperators.ADD);
        out[o2 + 3] = d2.reduceLanes(VectorOperators.ADD);
        out[o3] = a3.reduceLanes(VectorOperators.ADD);
        out[o3 + 1] = b3.reduceLanes(VectorOperators.ADD);
        out[o3 + 2] = c3.reduceLanes(VectorOperators.ADD);
        out[o3 + 3] = d3.reduceLanes(VectorOperators.ADD);
    }
}
