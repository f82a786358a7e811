package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One-token products of four block-quantized rows (quants at offsets {@code q0 .. q3}, scales at
 * {@code s0 .. s3}), dequantizing in registers: the decode kernels. Decode is bound by DRAM, and a
 * strip ({@link BlockDequant}) would add a store and a load per weight; here each weight is decoded
 * by exactly {@link BlockDequant}'s expression (the same float), and each output is
 * {@link StripDot}'s chain, {@code acc = fma(w[k ..], x[k ..], acc)} in column order, then one lane
 * reduction. A decoded output is therefore bitwise the batched one.
 *
 * <p>Four rows give four independent chains (the FMA latency hidden). Callers pass rows a quarter of
 * a slice apart: four neighbouring rows read as interleaved streams run at about half the DRAM
 * bandwidth this machine's prefetchers give four distant ones (Q8_0, 1,024 columns, one core: 11 vs
 * 22 GB/s). K-quant values are visited in column order, so a byte holding a low and a high nibble is
 * loaded once for each (the second load hits L1).
 *
 * <p>Only Vector API methods inside the loops (see {@link BlockDequant} for why).
 */
final class BlockDot {

    private static final VectorSpecies<Float> F = BlockDequant.F;
    private static final VectorSpecies<Integer> I = BlockDequant.I;
    private static final VectorSpecies<Byte> B = BlockDequant.B;
    private static final int L = BlockDequant.L;
    private static final IntVector LANE = BlockDequant.LANE;

    private BlockDot() {
    }

    static void q8_0(byte[] q, int q0, int q1, int q2, int q3, float[] d, int s0, int s1, int s2, int s3,
                     float[] x, int xo, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int k = 0; k < n; k += L) {
            int blk = k >> 5;
            FloatVector y = FloatVector.fromArray(F, x, xo + k);
            a = ((FloatVector) ByteVector.fromArray(B, q, q0 + k).convertShape(VectorOperators.B2F, F, 0)).mul(d[s0 + blk]).fma(y, a);
            b = ((FloatVector) ByteVector.fromArray(B, q, q1 + k).convertShape(VectorOperators.B2F, F, 0)).mul(d[s1 + blk]).fma(y, b);
            c = ((FloatVector) ByteVector.fromArray(B, q, q2 + k).convertShape(VectorOperators.B2F, F, 0)).mul(d[s2 + blk]).fma(y, c);
            e = ((FloatVector) ByteVector.fromArray(B, q, q3 + k).convertShape(VectorOperators.B2F, F, 0)).mul(d[s3 + blk]).fma(y, e);
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
        out[o2] = c.reduceLanes(VectorOperators.ADD);
        out[o3] = e.reduceLanes(VectorOperators.ADD);
    }

