package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One-token products of block-quantized rows — four at a time for the whole-byte formats, two for
 * the nibble formats (quants at offsets {@code q0 ..}, scales at {@code s0 ..}) — dequantizing in
 * registers: the decode kernels. Decode is bound by DRAM, and a
 * strip ({@link BlockDequant}) would add a store and a load per weight; here each weight is decoded
 * by exactly {@link BlockDequant}'s expression (the same float), and each output is
 * {@link StripDot}'s chain, {@code acc = fma(w[k ..], x[k ..], acc)} in column order, then one lane
 * reduction. A decoded output is therefore bitwise the batched one.
 *
 * <p>Several rows give independent chains (the FMA latency hidden). Callers pass rows a quarter (or
 * half) of a slice apart: four neighbouring rows read as interleaved streams run at about half the
 * DRAM bandwidth this machine's prefetchers give four distant ones (Q8_0, 1,024 columns, one core:
 * 11 vs 22 GB/s). K-quant values are visited in column order, so a byte holding a low and a high nibble is
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

    /**
     * Whole-byte formats: Q8_0 ({@code shift} 5: a scale per 32 values) and Q6_K as {@link BlockRows}
     * holds it (int8 q − 32, {@code shift} 4: a scale per 16), {@code w = d·q}.
     */
    static void int8(int shift, byte[] q, int q0, int q1, int q2, int q3, float[] d, int s0, int s1, int s2, int s3,
                     float[] x, int xo, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int k = 0; k < n; k += L) {
            int blk = k >> shift;
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

    /** Q4_0: value i of a block is byte i % 16's low (i < 16) or high signed nibble, {@code w = d·s}. */
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

    /** Q5_0: Q4_0's nibbles unsigned, or'ed with bit i of qh as the 5th bit, {@code w = d·(q − 16)}. */
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

    /**
     * Q4_K: value 32j + i of a super-block is the low (j even) or high nibble of qs[32·(j / 2) + i],
     * {@code w = fma(q, d·sc_j, −dmin·m_j)}.
     */
    static void q4K(byte[] q, int q0, int q1, float[] scales, int s0, int s1,
                    float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            for (int j = 0; j < 8; j++) {
                int sub = 8 * blk + j;
                FloatVector sa = FloatVector.broadcast(F, scales[s0 + 2 * sub]), ma = FloatVector.broadcast(F, scales[s0 + 2 * sub + 1]);
                FloatVector sb = FloatVector.broadcast(F, scales[s1 + 2 * sub]), mb = FloatVector.broadcast(F, scales[s1 + 2 * sub + 1]);
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

    /** Q5_K: Q4_K's nibble or'ed with bit j of qh[i] as its 5th bit. */
    static void q5K(byte[] q, int q0, int q1, float[] scales, int s0, int s1,
                    float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            for (int j = 0; j < 8; j++) {
                int sub = 8 * blk + j;
                FloatVector sa = FloatVector.broadcast(F, scales[s0 + 2 * sub]), ma = FloatVector.broadcast(F, scales[s0 + 2 * sub + 1]);
                FloatVector sb = FloatVector.broadcast(F, scales[s1 + 2 * sub]), mb = FloatVector.broadcast(F, scales[s1 + 2 * sub + 1]);
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
}
