package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Micro-kernels of the batched product: a tile of weight rows against a few tokens' activations,
 * each weight vector loaded once and used for every token of the tile. Per output they keep the
 * lanes, the two interleaved accumulators, the reduction and the scalar tail of
 * {@link VectorDot#f32}/{@link VectorDot#bf16}, so every result is bitwise the single-token dot:
 * tiling changes how often weights are loaded, never the arithmetic of a row.
 *
 * <p>Two families: {@code f32*} for f32 rows (derived matrices, latent rows of the cache) and
 * {@code bf16*}, which widen bf16 rows in registers: re-widening per group of tokens costs a few
 * integer operations, while widening a block into memory first would stream it through the
 * caches twice.
 */
final class TileDot {

    private static final VectorSpecies<Float> F = VectorDot.F;
    private static final int L = F.length();

    private TileDot() {
    }

    /**
     * An f32 row against four activation vectors. Same lanes, FMAs and reduction per token as
     * {@link VectorDot#f32}, so each result is bitwise its.
     */
    static void f32x4(float[] w, int wOffset, float[] x, int x0, int x1, int x2, int x3, int n,
                      float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wOffset + i);
            FloatVector w1 = FloatVector.fromArray(F, w, wOffset + i + L);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = w1.fma(FloatVector.fromArray(F, x, x0 + i + L), a1);
            b0 = w0.fma(FloatVector.fromArray(F, x, x1 + i), b0);
            b1 = w1.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
            c0 = w0.fma(FloatVector.fromArray(F, x, x2 + i), c0);
            c1 = w1.fma(FloatVector.fromArray(F, x, x2 + i + L), c1);
            d0 = w0.fma(FloatVector.fromArray(F, x, x3 + i), d0);
            d1 = w1.fma(FloatVector.fromArray(F, x, x3 + i + L), d1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
        float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float v = w[wOffset + i];
            sa += v * x[x0 + i];
            sb += v * x[x1 + i];
            sc += v * x[x2 + i];
            sd += v * x[x3 + i];
        }
        out[o0] = sa;
        out[o1] = sb;
        out[o2] = sc;
        out[o3] = sd;
    }

    /**
     * {@link #f32x4} for two rows ({@code w[wOffset ..]} and {@code w[wOffset + n ..]}) at once:
     * 16 accumulators (AVX-512 has 32 registers), each activation vector loaded once for both rows.
     * Per output, the same lanes, FMAs and reduction as {@link VectorDot#f32} and {@link Kernels#dot}: bitwise their result.
     */
    static void f32x2x4(float[] w, int wOffset, float[] x, int x0, int x1, int x2, int x3, int n,
                        float[] out, int o0, int o1, int o2, int o3) {
        int v = wOffset + n;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), e0 = FloatVector.zero(F), e1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), f0 = FloatVector.zero(F), f1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), g0 = FloatVector.zero(F), g1 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F), h0 = FloatVector.zero(F), h1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector u0 = FloatVector.fromArray(F, w, wOffset + i);
            FloatVector u1 = FloatVector.fromArray(F, w, wOffset + i + L);
            FloatVector v0 = FloatVector.fromArray(F, w, v + i);
            FloatVector v1 = FloatVector.fromArray(F, w, v + i + L);
            FloatVector x00 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector x01 = FloatVector.fromArray(F, x, x0 + i + L);
            a0 = u0.fma(x00, a0);
            a1 = u1.fma(x01, a1);
            e0 = v0.fma(x00, e0);
            e1 = v1.fma(x01, e1);
            FloatVector x10 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector x11 = FloatVector.fromArray(F, x, x1 + i + L);
            b0 = u0.fma(x10, b0);
            b1 = u1.fma(x11, b1);
            f0 = v0.fma(x10, f0);
            f1 = v1.fma(x11, f1);
            FloatVector x20 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector x21 = FloatVector.fromArray(F, x, x2 + i + L);
            c0 = u0.fma(x20, c0);
            c1 = u1.fma(x21, c1);
            g0 = v0.fma(x20, g0);
            g1 = v1.fma(x21, g1);
            FloatVector x30 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector x31 = FloatVector.fromArray(F, x, x3 + i + L);
            d0 = u0.fma(x30, d0);
            d1 = u1.fma(x31, d1);
            h0 = v0.fma(x30, h0);
            h1 = v1.fma(x31, h1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
        float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
        float se = e0.add(e1).reduceLanes(VectorOperators.ADD);
        float sf = f0.add(f1).reduceLanes(VectorOperators.ADD);
        float sg = g0.add(g1).reduceLanes(VectorOperators.ADD);
        float sh = h0.add(h1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float p = w[wOffset + i];
            float q = w[v + i];
            sa += p * x[x0 + i];
            sb += p * x[x1 + i];
            sc += p * x[x2 + i];
            sd += p * x[x3 + i];
            se += q * x[x0 + i];
            sf += q * x[x1 + i];
            sg += q * x[x2 + i];
            sh += q * x[x3 + i];
        }
        out[o0] = sa;
        out[o1] = sb;
        out[o2] = sc;
        out[o3] = sd;
        out[o0 + 1] = se;
        out[o1 + 1] = sf;
        out[o2 + 1] = sg;
        out[o3 + 1] = sh;
    }

    /**
     * Two bf16 rows, at offsets {@code w} and {@code v}, against four activation vectors, widened in
     * registers; row {@code w}'s outputs go to {@code out[o·]}, row {@code v}'s to {@code out[o· + gap]}.
     * Callers pair rows half a slice apart: two adjacent rows read as two interleaved streams run at a
     * third of the DRAM bandwidth on this machine's prefetchers, two distant ones at full speed.
     */
    static void bf16x2x4(short[] data, int w, int v, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3, int gap) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), e0 = FloatVector.zero(F), e1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), f0 = FloatVector.zero(F), f1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), g0 = FloatVector.zero(F), g1 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F), h0 = FloatVector.zero(F), h1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector u0 = VectorDot.widenBf16(data, w + i);
            FloatVector u1 = VectorDot.widenBf16(data, w + i + L);
            FloatVector v0 = VectorDot.widenBf16(data, v + i);
            FloatVector v1 = VectorDot.widenBf16(data, v + i + L);
            FloatVector p0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector q0 = FloatVector.fromArray(F, x, x0 + i + L);
            a0 = u0.fma(p0, a0);
            a1 = u1.fma(q0, a1);
            e0 = v0.fma(p0, e0);
            e1 = v1.fma(q0, e1);
            FloatVector p1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector q1 = FloatVector.fromArray(F, x, x1 + i + L);
            b0 = u0.fma(p1, b0);
            b1 = u1.fma(q1, b1);
            f0 = v0.fma(p1, f0);
            f1 = v1.fma(q1, f1);
            FloatVector p2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector q2 = FloatVector.fromArray(F, x, x2 + i + L);
            c0 = u0.fma(p2, c0);
            c1 = u1.fma(q2, c1);
            g0 = v0.fma(p2, g0);
            g1 = v1.fma(q2, g1);
            FloatVector p3 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector q3 = FloatVector.fromArray(F, x, x3 + i + L);
            d0 = u0.fma(p3, d0);
            d1 = u1.fma(q3, d1);
            h0 = v0.fma(p3, h0);
            h1 = v1.fma(q3, h1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
        float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
        float se = e0.add(e1).reduceLanes(VectorOperators.ADD);
        float sf = f0.add(f1).reduceLanes(VectorOperators.ADD);
        float sg = g0.add(g1).reduceLanes(VectorOperators.ADD);
        float sh = h0.add(h1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float p = ScalarDot.bf16ToFloat(data[w + i]);
            float q = ScalarDot.bf16ToFloat(data[v + i]);
            sa += p * x[x0 + i];
            se += q * x[x0 + i];
            sb += p * x[x1 + i];
            sf += q * x[x1 + i];
            sc += p * x[x2 + i];
            sg += q * x[x2 + i];
            sd += p * x[x3 + i];
            sh += q * x[x3 + i];
        }
        out[o0] = sa;
        out[o0 + gap] = se;
        out[o1] = sb;
        out[o1 + gap] = sf;
        out[o2] = sc;
        out[o2 + gap] = sg;
        out[o3] = sd;
        out[o3 + gap] = sh;
    }

    /** {@link #bf16x2x4} for three activation vectors: the common group of a MoE expert at a few dozen tokens per step. */
    static void bf16x2x3(short[] data, int w, int v, float[] x, int x0, int x1, int x2, int n, float[] out, int o0, int o1, int o2, int gap) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), e0 = FloatVector.zero(F), e1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), f0 = FloatVector.zero(F), f1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), g0 = FloatVector.zero(F), g1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector u0 = VectorDot.widenBf16(data, w + i);
            FloatVector u1 = VectorDot.widenBf16(data, w + i + L);
            FloatVector v0 = VectorDot.widenBf16(data, v + i);
            FloatVector v1 = VectorDot.widenBf16(data, v + i + L);
            FloatVector p0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector q0 = FloatVector.fromArray(F, x, x0 + i + L);
            a0 = u0.fma(p0, a0);
            a1 = u1.fma(q0, a1);
            e0 = v0.fma(p0, e0);
            e1 = v1.fma(q0, e1);
            FloatVector p1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector q1 = FloatVector.fromArray(F, x, x1 + i + L);
            b0 = u0.fma(p1, b0);
            b1 = u1.fma(q1, b1);
            f0 = v0.fma(p1, f0);
            f1 = v1.fma(q1, f1);
            FloatVector p2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector q2 = FloatVector.fromArray(F, x, x2 + i + L);
            c0 = u0.fma(p2, c0);
            c1 = u1.fma(q2, c1);
            g0 = v0.fma(p2, g0);
            g1 = v1.fma(q2, g1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
        float se = e0.add(e1).reduceLanes(VectorOperators.ADD);
        float sf = f0.add(f1).reduceLanes(VectorOperators.ADD);
        float sg = g0.add(g1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float p = ScalarDot.bf16ToFloat(data[w + i]);
            float q = ScalarDot.bf16ToFloat(data[v + i]);
            sa += p * x[x0 + i];
            se += q * x[x0 + i];
            sb += p * x[x1 + i];
            sf += q * x[x1 + i];
            sc += p * x[x2 + i];
            sg += q * x[x2 + i];
        }
        out[o0] = sa;
        out[o0 + gap] = se;
        out[o1] = sb;
        out[o1 + gap] = sf;
        out[o2] = sc;
        out[o2 + gap] = sg;
    }

    /** {@link #bf16x2x4} for two activation vectors. */
    static void bf16x2x2(short[] data, int w, int v, float[] x, int x0, int x1, int n, float[] out, int o0, int o1, int gap) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), e0 = FloatVector.zero(F), e1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), f0 = FloatVector.zero(F), f1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector u0 = VectorDot.widenBf16(data, w + i);
            FloatVector u1 = VectorDot.widenBf16(data, w + i + L);
            FloatVector v0 = VectorDot.widenBf16(data, v + i);
            FloatVector v1 = VectorDot.widenBf16(data, v + i + L);
            FloatVector p0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector q0 = FloatVector.fromArray(F, x, x0 + i + L);
            a0 = u0.fma(p0, a0);
            a1 = u1.fma(q0, a1);
            e0 = v0.fma(p0, e0);
            e1 = v1.fma(q0, e1);
            FloatVector p1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector q1 = FloatVector.fromArray(F, x, x1 + i + L);
            b0 = u0.fma(p1, b0);
            b1 = u1.fma(q1, b1);
            f0 = v0.fma(p1, f0);
            f1 = v1.fma(q1, f1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float se = e0.add(e1).reduceLanes(VectorOperators.ADD);
        float sf = f0.add(f1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float p = ScalarDot.bf16ToFloat(data[w + i]);
            float q = ScalarDot.bf16ToFloat(data[v + i]);
            sa += p * x[x0 + i];
            se += q * x[x0 + i];
            sb += p * x[x1 + i];
            sf += q * x[x1 + i];
        }
        out[o0] = sa;
        out[o0 + gap] = se;
        out[o1] = sb;
        out[o1 + gap] = sf;
    }

    /** Rows per tile of a packed weight: four vectors, one accumulator each per token. */
    static final int PACKED_TILE = 4 * L;

    /*
     * Packed weights (see Linear): a tile of PACKED_TILE rows stored column by column,
     * p[tile·cols·PACKED_TILE + k·PACKED_TILE + j] = W[tile·PACKED_TILE + j, k]. The products below
     * run down the columns: every output is one chain of fused multiply-adds over k in order, held
     * in one lane of one accumulator, with no horizontal reduction at all. Short rows (a MoE
     * expert's down_proj) would otherwise spend as long reducing as multiplying.
     */
    /** A packed tile at {@code p[tile ..]} against 4 activation vectors: {@code out[o· + j]} for the tile's rows {@code j}. */
    static void packedBf16x4(short[] p, int tile, int cols, float[] x, int x0, int x1, int x2, int x3, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F), d2 = FloatVector.zero(F), d3 = FloatVector.zero(F);
        for (int k = 0, w = tile; k < cols; k++, w += PACKED_TILE) {
            FloatVector w0 = VectorDot.widenBf16(p, w);
            FloatVector w1 = VectorDot.widenBf16(p, w + L);
            FloatVector w2 = VectorDot.widenBf16(p, w + 2 * L);
            FloatVector w3 = VectorDot.widenBf16(p, w + 3 * L);
            FloatVector va = FloatVector.broadcast(F, x[x0 + k]);
            a0 = w0.fma(va, a0);
            a1 = w1.fma(va, a1);
            a2 = w2.fma(va, a2);
            a3 = w3.fma(va, a3);
            FloatVector vb = FloatVector.broadcast(F, x[x1 + k]);
            b0 = w0.fma(vb, b0);
            b1 = w1.fma(vb, b1);
            b2 = w2.fma(vb, b2);
            b3 = w3.fma(vb, b3);
            FloatVector vc = FloatVector.broadcast(F, x[x2 + k]);
            c0 = w0.fma(vc, c0);
            c1 = w1.fma(vc, c1);
            c2 = w2.fma(vc, c2);
            c3 = w3.fma(vc, c3);
            FloatVector vd = FloatVector.broadcast(F, x[x3 + k]);
            d0 = w0.fma(vd, d0);
            d1 = w1.fma(vd, d1);
            d2 = w2.fma(vd, d2);
            d3 = w3.fma(vd, d3);
        }
        a0.intoArray(out, o0);
        a1.intoArray(out, o0 + L);
        a2.intoArray(out, o0 + 2 * L);
        a3.intoArray(out, o0 + 3 * L);
        b0.intoArray(out, o1);
        b1.intoArray(out, o1 + L);
        b2.intoArray(out, o1 + 2 * L);
        b3.intoArray(out, o1 + 3 * L);
        c0.intoArray(out, o2);
        c1.intoArray(out, o2 + L);
        c2.intoArray(out, o2 + 2 * L);
        c3.intoArray(out, o2 + 3 * L);
        d0.intoArray(out, o3);
        d1.intoArray(out, o3 + L);
        d2.intoArray(out, o3 + 2 * L);
        d3.intoArray(out, o3 + 3 * L);
    }

    /** A packed tile at {@code p[tile ..]} against 3 activation vectors: {@code out[o· + j]} for the tile's rows {@code j}. */
    static void packedBf16x3(short[] p, int tile, int cols, float[] x, int x0, int x1, int x2, float[] out, int o0, int o1, int o2) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        for (int k = 0, w = tile; k < cols; k++, w += PACKED_TILE) {
            FloatVector w0 = VectorDot.widenBf16(p, w);
            FloatVector w1 = VectorDot.widenBf16(p, w + L);
            FloatVector w2 = VectorDot.widenBf16(p, w + 2 * L);
            FloatVector w3 = VectorDot.widenBf16(p, w + 3 * L);
            FloatVector va = FloatVector.broadcast(F, x[x0 + k]);
            a0 = w0.fma(va, a0);
            a1 = w1.fma(va, a1);
            a2 = w2.fma(va, a2);
            a3 = w3.fma(va, a3);
            FloatVector vb = FloatVector.broadcast(F, x[x1 + k]);
            b0 = w0.fma(vb, b0);
            b1 = w1.fma(vb, b1);
            b2 = w2.fma(vb, b2);
            b3 = w3.fma(vb, b3);
            FloatVector vc = FloatVector.broadcast(F, x[x2 + k]);
            c0 = w0.fma(vc, c0);
            c1 = w1.fma(vc, c1);
            c2 = w2.fma(vc, c2);
            c3 = w3.fma(vc, c3);
        }
        a0.intoArray(out, o0);
        a1.intoArray(out, o0 + L);
        a2.intoArray(out, o0 + 2 * L);
        a3.intoArray(out, o0 + 3 * L);
        b0.intoArray(out, o1);
        b1.intoArray(out, o1 + L);
        b2.intoArray(out, o1 + 2 * L);
        b3.intoArray(out, o1 + 3 * L);
        c0.intoArray(out, o2);
        c1.intoArray(out, o2 + L);
        c2.intoArray(out, o2 + 2 * L);
        c3.intoArray(out, o2 + 3 * L);
    }

    /** A packed tile at {@code p[tile ..]} against 2 activation vectors: {@code out[o· + j]} for the tile's rows {@code j}. */
    static void packedBf16x2(short[] p, int tile, int cols, float[] x, int x0, int x1, float[] out, int o0, int o1) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int k = 0, w = tile; k < cols; k++, w += PACKED_TILE) {
            FloatVector w0 = VectorDot.widenBf16(p, w);
            FloatVector w1 = VectorDot.widenBf16(p, w + L);
            FloatVector w2 = VectorDot.widenBf16(p, w + 2 * L);
            FloatVector w3 = VectorDot.widenBf16(p, w + 3 * L);
            FloatVector va = FloatVector.broadcast(F, x[x0 + k]);
            a0 = w0.fma(va, a0);
            a1 = w1.fma(va, a1);
            a2 = w2.fma(va, a2);
            a3 = w3.fma(va, a3);
            FloatVector vb = FloatVector.broadcast(F, x[x1 + k]);
            b0 = w0.fma(vb, b0);
            b1 = w1.fma(vb, b1);
            b2 = w2.fma(vb, b2);
            b3 = w3.fma(vb, b3);
        }
        a0.intoArray(out, o0);
        a1.intoArray(out, o0 + L);
        a2.intoArray(out, o0 + 2 * L);
        a3.intoArray(out, o0 + 3 * L);
        b0.intoArray(out, o1);
        b1.intoArray(out, o1 + L);
        b2.intoArray(out, o1 + 2 * L);
        b3.intoArray(out, o1 + 3 * L);
    }

    /** A packed tile at {@code p[tile ..]} against one activation vector: {@code out[o· + j]} for the tile's rows {@code j}. */
    static void packedBf16x1(short[] p, int tile, int cols, float[] x, int x0, float[] out, int o0) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int k = 0, w = tile; k < cols; k++, w += PACKED_TILE) {
            FloatVector w0 = VectorDot.widenBf16(p, w);
            FloatVector w1 = VectorDot.widenBf16(p, w + L);
            FloatVector w2 = VectorDot.widenBf16(p, w + 2 * L);
            FloatVector w3 = VectorDot.widenBf16(p, w + 3 * L);
            FloatVector va = FloatVector.broadcast(F, x[x0 + k]);
            a0 = w0.fma(va, a0);
            a1 = w1.fma(va, a1);
            a2 = w2.fma(va, a2);
            a3 = w3.fma(va, a3);
        }
        a0.intoArray(out, o0);
        a1.intoArray(out, o0 + L);
        a2.intoArray(out, o0 + 2 * L);
        a3.intoArray(out, o0 + 3 * L);
    }

    /**
     * {@link #packedBf16x1} for two tiles at once: one token gives a tile only four independent
     * FMA chains, too few to cover the FMA latency; two tiles give eight.
     */
    static void packedBf16x1x2(short[] p, int tileA, int tileB, int cols, float[] x, int x0, float[] out, int oA, int oB) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int k = 0, w = tileA, v = tileB; k < cols; k++, w += PACKED_TILE, v += PACKED_TILE) {
            FloatVector xk = FloatVector.broadcast(F, x[x0 + k]);
            a0 = VectorDot.widenBf16(p, w).fma(xk, a0);
            a1 = VectorDot.widenBf16(p, w + L).fma(xk, a1);
            a2 = VectorDot.widenBf16(p, w + 2 * L).fma(xk, a2);
            a3 = VectorDot.widenBf16(p, w + 3 * L).fma(xk, a3);
            b0 = VectorDot.widenBf16(p, v).fma(xk, b0);
            b1 = VectorDot.widenBf16(p, v + L).fma(xk, b1);
            b2 = VectorDot.widenBf16(p, v + 2 * L).fma(xk, b2);
            b3 = VectorDot.widenBf16(p, v + 3 * L).fma(xk, b3);
        }
        a0.intoArray(out, oA);
        a1.intoArray(out, oA + L);
        a2.intoArray(out, oA + 2 * L);
        a3.intoArray(out, oA + 3 * L);
        b0.intoArray(out, oB);
        b1.intoArray(out, oB + L);
        b2.intoArray(out, oB + 2 * L);
        b3.intoArray(out, oB + 3 * L);
    }
}
