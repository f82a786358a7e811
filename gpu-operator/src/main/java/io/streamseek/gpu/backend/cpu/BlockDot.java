package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products of a block-quantized row (repacked by {@link BlockRows}: quants
 * contiguous, scales in f32) with f32 activations, dequantizing in registers as it reads; this file
 * has the 32-value formats, {@link KQuantDot} the 256-value super-blocks. Activations stay f32.
 *
 * <p>The block scale is deferred: a block's integer values times x are summed first
 * ({@code s = Σ q·x}, exact integers converted to f32), then one FMA per block adds {@code d·s} to
 * the accumulator, instead of one multiply per weight vector. One accumulator suffices: its chain
 * has one FMA per 32 weights, and the per-block sums are independent of each other.
 *
 * <p>Each format has a one-token kernel and a four-token kernel that dequantizes every weight vector
 * once and multiplies it into four tokens. Both run the same per-token arithmetic — the same weight
 * vectors FMA'd in the same order, the same block FMA, the same final reduction — so a batched
 * output is bitwise the single-token one, and the order depends only on the number of columns.
 *
 * <p>Shapes: {@code L} f32 lanes (16 with AVX-512, 8 with AVX2); a weight vector is {@code L}
 * quantized bytes (or nibbles of {@code L} bytes) sign-extended to int lanes, masked and shifted
 * there, converted once to f32. 32-value blocks need {@code L ≤ 16}.
 */
public final class BlockDot {

    static final VectorSpecies<Float> F = VectorDot.F;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    static final int L = F.length();
    /** Lane j holds j: the per-lane shift that picks bit j of Q5_0's qh. */
    private static final IntVector LANE = IntVector.fromArray(I, iota(L), 0);

    private BlockDot() {
    }

