package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products of a GGUF block-quantized row with f32 activations, dequantizing each
 * block in registers as it is read (layouts: {@link BlockFormats}); this file has the 32-value
 * formats, {@link KQuantDot} the 256-value super-blocks. Activations stay f32.
 *
 * <p>Each format has a one-token kernel and a four-token kernel that dequantizes every weight vector
 * once and multiplies it into four tokens. Both run the same per-token arithmetic — the same weight
 * vectors, FMA'd in the same order into the same one of two accumulators (each kernel's comment
 * says which), reduced the same way at the end — so a batched output is bitwise the single-token
 * one, and the order depends only on the number of columns.
 *
 * <p>Shapes: {@code L} f32 lanes (16 with AVX-512, 8 with AVX2); a weight vector is {@code L}
 * quantized bytes (or nibbles of {@code L} bytes) sign-extended to int lanes, masked and shifted
 * there, converted once to f32 and scaled with one FMA. 32-value blocks need {@code L ≤ 16}.
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

    /** One row of {@code n} values at {@code a[row ..]} times {@code x[xOffset ..]}. */
    public static float dot(Format format, byte[] a, int row, float[] x, int xOffset, int n) {
        return switch (format) {
            case Q8_0 -> q8_0(a, row, x, xOffset, n);
            case Q4_0 -> q4_0(a, row, x, xOffset, n);
            case Q5_0 -> q5_0(a, row, x, xOffset, n);
            case Q4_K -> KQuantDot.q4K(a, row, x, xOffset, n);
            case Q5_K -> KQuantDot.q5K(a, row, x, xOffset, n);
            case Q6_K -> KQuantDot.q6K(a, row, x, xOffset, n);
            default -> throw new IllegalArgumentException(format + " is not a block format");
        };
    }

    /** {@link #dot} for four activation vectors at once: {@code out[o·] = row · x[x· ..]}, each bitwise its {@link #dot}. */
    public static void dot4(Format format, byte[] a, int row, float[] x, int x0, int x1, int x2, int x3, int n,
                            float[] out, int o0, int o1, int o2, int o3) {
        switch (format) {
            case Q8_0 -> q8_0x4(a, row, x, x0, x1, x2, x3, n, out, o0, o1, o2, o3);
            case Q4_0 -> q4_0x4(a, row, x, x0, x1, x2, x3, n, out, o0, o1, o2, o3);
            case Q5_0 -> q5_0x4(a, row, x, x0, x1, x2, x3, n, out, o0, o1, o2, o3);
            case Q4_K -> KQuantDot.q4Kx4(a, row, x, x0, x1, x2, x3, n, out, o0, o1, o2, o3);
            case Q5_K -> KQuantDot.q5Kx4(a, row, x, x0, x1, x2, x3, n, out, o0, o1, o2, o3);
            case Q6_K -> KQuantDot.q6Kx4(a, row, x, x0, x1, x2, x3, n, out, o0, o1, o2, o3);
            default -> throw new IllegalArgumentException(format + " is not a block format");
        }
    }

    /**
     * Rows {@code [rowStart, rowEnd)} (each {@code stride} bytes from {@code a[base]}) for
     * {@code tokens} activation rows: rows in groups of {@code rowBlock} (a block of weight bytes
     * that stays in L2), tokens in groups of four sharing each dequantized weight vector; a group of
     * two or three repeats its last token (same value computed and written twice).
     */
    static void matmul(Format format, byte[] a, int base, int stride, int cols, int rowBlock, float[] x, int xOffset, int xStride,
                       float[] out, int outOffset, int outStride, int tokens, int rowStart, int rowEnd) {
        for (int r0 = rowStart; r0 < rowEnd; r0 += rowBlock) {
            int r1 = Math.min(rowEnd, r0 + rowBlock);
            for (int t = 0; t < tokens; t += 4) {
                int last = Math.min(4, tokens - t) - 1;
                int xt = xOffset + t * xStride;
                int ot = outOffset + t * outStride;
                if (last == 0) {
                    for (int r = r0; r < r1; r++) {
                        out[ot + r] = dot(format, a, base + r * stride, x, xt, cols);
                    }
                    continue;
                }
                int x1 = xt + Math.min(1, last) * xStride, x2 = xt + Math.min(2, last) * xStride, x3 = xt + last * xStride;
                int o1 = ot + Math.min(1, last) * outStride, o2 = ot + Math.min(2, last) * outStride, o3 = ot + last * outStride;
                for (int r = r0; r < r1; r++) {
                    dot4(format, a, base + r * stride, x, xt, x1, x2, x3, cols, out, ot + r, o1 + r, o2 + r, o3 + r);
                }
            }
        }
    }

    /*
     * The kernels below call only Vector API methods (which C2 force-inlines) inside their loops:
     * a helper method of our own taking or returning a vector is inlined only while the compile is
     * small; once C2's node budget is spent (a kernel inlined into its caller) it becomes a real call
     * that boxes every vector, 20x slower. Hence the repeated expressions.
     *
     * Q8_0: per block, vectors i (acc0) and i + L (acc1) for i = 0, 2L, ...: w = q·d.
     */
    static float q8_0(byte[] a, int row, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = row + 34 * blk, k = xo + 32 * blk;
            FloatVector d = FloatVector.broadcast(F, BlockFormats.F16[(short) BlockFormats.SHORT.get(a, o) & 0xffff]);
            for (int i = 0; i < 32; i += 2 * L) {
                FloatVector u = ((FloatVector) ByteVector.fromArray(B, a, o + 2 + i).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                FloatVector v = ((FloatVector) ByteVector.fromArray(B, a, o + 2 + i + L).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                acc0 = u.fma(FloatVector.fromArray(F, x, k + i), acc0);
                acc1 = v.fma(FloatVector.fromArray(F, x, k + i + L), acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q8_0x4(byte[] a, int row, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = row + 34 * blk;
            FloatVector d = FloatVector.broadcast(F, BlockFormats.F16[(short) BlockFormats.SHORT.get(a, o) & 0xffff]);
            for (int i = 0; i < 32; i += 2 * L) {
                FloatVector u = ((FloatVector) ByteVector.fromArray(B, a, o + 2 + i).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                FloatVector v = ((FloatVector) ByteVector.fromArray(B, a, o + 2 + i + L).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                int k = 32 * blk + i;
                a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + L), a1);
                b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + L), b1);
                c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + L), c1);
                d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + L), d1);
            }
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = d0.add(d1).reduceLanes(VectorOperators.ADD);
    }

    /*
     * Q4_0: per block and i = 0, L, ... < 16: bytes i.. give values i.. (low nibbles, acc0) and
     * 16 + i.. (high nibbles, acc1); w = fma(q, d, −8d) = d·(q − 8) exactly.
     */
    static float q4_0(byte[] a, int row, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = row + 18 * blk, k = xo + 32 * blk;
            float scale = BlockFormats.F16[(short) BlockFormats.SHORT.get(a, o) & 0xffff];
            FloatVector d = FloatVector.broadcast(F, scale), m = FloatVector.broadcast(F, -8 * scale);
            for (int i = 0; i < 16; i += L) {
                IntVector q = (IntVector) ByteVector.fromArray(B, a, o + 2 + i).convertShape(VectorOperators.B2I, I, 0);
                FloatVector u = ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).fma(d, m);
                FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(d, m);
                acc0 = u.fma(FloatVector.fromArray(F, x, k + i), acc0);
                acc1 = v.fma(FloatVector.fromArray(F, x, k + 16 + i), acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q4_0x4(byte[] a, int row, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = row + 18 * blk;
            float scale = BlockFormats.F16[(short) BlockFormats.SHORT.get(a, o) & 0xffff];
            FloatVector d = FloatVector.broadcast(F, scale), m = FloatVector.broadcast(F, -8 * scale);
            for (int i = 0; i < 16; i += L) {
                IntVector q = (IntVector) ByteVector.fromArray(B, a, o + 2 + i).convertShape(VectorOperators.B2I, I, 0);
                FloatVector u = ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).fma(d, m);
                FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(d, m);
                int k = 32 * blk + i;
                a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 16), a1);
                b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 16), b1);
                c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 16), c1);
                d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 16), d1);
            }
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = d0.add(d1).reduceLanes(VectorOperators.ADD);
    }

    /*
     * Q5_0: as Q4_0, each nibble or'ed with its 5th bit (bit j of qh for value j, moved to bit 4
     * by a per-lane shift), w = fma(q, d, −16d) = d·(q − 16).
     */
    static float q5_0(byte[] a, int row, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = row + 22 * blk, k = xo + 32 * blk;
            float scale = BlockFormats.F16[(short) BlockFormats.SHORT.get(a, o) & 0xffff];
            int qh = (int) BlockFormats.INT.get(a, o + 2);
            FloatVector d = FloatVector.broadcast(F, scale), m = FloatVector.broadcast(F, -16 * scale);
            for (int i = 0; i < 16; i += L) {
                IntVector q = (IntVector) ByteVector.fromArray(B, a, o + 6 + i).convertShape(VectorOperators.B2I, I, 0);
                IntVector hu = IntVector.broadcast(I, (qh >>> i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                IntVector hv = IntVector.broadcast(I, (qh >>> 16 + i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                FloatVector u = ((FloatVector) q.and(15).or(hu).convert(VectorOperators.I2F, 0)).fma(d, m);
                FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).or(hv).convert(VectorOperators.I2F, 0)).fma(d, m);
                acc0 = u.fma(FloatVector.fromArray(F, x, k + i), acc0);
                acc1 = v.fma(FloatVector.fromArray(F, x, k + 16 + i), acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q5_0x4(byte[] a, int row, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = row + 22 * blk;
            float scale = BlockFormats.F16[(short) BlockFormats.SHORT.get(a, o) & 0xffff];
            int qh = (int) BlockFormats.INT.get(a, o + 2);
            FloatVector d = FloatVector.broadcast(F, scale), m = FloatVector.broadcast(F, -16 * scale);
            for (int i = 0; i < 16; i += L) {
                IntVector q = (IntVector) ByteVector.fromArray(B, a, o + 6 + i).convertShape(VectorOperators.B2I, I, 0);
                IntVector hu = IntVector.broadcast(I, (qh >>> i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                IntVector hv = IntVector.broadcast(I, (qh >>> 16 + i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                FloatVector u = ((FloatVector) q.and(15).or(hu).convert(VectorOperators.I2F, 0)).fma(d, m);
                FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).or(hv).convert(VectorOperators.I2F, 0)).fma(d, m);
                int k = 32 * blk + i;
                a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 16), a1);
                b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 16), b1);
                c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 16), c1);
                d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 16), d1);
            }
        }
        out[o0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[o1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
        out[o2] = c0.add(c1).reduceLanes(VectorOperators.ADD);
        out[o3] = d0.add(d1).reduceLanes(VectorOperators.ADD);
    }

    private static int[] iota(int n) {
        int[] lanes = new int[n];
        for (int i = 0; i < n; i++) {
            lanes[i] = i;
        }
        return lanes;
    }
}
