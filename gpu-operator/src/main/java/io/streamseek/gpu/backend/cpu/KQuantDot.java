package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector dots of GGUF's 256-value K-quant super-blocks (Q4_K, Q5_K, Q6_K) as repacked by
 * {@link BlockRows} (quants contiguous, sub-block scales decoded to f32 at load), the one-token and
 * four-token twins of each as in {@link BlockDot}: same weight vectors, same accumulator per vector,
 * same reduction, so batched outputs are bitwise the single-token ones. Only Vector API calls inside
 * the loops (see {@link BlockDot} for why).
 *
 * <p>Q4_K/Q5_K fold each 32-value sub-block's {@code d·sc} and {@code −dmin·m} into the FMA that
 * dequantizes: {@code w = fma(q, d·sc, −dmin·m)}, exactly ggml's {@code d·sc·q − dmin·m} (the product
 * is exact in f32). Sub-blocks 2c (low nibbles of qs[32c ..]) go to accumulator 0, 2c + 1 (high
 * nibbles) to accumulator 1.
 */
final class KQuantDot {

    private static final VectorSpecies<Float> F = BlockDot.F;
    private static final VectorSpecies<Integer> I = BlockDot.I;
    private static final VectorSpecies<Byte> B = BlockDot.B;
    private static final int L = BlockDot.L;

    private KQuantDot() {
    }

    // ---- Q4_K: qs[128]; w = fma(q, d·sc_j, −dmin·m_j) ----