    /*
     * The kernels below call only Vector API methods (which C2 force-inlines) inside their loops:
     * a helper method of our own taking or returning a vector is inlined only while the compile is
     * small; once C2's node budget is spent (a kernel inlined into its caller) it becomes a real call
     * that boxes every vector, 20x slower. Hence the repeated expressions.
     *
     * Q8_0: blocks in pairs, each block's s = Σ_i q[i..]·x[i..] over i = 0, L, ..., 31, then
     * acc0 += s·d for the first of a pair (and an odd last block), acc1 += s·d for the second: two
     * independent sums per iteration measured 20 % faster than one block at a time.
     */
    static float q8_0(byte[] q, int qo, float[] d, int so, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int blk = 0;
        for (int blocks = n / 32; blk + 1 < blocks; blk += 2) {
            int o = qo + 32 * blk, k = xo + 32 * blk;
            FloatVector s = FloatVector.zero(F), t = FloatVector.zero(F);
            for (int i = 0; i < 32; i += L) {
                s = ((FloatVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, k + i), s);
                t = ((FloatVector) ByteVector.fromArray(B, q, o + 32 + i).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, k + 32 + i), t);
            }
            acc0 = s.fma(FloatVector.broadcast(F, d[so + blk]), acc0);
            acc1 = t.fma(FloatVector.broadcast(F, d[so + blk + 1]), acc1);
        }
        if (32 * blk < n) {
            int o = qo + 32 * blk, k = xo + 32 * blk;
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 32; i += L) {
                s = ((FloatVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, k + i), s);
            }
            acc0 = s.fma(FloatVector.broadcast(F, d[so + blk]), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #q8_0} for four tokens: within a pair, the first block's sums are folded into the
     * acc0s before the second block's are computed (four sums live, not eight: AVX2 has 16 registers).
     */
    static void q8_0x4(byte[] q, int qo, float[] d, int so, float[] x, int x0, int x1, int x2, int x3, int n,
                       float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F), c0 = FloatVector.zero(F), e0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F), b1 = FloatVector.zero(F), c1 = FloatVector.zero(F), e1 = FloatVector.zero(F);
        int blk = 0;
        for (int blocks = n / 32; blk + 1 < blocks; blk += 2) {
            int o = qo + 32 * blk;
            FloatVector sa = FloatVector.zero(F), sb = FloatVector.zero(F), sc = FloatVector.zero(F), se = FloatVector.zero(F);
            for (int i = 0; i < 32; i += L) {
                FloatVector w = (FloatVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2F, F, 0);
                int k = 32 * blk + i;
                sa = w.fma(FloatVector.fromArray(F, x, x0 + k), sa);
                sb = w.fma(FloatVector.fromArray(F, x, x1 + k), sb);
                sc = w.fma(FloatVector.fromArray(F, x, x2 + k), sc);
                se = w.fma(FloatVector.fromArray(F, x, x3 + k), se);
            }
            FloatVector scale = FloatVector.broadcast(F, d[so + blk]);
            a0 = sa.fma(scale, a0);
            b0 = sb.fma(scale, b0);
            c0 = sc.fma(scale, c0);
            e0 = se.fma(scale, e0);
            sa = FloatVector.zero(F);
            sb = FloatVector.zero(F);
            sc = FloatVector.zero(F);
            se = FloatVector.zero(F);
            for (int i = 0; i < 32; i += L) {
                FloatVector w = (FloatVector) ByteVector.fromArray(B, q, o + 32 + i).convertShape(VectorOperators.B2F, F, 0);
                int k = 32 * blk + 32 + i;
                sa = w.fma(FloatVector.fromArray(F, x, x0 + k), sa);
                sb = w.fma(FloatVector.fromArray(F, x, x1 + k), sb);
                sc = w.fma(FloatVector.fromArray(F, x, x2 + k), sc);
                se = w.fma(FloatVector.fromArray(F, x, x3 + k), se);
            }
            scale = FloatVector.broadcast(F, d[so + blk + 1]);
            a1 = sa.fma(scale, a1);
            b1 = sb.fma(scale, b1);
            c1 = sc.fma(scale, c1);
            e1 = se.fma(scale, e1);
        }
        if (32 * blk < n) {
            int o = qo + 32 * blk;
            FloatVector sa = FloatVector.zero(F), sb = FloatVector.zero(F), sc = FloatVector.zero(F), se = FloatVector.zero(F);
            for (int i = 0; i < 32; i += L) {
                FloatVector w = (FloatVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2F, F, 0);
                int k = 32 * blk + i;
                sa = w.fma(FloatVector.fromArray(F, x, x0 + k), sa);
                sb = w.fma(FloatVector.fromArray(F, x, x1 + k), sb);
                sc = w.fma(FloatVector.fromArray(F, x, x2 + k), sc);
                se = w.fma(FloatVector.fromArray(F, x, x3 + k), se);
            }
            FloatVector scale = FloatVector.broadcast(F, d[so + blk]);
            a0 = sa.fma(scale, a0);
            b0 = sb.fma(scale, b0);
            c0 = sc.fma(scale, c0);
            e0 = se.fma(scale, e0);
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = e0.add(e1).reduceLanes(VectorOperators.ADD);
    }

