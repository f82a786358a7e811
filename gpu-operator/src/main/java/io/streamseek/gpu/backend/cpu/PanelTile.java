package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register tiles over a panel of f32 weights at {@code p[p0 ..]} ({@code n} columns of {@code 2L}
 * weights, column-major: dequantized by {@link GroupPanel}, or an f32 weight stored that way): two row vectors against 6, 4, 2 or 1 tokens. Each output lane is one chain,
 * {@code acc = fma(w[c], x[c], acc)} for c in column order, started at zero on a product's first
 * panel ({@code first}) and continued from {@code out} on the next ones: exactly
 * {@link GroupDot}'s chain, so an output is bitwise the same whatever the tile, the panel width
 * or the number of tokens. Token {@code j}'s activations are at {@code x[x0 + j·xs ..]}, its
 * outputs at {@code out[o + j·os ..]} ({@code 2L} rows).
 *
 * <p>Per column, two weight loads and one broadcast per token feed two FMAs per token: six tokens
 * keep twelve accumulators and the two FMA units busy: 145–160 GFLOP/s on one Zen 5 core with
 * AVX-512 (83–90 % of its FMA peak), 78–88 in AVX2's shapes, where four tokens gave 54. Twelve
 * accumulators, two weights and a broadcast fit AVX2's sixteen registers.
 */
final class PanelTile {

    private static final VectorSpecies<Float> F = GroupDot.F;
    private static final int L = GroupDot.L;
    /** The widest tile: fifteen vector registers, within AVX2's sixteen. */
    static final int TOKENS = 6;

    private PanelTile() {
    }