    static float q4K(byte[] a, int row, float[] scales, float[] offsets, int so, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = row + 128 * blk, s = so + 8 * blk;
            for (int c = 0; c < 4; c++) {
                FloatVector su = FloatVector.broadcast(F, scales[s + 2 * c]), mu = FloatVector.broadcast(F, offsets[s + 2 * c]);
                FloatVector sv = FloatVector.broadcast(F, scales[s + 2 * c + 1]), mv = FloatVector.broadcast(F, offsets[s + 2 * c + 1]);
                int qs = o + 32 * c;
                int k = xo + 256 * blk + 64 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = (IntVector) ByteVector.fromArray(B, a, qs + i).convertShape(VectorOperators.B2I, I, 0);
                    FloatVector u = ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).fma(su, mu);
                    FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(sv, mv);
                    acc0 = u.fma(FloatVector.fromArray(F, x, k + i), acc0);
                    acc1 = v.fma(FloatVector.fromArray(F, x, k + 32 + i), acc1);
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q4Kx4(byte[] a, int row, float[] scales, float[] offsets, int so, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = row + 128 * blk, s = so + 8 * blk;
            for (int c = 0; c < 4; c++) {
                FloatVector su = FloatVector.broadcast(F, scales[s + 2 * c]), mu = FloatVector.broadcast(F, offsets[s + 2 * c]);
                FloatVector sv = FloatVector.broadcast(F, scales[s + 2 * c + 1]), mv = FloatVector.broadcast(F, offsets[s + 2 * c + 1]);
                int qs = o + 32 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = (IntVector) ByteVector.fromArray(B, a, qs + i).convertShape(VectorOperators.B2I, I, 0);
                    FloatVector u = ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).fma(su, mu);
                    FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(sv, mv);
                    int k = 256 * blk + 64 * c + i;
                    a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 32), a1);
                    b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                    b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 32), b1);
                    c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                    c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 32), c1);
                    d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                    d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 32), d1);
                }
            }
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = d0.add(d1).reduceLanes(VectorOperators.ADD);
    }

    // ---- Q5_K: qh[32], qs[128]; value 64c + i (+ 32)'s 5th bit is bit 2c (+ 1) of qh[i] ----

    static float q5K(byte[] a, int row, float[] scales, float[] offsets, int so, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = row + 160 * blk, s = so + 8 * blk;
            for (int c = 0; c < 4; c++) {
                FloatVector su = FloatVector.broadcast(F, scales[s + 2 * c]), mu = FloatVector.broadcast(F, offsets[s + 2 * c]);
                FloatVector sv = FloatVector.broadcast(F, scales[s + 2 * c + 1]), mv = FloatVector.broadcast(F, offsets[s + 2 * c + 1]);
                int qs = o + 32 + 32 * c;
                int k = xo + 256 * blk + 64 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = (IntVector) ByteVector.fromArray(B, a, qs + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromArray(B, a, o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 4);
                    FloatVector u = ((FloatVector) q.and(15).or(h.lanewise(VectorOperators.LSHR, 2 * c).and(0x10)).convert(VectorOperators.I2F, 0)).fma(su, mu);
                    FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and(0x10)).convert(VectorOperators.I2F, 0)).fma(sv, mv);
                    acc0 = u.fma(FloatVector.fromArray(F, x, k + i), acc0);
                    acc1 = v.fma(FloatVector.fromArray(F, x, k + 32 + i), acc1);
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q5Kx4(byte[] a, int row, float[] scales, float[] offsets, int so, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = row + 160 * blk, s = so + 8 * blk;
            for (int c = 0; c < 4; c++) {
                FloatVector su = FloatVector.broadcast(F, scales[s + 2 * c]), mu = FloatVector.broadcast(F, offsets[s + 2 * c]);
                FloatVector sv = FloatVector.broadcast(F, scales[s + 2 * c + 1]), mv = FloatVector.broadcast(F, offsets[s + 2 * c + 1]);
                int qs = o + 32 + 32 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = (IntVector) ByteVector.fromArray(B, a, qs + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromArray(B, a, o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 4);
                    FloatVector u = ((FloatVector) q.and(15).or(h.lanewise(VectorOperators.LSHR, 2 * c).and(0x10)).convert(VectorOperators.I2F, 0)).fma(su, mu);
                    FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and(0x10)).convert(VectorOperators.I2F, 0)).fma(sv, mv);
                    int k = 256 * blk + 64 * c + i;
                    a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 32), a1);
                    b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                    b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 32), b1);
                    c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                    c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 32), c1);
                    d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                    d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 32), d1);
                }
            }
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = d0.add(d1).reduceLanes(VectorOperators.ADD);
    }

    /*
     * Q6_K: ql[128], qh[64] (scales d·sc_i decoded). Per half h (128 values) and lanes i: the qh vector, then
     * for half = 0, 1 two vectors, values 128h + 64·half + i (low bits from ql[64h + i], nibble
     * `half`; acc0) and 128h + 64·half + 32 + i (ql[64h + 32 + i]; acc1), top bits from
     * qh[32h + i] >> 2·(2·half) and >> 2·(2·half + 1); w = (q − 32)·(d·sc), an exact product.
     */

    static float q6K(byte[] a, int row, float[] scales, int so, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = row + 192 * blk, t = so + 16 * blk;
            for (int h = 0; h < 2; h++) {
                int ql = o + 64 * h, sc = t + 8 * h;
                for (int i = 0; i < 32; i += L) {
                    IntVector top = ((IntVector) ByteVector.fromArray(B, a, o + 128 + 32 * h + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 4);
                    for (int half = 0; half < 2; half++) {
                        int shift = 4 * half, s = sc + i / 16 + 4 * half;
                        IntVector qu = (IntVector) ByteVector.fromArray(B, a, ql + i).convertShape(VectorOperators.B2I, I, 0);
                        IntVector qv = (IntVector) ByteVector.fromArray(B, a, ql + 32 + i).convertShape(VectorOperators.B2I, I, 0);
                        qu = qu.lanewise(VectorOperators.LSHR, shift).and(15).or(top.lanewise(VectorOperators.LSHR, shift).and(0x30)).sub(32);
                        qv = qv.lanewise(VectorOperators.LSHR, shift).and(15).or(top.lanewise(VectorOperators.LSHR, shift + 2).and(0x30)).sub(32);
                        FloatVector u = ((FloatVector) qu.convert(VectorOperators.I2F, 0)).mul(scales[s]);
                        FloatVector v = ((FloatVector) qv.convert(VectorOperators.I2F, 0)).mul(scales[s + 2]);
                        int k = 256 * blk + 128 * h + 64 * half + i;
                        acc0 = u.fma(FloatVector.fromArray(F, x, xo + k), acc0);
                        acc1 = v.fma(FloatVector.fromArray(F, x, xo + k + 32), acc1);
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q6Kx4(byte[] a, int row, float[] scales, int so, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = row + 192 * blk, t = so + 16 * blk;
            for (int h = 0; h < 2; h++) {
                int ql = o + 64 * h, sc = t + 8 * h;
                for (int i = 0; i < 32; i += L) {
                    IntVector top = ((IntVector) ByteVector.fromArray(B, a, o + 128 + 32 * h + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 4);
                    for (int half = 0; half < 2; half++) {
                        int shift = 4 * half, s = sc + i / 16 + 4 * half;
                        IntVector qu = (IntVector) ByteVector.fromArray(B, a, ql + i).convertShape(VectorOperators.B2I, I, 0);
                        IntVector qv = (IntVector) ByteVector.fromArray(B, a, ql + 32 + i).convertShape(VectorOperators.B2I, I, 0);
                        qu = qu.lanewise(VectorOperators.LSHR, shift).and(15).or(top.lanewise(VectorOperators.LSHR, shift).and(0x30)).sub(32);
                        qv = qv.lanewise(VectorOperators.LSHR, shift).and(15).or(top.lanewise(VectorOperators.LSHR, shift + 2).and(0x30)).sub(32);
                        FloatVector u = ((FloatVector) qu.convert(VectorOperators.I2F, 0)).mul(scales[s]);
                        FloatVector v = ((FloatVector) qv.convert(VectorOperators.I2F, 0)).mul(scales[s + 2]);
                        int k = 256 * blk + 128 * h + 64 * half + i;
                        a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                        a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 32), a1);
                        b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                        b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 32), b1);
                        c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                        c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 32), c1);
                        d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                        d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 32), d1);
                    }
                }
            }
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = d0.add(d1).reduceLanes(VectorOperators.ADD);
    }
}