    /*
     * Q4_0: per block and i = 0, L, ... < 16: bytes i.. give values i.. (low nibbles) and 16 + i..
     * (high nibbles), stored as signed nibbles q − 8 (see BlockRows): the high one is the
     * sign-extended byte >> 4, the low one << 28 >> 28. s sums value vectors i, 16 + i, i + L, ...
     */
    static float q4_0(byte[] q, int qo, float[] d, int so, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = qo + 16 * blk, k = xo + 32 * blk;
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = (FloatVector) v.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28)
                        .convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, k + i), s);
                s = hi.fma(FloatVector.fromArray(F, x, k + 16 + i), s);
            }
            acc = s.fma(FloatVector.broadcast(F, d[so + blk]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static void q4_0x4(byte[] q, int qo, float[] d, int so, float[] x, int x0, int x1, int x2, int x3, int n,
                       float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = qo + 16 * blk;
            FloatVector sa = FloatVector.zero(F), sb = FloatVector.zero(F), sc = FloatVector.zero(F), se = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = (FloatVector) v.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28)
                        .convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0);
                int k = 32 * blk + i;
                sa = lo.fma(FloatVector.fromArray(F, x, x0 + k), sa);
                sb = lo.fma(FloatVector.fromArray(F, x, x1 + k), sb);
                sc = lo.fma(FloatVector.fromArray(F, x, x2 + k), sc);
                se = lo.fma(FloatVector.fromArray(F, x, x3 + k), se);
                sa = hi.fma(FloatVector.fromArray(F, x, x0 + k + 16), sa);
                sb = hi.fma(FloatVector.fromArray(F, x, x1 + k + 16), sb);
                sc = hi.fma(FloatVector.fromArray(F, x, x2 + k + 16), sc);
                se = hi.fma(FloatVector.fromArray(F, x, x3 + k + 16), se);
            }
            FloatVector scale = FloatVector.broadcast(F, d[so + blk]);
            a = sa.fma(scale, a);
            b = sb.fma(scale, b);
            c = sc.fma(scale, c);
            e = se.fma(scale, e);
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
        out[o2] = c.reduceLanes(VectorOperators.ADD);
        out[o3] = e.reduceLanes(VectorOperators.ADD);
    }

    /*
     * Q5_0: as Q4_0 on ggml's unsigned nibbles, each or'ed with its 5th bit (bit j of qh for value
     * j, moved to bit 4 by a per-lane shift) and offset by −16 in the integer lanes.
     */
    static float q5_0(byte[] q, int qo, float[] d, int[] highs, int so, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = qo + 16 * blk, k = xo + 32 * blk;
            int qh = highs[so + blk];
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0);
                IntVector hu = IntVector.broadcast(I, (qh >>> i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                IntVector hv = IntVector.broadcast(I, (qh >>> 16 + i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                FloatVector lo = (FloatVector) v.and(15).or(hu).sub(16).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(15).or(hv).sub(16).convert(VectorOperators.I2F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, k + i), s);
                s = hi.fma(FloatVector.fromArray(F, x, k + 16 + i), s);
            }
            acc = s.fma(FloatVector.broadcast(F, d[so + blk]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static void q5_0x4(byte[] q, int qo, float[] d, int[] highs, int so, float[] x, int x0, int x1, int x2, int x3, int n,
                       float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = qo + 16 * blk;
            int qh = highs[so + blk];
            FloatVector sa = FloatVector.zero(F), sb = FloatVector.zero(F), sc = FloatVector.zero(F), se = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0);
                IntVector hu = IntVector.broadcast(I, (qh >>> i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                IntVector hv = IntVector.broadcast(I, (qh >>> 16 + i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                FloatVector lo = (FloatVector) v.and(15).or(hu).sub(16).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(15).or(hv).sub(16).convert(VectorOperators.I2F, 0);
                int k = 32 * blk + i;
                sa = lo.fma(FloatVector.fromArray(F, x, x0 + k), sa);
                sb = lo.fma(FloatVector.fromArray(F, x, x1 + k), sb);
                sc = lo.fma(FloatVector.fromArray(F, x, x2 + k), sc);
                se = lo.fma(FloatVector.fromArray(F, x, x3 + k), se);
                sa = hi.fma(FloatVector.fromArray(F, x, x0 + k + 16), sa);
                sb = hi.fma(FloatVector.fromArray(F, x, x1 + k + 16), sb);
                sc = hi.fma(FloatVector.fromArray(F, x, x2 + k + 16), sc);
                se = hi.fma(FloatVector.fromArray(F, x, x3 + k + 16), se);
            }
            FloatVector scale = FloatVector.broadcast(F, d[so + blk]);
            a = sa.fma(scale, a);
            b = sb.fma(scale, b);
            c = sc.fma(scale, c);
            e = se.fma(scale, e);
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
        out[o2] = c.reduceLanes(VectorOperators.ADD);
        out[o3] = e.reduceLanes(VectorOperators.ADD);
    }

    private static int[] iota(int n) {
        int[] lanes = new int[n];
        for (int i = 0; i < n; i++) {
            lanes[i] = i;
        }
        return lanes;
    }
}