    static void q4_0(byte[] q, int q0, int q1, float[] d, int s0, int s1,
                     float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            FloatVector da = FloatVector.broadcast(F, d[s0 + blk]), db = FloatVector.broadcast(F, d[s1 + blk]);
            int o = 16 * blk, k = xo + 32 * blk;
            for (int i = 0; i < 16; i += L) {
                FloatVector y = FloatVector.fromArray(F, x, k + i);
                a = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q0 + o + i).convertShape(VectorOperators.B2I, I, 0))
                        .lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).mul(da).fma(y, a);
                b = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q1 + o + i).convertShape(VectorOperators.B2I, I, 0))
                        .lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).mul(db).fma(y, b);
            }
            for (int i = 0; i < 16; i += L) {
                FloatVector y = FloatVector.fromArray(F, x, k + 16 + i);
                a = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q0 + o + i).convertShape(VectorOperators.B2I, I, 0))
                        .lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0)).mul(da).fma(y, a);
                b = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q1 + o + i).convertShape(VectorOperators.B2I, I, 0))
                        .lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0)).mul(db).fma(y, b);
            }
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
    }

    static void q5_0(byte[] q, int q0, int q1, float[] d, int[] highs, int s0, int s1,
                     float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            FloatVector da = FloatVector.broadcast(F, d[s0 + blk]), db = FloatVector.broadcast(F, d[s1 + blk]);
            int ha = highs[s0 + blk], hb = highs[s1 + blk];
            int o = 16 * blk, k = xo + 32 * blk;
            for (int half = 0; half < 2; half++) {
                int shift = 4 * half;
                for (int i = 0; i < 16; i += L) {
                    int bit = 16 * half + i;
                    FloatVector y = FloatVector.fromArray(F, x, k + bit);
                    a = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q0 + o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(15)
                            .or(IntVector.broadcast(I, (ha >>> bit & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10))
                            .sub(16).convert(VectorOperators.I2F, 0)).mul(da).fma(y, a);
                    b = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q1 + o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(15)
                            .or(IntVector.broadcast(I, (hb >>> bit & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10))
                            .sub(16).convert(VectorOperators.I2F, 0)).mul(db).fma(y, b);
                }
            }
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
    }

    static void q4K(byte[] q, int q0, int q1, float[] scales, float[] offsets, int s0, int s1,
                    float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            for (int j = 0; j < 8; j++) {
                int sub = 8 * blk + j;
                FloatVector sa = FloatVector.broadcast(F, scales[s0 + sub]), ma = FloatVector.broadcast(F, offsets[s0 + sub]);
                FloatVector sb = FloatVector.broadcast(F, scales[s1 + sub]), mb = FloatVector.broadcast(F, offsets[s1 + sub]);
                int o = 128 * blk + 32 * (j / 2), shift = 4 * (j % 2), k = xo + 256 * blk + 32 * j;
                for (int i = 0; i < 32; i += L) {
                    FloatVector y = FloatVector.fromArray(F, x, k + i);
                    a = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q0 + o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(15).convert(VectorOperators.I2F, 0)).fma(sa, ma).fma(y, a);
                    b = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q1 + o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(15).convert(VectorOperators.I2F, 0)).fma(sb, mb).fma(y, b);
                }
            }
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
    }

    static void q5K(byte[] q, int q0, int q1, float[] scales, float[] offsets, int s0, int s1,
                    float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            for (int j = 0; j < 8; j++) {
                int sub = 8 * blk + j;
                FloatVector sa = FloatVector.broadcast(F, scales[s0 + sub]), ma = FloatVector.broadcast(F, offsets[s0 + sub]);
                FloatVector sb = FloatVector.broadcast(F, scales[s1 + sub]), mb = FloatVector.broadcast(F, offsets[s1 + sub]);
                int h = 160 * blk, o = h + 32 + 32 * (j / 2), shift = 4 * (j % 2), k = xo + 256 * blk + 32 * j;
                for (int i = 0; i < 32; i += L) {
                    FloatVector y = FloatVector.fromArray(F, x, k + i);
                    a = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q0 + o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(15)
                            .or(((IntVector) ByteVector.fromArray(B, q, q0 + h + i).convertShape(VectorOperators.B2I, I, 0))
                                    .lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.LSHR, j).and(0x10))
                            .convert(VectorOperators.I2F, 0)).fma(sa, ma).fma(y, a);
                    b = ((FloatVector) ((IntVector) ByteVector.fromArray(B, q, q1 + o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(15)
                            .or(((IntVector) ByteVector.fromArray(B, q, q1 + h + i).convertShape(VectorOperators.B2I, I, 0))
                                    .lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.LSHR, j).and(0x10))
                            .convert(VectorOperators.I2F, 0)).fma(sb, mb).fma(y, b);
                }
            }
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q6_K in its own order ({@link BlockRows#steps}): per half h and lanes i, the bytes ql[64h + i],
     * ql[64h + 32 + i] and qh[32h + i] are loaded once and give the four vectors p = 0..3, values
     * 128h + 32p + i: low nibble of the first (p = 0), of the second (1), high nibbles (2, 3), top two
     * bits qh >> 2p; scale (128h + 32p + i) / 16.
     */
    static void q6K(byte[] q, int q0, int q1, float[] scales, int s0, int s1,
                    float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            for (int h = 0; h < 2; h++) {
                int ql = 192 * blk + 64 * h, qh = 192 * blk + 128 + 32 * h, k = xo + 256 * blk + 128 * h, t = 16 * blk + 8 * h;
                for (int i = 0; i < 32; i += L) {
                    int s = t + i / 16;
                    IntVector ta = ((IntVector) ByteVector.fromArray(B, q, q0 + qh + i).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 4);
                    IntVector tb = ((IntVector) ByteVector.fromArray(B, q, q1 + qh + i).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 4);
                    IntVector ua = (IntVector) ByteVector.fromArray(B, q, q0 + ql + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector ub = (IntVector) ByteVector.fromArray(B, q, q1 + ql + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector va = (IntVector) ByteVector.fromArray(B, q, q0 + ql + 32 + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector vb = (IntVector) ByteVector.fromArray(B, q, q1 + ql + 32 + i).convertShape(VectorOperators.B2I, I, 0);
                    FloatVector y = FloatVector.fromArray(F, x, k + i);
                    a = ((FloatVector) ua.and(15).or(ta.and(0x30)).sub(32).convert(VectorOperators.I2F, 0)).mul(scales[s0 + s]).fma(y, a);
                    b = ((FloatVector) ub.and(15).or(tb.and(0x30)).sub(32).convert(VectorOperators.I2F, 0)).mul(scales[s1 + s]).fma(y, b);
                    y = FloatVector.fromArray(F, x, k + 32 + i);
                    a = ((FloatVector) va.and(15).or(ta.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32).convert(VectorOperators.I2F, 0))
                            .mul(scales[s0 + s + 2]).fma(y, a);
                    b = ((FloatVector) vb.and(15).or(tb.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32).convert(VectorOperators.I2F, 0))
                            .mul(scales[s1 + s + 2]).fma(y, b);
                    y = FloatVector.fromArray(F, x, k + 64 + i);
                    a = ((FloatVector) ua.lanewise(VectorOperators.LSHR, 4).and(15).or(ta.lanewise(VectorOperators.LSHR, 4).and(0x30)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(scales[s0 + s + 4]).fma(y, a);
                    b = ((FloatVector) ub.lanewise(VectorOperators.LSHR, 4).and(15).or(tb.lanewise(VectorOperators.LSHR, 4).and(0x30)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(scales[s1 + s + 4]).fma(y, b);
                    y = FloatVector.fromArray(F, x, k + 96 + i);
                    a = ((FloatVector) va.lanewise(VectorOperators.LSHR, 4).and(15).or(ta.lanewise(VectorOperators.LSHR, 6).and(0x30)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(scales[s0 + s + 6]).fma(y, a);
                    b = ((FloatVector) vb.lanewise(VectorOperators.LSHR, 4).and(15).or(tb.lanewise(VectorOperators.LSHR, 6).and(0x30)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(scales[s1 + s + 6]).fma(y, b);
                }
            }
        }
        out[o0] = a.reduceLanes(VectorOperators.ADD);
        out[o1] = b.reduceLanes(VectorOperators.ADD);
    }
}
