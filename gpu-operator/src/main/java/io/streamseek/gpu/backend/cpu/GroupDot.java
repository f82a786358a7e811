package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One-token products of {@link InterleavedBlocks}: the decode kernels. Each takes four row vectors
 * (two for Q5_K) — {@code L} consecutive rows each, quants at {@code q0 ..}, scales at
 * {@code s0 ..} — and, per column, widens the row vector's {@code L} quants to f32, applies their
 * scales and adds {@code w · x[c]} to one accumulator per row: {@code acc = fma(w, x[c], acc)}, the
 * chain {@link PanelTile} runs over a dequantized panel ({@link GroupPanel} builds it by the same
 * expressions, to the same floats). A decoded output is therefore bitwise the batched one.
 *
 * <p>No lane reduction: an accumulator's lanes are {@code L} outputs, stored with one vector store.
 * Row vectors are independent chains (the FMA latency hidden) and, on AVX-512, separate sequential
 * streams of quants, one per group of 16 rows: four streams reach this machine's DRAM bandwidth on
 * one core (Q8_0 about 21 G weights/s), two only 12–15.
 *
 * <p>Per column, the quant addresses step by {@value InterleavedBlocks#GROUP} bytes (the rows of a
 * group side by side): int8 one column per step, nibbles two (low, high); Q5's fifth bits come
 * from a bit plane of 16 bytes per 8 columns after each 32-column sub-block's nibbles. A K-quant
 * sub-block's scale vector is its rows' int8 {@code sc} widened and multiplied by the super-block's
 * {@code d} (its offsets: {@code m} by {@code −dmin}), once per sub-block: the same exact floats that
 * were held before, in a quarter fewer bytes of Q4_K.
 *
 * <p>What JDK 17's C2 compiles to vector code decides the shapes (measured with {@code FormatBench}):
 * one method per format, each with a sub-block loop of constant length (a kernel shared by two
 * formats through a flag, or a column loop of variable length with the scales hoisted out of it,
 * was left boxing vectors, 2 to 10 times slower); nibbles split with byte operations (split with
 * int shifts, a four-row-vector kernel had one conversion left to the Vector API's Java fallback:
 * 1.8 G weights/s); Q5's fifth bits moved into place by constant byte shifts, 8 columns per step
 * (int shifts by a loop variable fell back in AVX2's shapes: 1.5 G weights/s).
 *
 * <p>The per-format methods below are written by {@code gpu-operator/codegen/group_kernels.py}:
 * edit them there.
 */
final class GroupDot {

    static final VectorSpecies<Float> F = VectorDot.F;
    static final int L = F.length();
    /** The byte species with one lane per f32 lane: {@code L} quants per load. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * L)));
    /** The vector kernels need a byte load to fill exactly one f32 vector: 8 or 16 lanes. */
    static final boolean VECTOR = L == 8 || L == 16;
    private static final int G = InterleavedBlocks.GROUP;

    private GroupDot() {
    }

    /** Q8_0: {@code w = d·q}, 16 scales per 32 columns. */
    static void q8_0(byte[] q, int q0, int q1, int q2, int q3, float[] s, int s0, int s1, int s2, int s3,
            float[] x, int xo, int cols, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int k = 0; k < cols; k += 32) {
            int si = (k >> 5) * G;
            FloatVector d0 = FloatVector.fromArray(F, s, s0 + si);
            FloatVector d1 = FloatVector.fromArray(F, s, s1 + si);
            FloatVector d2 = FloatVector.fromArray(F, s, s2 + si);
            FloatVector d3 = FloatVector.fromArray(F, s, s3 + si);
            for (int i = 0; i < 32; i++) {
                int j = k + i;
                int p = j * G;
                ByteVector l0 = ByteVector.fromArray(B, q, q0 + p);
                ByteVector l1 = ByteVector.fromArray(B, q, q1 + p);
                ByteVector l2 = ByteVector.fromArray(B, q, q2 + p);
                ByteVector l3 = ByteVector.fromArray(B, q, q3 + p);
                FloatVector y = FloatVector.broadcast(F, x[xo + j]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(y, b);
                c = ((FloatVector) l2.convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(y, c);
                e = ((FloatVector) l3.convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(y, e);
            }
        }
        a.intoArray(out, o0);
        b.intoArray(out, o1);
        c.intoArray(out, o2);
        e.intoArray(out, o3);
    }

    /** Q6_K as held ({@code q − 32} as int8): {@code w = d·sc·q}, scales per 16 columns. */
    static void q6K(byte[] q, int q0, int q1, int q2, int q3, float[] s, int s0, int s1, int s2, int s3,
            float[] x, int xo, int cols, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int k = 0; k < cols; k += 16) {
            int sup = k >> 8;
            int sd = sup * G;
            int sq = sup * 4352 + ((k & 255) >> 4) * G;
            int qs = sup * 4352 + 256;
            FloatVector d0 = ((FloatVector) ByteVector.fromArray(B, q, q0 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s0 + sd));
            FloatVector d1 = ((FloatVector) ByteVector.fromArray(B, q, q1 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s1 + sd));
            FloatVector d2 = ((FloatVector) ByteVector.fromArray(B, q, q2 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s2 + sd));
            FloatVector d3 = ((FloatVector) ByteVector.fromArray(B, q, q3 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s3 + sd));
            for (int i = 0; i < 16; i++) {
                int j = k + i;
                int p = qs + (j & 255) * G;
                ByteVector l0 = ByteVector.fromArray(B, q, q0 + p);
                ByteVector l1 = ByteVector.fromArray(B, q, q1 + p);
                ByteVector l2 = ByteVector.fromArray(B, q, q2 + p);
                ByteVector l3 = ByteVector.fromArray(B, q, q3 + p);
                FloatVector y = FloatVector.broadcast(F, x[xo + j]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(y, b);
                c = ((FloatVector) l2.convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(y, c);
                e = ((FloatVector) l3.convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(y, e);
            }
        }
        a.intoArray(out, o0);
        b.intoArray(out, o1);
        c.intoArray(out, o2);
        e.intoArray(out, o3);
    }

    /** Q4_0: {@code w = d·(q − 8)}, the 8 taken off the nibble. */
    static void q4_0(byte[] q, int q0, int q1, int q2, int q3, float[] s, int s0, int s1, int s2, int s3,
            float[] x, int xo, int cols, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int k = 0; k < cols; k += 32) {
            int si = (k >> 5) * G;
            FloatVector d0 = FloatVector.fromArray(F, s, s0 + si);
            FloatVector d1 = FloatVector.fromArray(F, s, s1 + si);
            FloatVector d2 = FloatVector.fromArray(F, s, s2 + si);
            FloatVector d3 = FloatVector.fromArray(F, s, s3 + si);
            for (int i = 0; i < 32; i += 2) {
                int j = k + i;
                int p = j / 2 * G;
                ByteVector v0 = ByteVector.fromArray(B, q, q0 + p);
                ByteVector v1 = ByteVector.fromArray(B, q, q1 + p);
                ByteVector v2 = ByteVector.fromArray(B, q, q2 + p);
                ByteVector v3 = ByteVector.fromArray(B, q, q3 + p);
                ByteVector l0 = v0.and((byte) 0x0F);
                ByteVector l1 = v1.and((byte) 0x0F);
                ByteVector l2 = v2.and((byte) 0x0F);
                ByteVector l3 = v3.and((byte) 0x0F);
                ByteVector h0 = v0.lanewise(VectorOperators.LSHR, 4);
                ByteVector h1 = v1.lanewise(VectorOperators.LSHR, 4);
                ByteVector h2 = v2.lanewise(VectorOperators.LSHR, 4);
                ByteVector h3 = v3.lanewise(VectorOperators.LSHR, 4);
                FloatVector y = FloatVector.broadcast(F, x[xo + j]);
                a = ((FloatVector) l0.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(y, a);
                b = ((FloatVector) l1.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(y, b);
                c = ((FloatVector) l2.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(y, c);
                e = ((FloatVector) l3.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(y, e);
                FloatVector z = FloatVector.broadcast(F, x[xo + j + 1]);
                a = ((FloatVector) h0.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(z, a);
                b = ((FloatVector) h1.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(z, b);
                c = ((FloatVector) h2.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(z, c);
                e = ((FloatVector) h3.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(z, e);
            }
        }
        a.intoArray(out, o0);
        b.intoArray(out, o1);
        c.intoArray(out, o2);
        e.intoArray(out, o3);
    }

    /** Q4_K: {@code w = d·sc·q − dmin·m} (one exact product and an add, as ggml's). */
    static void q4K(byte[] q, int q0, int q1, int q2, int q3, float[] s, int s0, int s1, int s2, int s3,
            float[] x, int xo, int cols, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F), c = FloatVector.zero(F), e = FloatVector.zero(F);
        for (int k = 0; k < cols; k += 32) {
            int sup = k >> 8;
            int sd = sup * 2 * G;
            int sq = sup * 2304 + ((k & 255) >> 5) * G;
            int qs = sup * 2304 + 256;
            FloatVector d0 = ((FloatVector) ByteVector.fromArray(B, q, q0 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s0 + sd));
            FloatVector m0 = ((FloatVector) ByteVector.fromArray(B, q, q0 + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s0 + sd + G));
            FloatVector d1 = ((FloatVector) ByteVector.fromArray(B, q, q1 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s1 + sd));
            FloatVector m1 = ((FloatVector) ByteVector.fromArray(B, q, q1 + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s1 + sd + G));
            FloatVector d2 = ((FloatVector) ByteVector.fromArray(B, q, q2 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s2 + sd));
            FloatVector m2 = ((FloatVector) ByteVector.fromArray(B, q, q2 + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s2 + sd + G));
            FloatVector d3 = ((FloatVector) ByteVector.fromArray(B, q, q3 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s3 + sd));
            FloatVector m3 = ((FloatVector) ByteVector.fromArray(B, q, q3 + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s3 + sd + G));
            for (int i = 0; i < 32; i += 2) {
                int j = k + i;
                int p = qs + (j & 255) / 2 * G;
                ByteVector v0 = ByteVector.fromArray(B, q, q0 + p);
                ByteVector v1 = ByteVector.fromArray(B, q, q1 + p);
                ByteVector v2 = ByteVector.fromArray(B, q, q2 + p);
                ByteVector v3 = ByteVector.fromArray(B, q, q3 + p);
                ByteVector l0 = v0.and((byte) 0x0F);
                ByteVector l1 = v1.and((byte) 0x0F);
                ByteVector l2 = v2.and((byte) 0x0F);
                ByteVector l3 = v3.and((byte) 0x0F);
                ByteVector h0 = v0.lanewise(VectorOperators.LSHR, 4);
                ByteVector h1 = v1.lanewise(VectorOperators.LSHR, 4);
                ByteVector h2 = v2.lanewise(VectorOperators.LSHR, 4);
                ByteVector h3 = v3.lanewise(VectorOperators.LSHR, 4);
                FloatVector y = FloatVector.broadcast(F, x[xo + j]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(y, b);
                c = ((FloatVector) l2.convertShape(VectorOperators.B2F, F, 0)).fma(d2, m2).fma(y, c);
                e = ((FloatVector) l3.convertShape(VectorOperators.B2F, F, 0)).fma(d3, m3).fma(y, e);
                FloatVector z = FloatVector.broadcast(F, x[xo + j + 1]);
                a = ((FloatVector) h0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(z, a);
                b = ((FloatVector) h1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(z, b);
                c = ((FloatVector) h2.convertShape(VectorOperators.B2F, F, 0)).fma(d2, m2).fma(z, c);
                e = ((FloatVector) h3.convertShape(VectorOperators.B2F, F, 0)).fma(d3, m3).fma(z, e);
            }
        }
        a.intoArray(out, o0);
        b.intoArray(out, o1);
        c.intoArray(out, o2);
        e.intoArray(out, o3);
    }

    /** Q5_K: {@code w = d·sc·q − dmin·m}. */
    static void q5K(byte[] q, int q0, int q1, float[] s, int s0, int s1,
            float[] x, int xo, int cols, float[] out, int o0, int o1) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int k = 0; k < cols; k += 32) {
            int sup = k >> 8;
            int sd = sup * 2 * G;
            int sq = sup * 2816 + ((k & 255) >> 5) * G;
            int qs = sup * 2816 + 256;
            FloatVector d0 = ((FloatVector) ByteVector.fromArray(B, q, q0 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s0 + sd));
            FloatVector m0 = ((FloatVector) ByteVector.fromArray(B, q, q0 + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s0 + sd + G));
            FloatVector d1 = ((FloatVector) ByteVector.fromArray(B, q, q1 + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s1 + sd));
            FloatVector m1 = ((FloatVector) ByteVector.fromArray(B, q, q1 + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, s1 + sd + G));
            int base = qs + ((k & 255) >> 5) * 20 * G;
            for (int i = 0; i < 32; i += 8) {
                int j = k + i;
                int p;
                ByteVector v0, l0, h0, v1, l1, h1;
                int hp = base + 16 * G + i / 8 * G;
                ByteVector u0 = ByteVector.fromArray(B, q, q0 + hp);
                ByteVector u1 = ByteVector.fromArray(B, q, q1 + hp);
                p = base + (i / 2 + 0) * G;
                v0 = ByteVector.fromArray(B, q, q0 + p);
                v1 = ByteVector.fromArray(B, q, q1 + p);
                l0 = v0.and((byte) 0x0F).or(u0.lanewise(VectorOperators.LSHL, 4).and((byte) 0x10));
                l1 = v1.and((byte) 0x0F).or(u1.lanewise(VectorOperators.LSHL, 4).and((byte) 0x10));
                h0 = v0.lanewise(VectorOperators.LSHR, 4).or(u0.lanewise(VectorOperators.LSHL, 3).and((byte) 0x10));
                h1 = v1.lanewise(VectorOperators.LSHR, 4).or(u1.lanewise(VectorOperators.LSHL, 3).and((byte) 0x10));
                FloatVector y = FloatVector.broadcast(F, x[xo + j + 0]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(y, b);
                FloatVector z = FloatVector.broadcast(F, x[xo + j + 1]);
                a = ((FloatVector) h0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(z, a);
                b = ((FloatVector) h1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(z, b);
                p = base + (i / 2 + 1) * G;
                v0 = ByteVector.fromArray(B, q, q0 + p);
                v1 = ByteVector.fromArray(B, q, q1 + p);
                l0 = v0.and((byte) 0x0F).or(u0.lanewise(VectorOperators.LSHL, 2).and((byte) 0x10));
                l1 = v1.and((byte) 0x0F).or(u1.lanewise(VectorOperators.LSHL, 2).and((byte) 0x10));
                h0 = v0.lanewise(VectorOperators.LSHR, 4).or(u0.lanewise(VectorOperators.LSHL, 1).and((byte) 0x10));
                h1 = v1.lanewise(VectorOperators.LSHR, 4).or(u1.lanewise(VectorOperators.LSHL, 1).and((byte) 0x10));
                y = FloatVector.broadcast(F, x[xo + j + 2]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(y, b);
                z = FloatVector.broadcast(F, x[xo + j + 3]);
                a = ((FloatVector) h0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(z, a);
                b = ((FloatVector) h1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(z, b);
                p = base + (i / 2 + 2) * G;
                v0 = ByteVector.fromArray(B, q, q0 + p);
                v1 = ByteVector.fromArray(B, q, q1 + p);
                l0 = v0.and((byte) 0x0F).or(u0.and((byte) 0x10));
                l1 = v1.and((byte) 0x0F).or(u1.and((byte) 0x10));
                h0 = v0.lanewise(VectorOperators.LSHR, 4).or(u0.lanewise(VectorOperators.LSHR, 1).and((byte) 0x10));
                h1 = v1.lanewise(VectorOperators.LSHR, 4).or(u1.lanewise(VectorOperators.LSHR, 1).and((byte) 0x10));
                y = FloatVector.broadcast(F, x[xo + j + 4]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(y, b);
                z = FloatVector.broadcast(F, x[xo + j + 5]);
                a = ((FloatVector) h0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(z, a);
                b = ((FloatVector) h1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(z, b);
                p = base + (i / 2 + 3) * G;
                v0 = ByteVector.fromArray(B, q, q0 + p);
                v1 = ByteVector.fromArray(B, q, q1 + p);
                l0 = v0.and((byte) 0x0F).or(u0.lanewise(VectorOperators.LSHR, 2).and((byte) 0x10));
                l1 = v1.and((byte) 0x0F).or(u1.lanewise(VectorOperators.LSHR, 2).and((byte) 0x10));
                h0 = v0.lanewise(VectorOperators.LSHR, 4).or(u0.lanewise(VectorOperators.LSHR, 3).and((byte) 0x10));
                h1 = v1.lanewise(VectorOperators.LSHR, 4).or(u1.lanewise(VectorOperators.LSHR, 3).and((byte) 0x10));
                y = FloatVector.broadcast(F, x[xo + j + 6]);
                a = ((FloatVector) l0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(y, a);
                b = ((FloatVector) l1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(y, b);
                z = FloatVector.broadcast(F, x[xo + j + 7]);
                a = ((FloatVector) h0.convertShape(VectorOperators.B2F, F, 0)).fma(d0, m0).fma(z, a);
                b = ((FloatVector) h1.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).fma(z, b);
            }
        }
        a.intoArray(out, o0);
        b.intoArray(out, o1);
    }
}