    /** Two row vectors against 6 tokens. */
    static void t6(float[] p, int p0, int n, float[] x, int x0, int xs, float[] out, int o, int os, boolean first) {
        FloatVector a0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o);
        FloatVector b0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + L);
        FloatVector a1 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + os);
        FloatVector b1 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + os + L);
        FloatVector a2 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 2 * os);
        FloatVector b2 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 2 * os + L);
        FloatVector a3 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 3 * os);
        FloatVector b3 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 3 * os + L);
        FloatVector a4 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 4 * os);
        FloatVector b4 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 4 * os + L);
        FloatVector a5 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 5 * os);
        FloatVector b5 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 5 * os + L);
        for (int c = 0; c < n; c++) {
            FloatVector u = FloatVector.fromArray(F, p, p0 + c * 2 * L);
            FloatVector v = FloatVector.fromArray(F, p, p0 + c * 2 * L + L);
            FloatVector y0 = FloatVector.broadcast(F, x[x0 + c]);
            a0 = u.fma(y0, a0);
            b0 = v.fma(y0, b0);
            FloatVector y1 = FloatVector.broadcast(F, x[x0 + xs + c]);
            a1 = u.fma(y1, a1);
            b1 = v.fma(y1, b1);
            FloatVector y2 = FloatVector.broadcast(F, x[x0 + 2 * xs + c]);
            a2 = u.fma(y2, a2);
            b2 = v.fma(y2, b2);
            FloatVector y3 = FloatVector.broadcast(F, x[x0 + 3 * xs + c]);
            a3 = u.fma(y3, a3);
            b3 = v.fma(y3, b3);
            FloatVector y4 = FloatVector.broadcast(F, x[x0 + 4 * xs + c]);
            a4 = u.fma(y4, a4);
            b4 = v.fma(y4, b4);
            FloatVector y5 = FloatVector.broadcast(F, x[x0 + 5 * xs + c]);
            a5 = u.fma(y5, a5);
            b5 = v.fma(y5, b5);
        }
        a0.intoArray(out, o);
        b0.intoArray(out, o + L);
        a1.intoArray(out, o + os);
        b1.intoArray(out, o + os + L);
        a2.intoArray(out, o + 2 * os);
        b2.intoArray(out, o + 2 * os + L);
        a3.intoArray(out, o + 3 * os);
        b3.intoArray(out, o + 3 * os + L);
        a4.intoArray(out, o + 4 * os);
        b4.intoArray(out, o + 4 * os + L);
        a5.intoArray(out, o + 5 * os);
        b5.intoArray(out, o + 5 * os + L);
    }

    /** Two row vectors against 4 tokens. */
    static void t4(float[] p, int p0, int n, float[] x, int x0, int xs, float[] out, int o, int os, boolean first) {
        FloatVector a0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o);
        FloatVector b0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + L);
        FloatVector a1 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + os);
        FloatVector b1 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + os + L);
        FloatVector a2 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 2 * os);
        FloatVector b2 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 2 * os + L);
        FloatVector a3 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 3 * os);
        FloatVector b3 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + 3 * os + L);
        for (int c = 0; c < n; c++) {
            FloatVector u = FloatVector.fromArray(F, p, p0 + c * 2 * L);
            FloatVector v = FloatVector.fromArray(F, p, p0 + c * 2 * L + L);
            FloatVector y0 = FloatVector.broadcast(F, x[x0 + c]);
            a0 = u.fma(y0, a0);
            b0 = v.fma(y0, b0);
            FloatVector y1 = FloatVector.broadcast(F, x[x0 + xs + c]);
            a1 = u.fma(y1, a1);
            b1 = v.fma(y1, b1);
            FloatVector y2 = FloatVector.broadcast(F, x[x0 + 2 * xs + c]);
            a2 = u.fma(y2, a2);
            b2 = v.fma(y2, b2);
            FloatVector y3 = FloatVector.broadcast(F, x[x0 + 3 * xs + c]);
            a3 = u.fma(y3, a3);
            b3 = v.fma(y3, b3);
        }
        a0.intoArray(out, o);
        b0.intoArray(out, o + L);
        a1.intoArray(out, o + os);
        b1.intoArray(out, o + os + L);
        a2.intoArray(out, o + 2 * os);
        b2.intoArray(out, o + 2 * os + L);
        a3.intoArray(out, o + 3 * os);
        b3.intoArray(out, o + 3 * os + L);
    }

    /** Two row vectors against 2 tokens. */
    static void t2(float[] p, int p0, int n, float[] x, int x0, int xs, float[] out, int o, int os, boolean first) {
        FloatVector a0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o);
        FloatVector b0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + L);
        FloatVector a1 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + os);
        FloatVector b1 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + os + L);
        for (int c = 0; c < n; c++) {
            FloatVector u = FloatVector.fromArray(F, p, p0 + c * 2 * L);
            FloatVector v = FloatVector.fromArray(F, p, p0 + c * 2 * L + L);
            FloatVector y0 = FloatVector.broadcast(F, x[x0 + c]);
            a0 = u.fma(y0, a0);
            b0 = v.fma(y0, b0);
            FloatVector y1 = FloatVector.broadcast(F, x[x0 + xs + c]);
            a1 = u.fma(y1, a1);
            b1 = v.fma(y1, b1);
        }
        a0.intoArray(out, o);
        b0.intoArray(out, o + L);
        a1.intoArray(out, o + os);
        b1.intoArray(out, o + os + L);
    }

    /** Two row vectors against 1 token. */
    static void t1(float[] p, int p0, int n, float[] x, int x0, int xs, float[] out, int o, int os, boolean first) {
        FloatVector a0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o);
        FloatVector b0 = first ? FloatVector.zero(F) : FloatVector.fromArray(F, out, o + L);
        for (int c = 0; c < n; c++) {
            FloatVector u = FloatVector.fromArray(F, p, p0 + c * 2 * L);
            FloatVector v = FloatVector.fromArray(F, p, p0 + c * 2 * L + L);
            FloatVector y0 = FloatVector.broadcast(F, x[x0 + c]);
            a0 = u.fma(y0, a0);
            b0 = v.fma(y0, b0);
        }
        a0.intoArray(out, o);
        b0.intoArray(out, o + L);
    }
}
