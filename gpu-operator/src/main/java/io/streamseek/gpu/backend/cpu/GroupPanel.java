package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dequantizes two row vectors of {@link InterleavedBlocks} (quants at {@code qa}, {@code qb}, scales
 * at {@code sa}, {@code sb}) over columns {@code [k0, k1)} into an f32 panel, column-major:
 * {@code panel[(c − k0)·2L ..]} holds the {@code 2L} weights of column {@code c}. The batched
 * products ({@link PanelTile}) then spend no instruction on decoding: each weight is decoded once
 * per product, whatever the number of tokens. Every weight is {@link GroupDot}'s expression for it
 * (the same float), so a batched output is bitwise the decoded one. {@code k0} and {@code k1} are
 * multiples of 32 (a sub-block never straddles two panels). One method per format, for the reason
 * {@link GroupDot} gives.
 *
 * <p>The per-format methods below are written by {@code gpu-operator/codegen/group_kernels.py}:
 * edit them there.
 */
final class GroupPanel {

    private static final VectorSpecies<Float> F = GroupDot.F;
    private static final VectorSpecies<Byte> B = GroupDot.B;
    private static final int L = GroupDot.L;
    private static final int G = InterleavedBlocks.GROUP;

    private GroupPanel() {
    }

    /** Q8_0: {@code w = d·q}, 16 scales per 32 columns. */
    static void q8_0(byte[] q, int qa, int qb, float[] s, int sa, int sb, int k0, int k1, float[] panel) {
        for (int k = k0; k < k1; k += 32) {
            int si = (k >> 5) * G;
            FloatVector da = FloatVector.fromArray(F, s, sa + si);
            FloatVector db = FloatVector.fromArray(F, s, sb + si);
            for (int i = 0; i < 32; i++) {
                int j = k + i;
                int o = (j - k0) * 2 * L;
                int p = j * G;
                ByteVector la = ByteVector.fromArray(B, q, qa + p);
                ByteVector lb = ByteVector.fromArray(B, q, qb + p);
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).mul(da).intoArray(panel, o);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).mul(db).intoArray(panel, o + L);
            }
        }
    }

    /** Q6_K as held ({@code q − 32} as int8): {@code w = d·sc·q}, scales per 16 columns. */
    static void q6K(byte[] q, int qa, int qb, float[] s, int sa, int sb, int k0, int k1, float[] panel) {
        for (int k = k0; k < k1; k += 16) {
            int sup = k >> 8;
            int sd = sup * G;
            int sq = sup * 4352 + ((k & 255) >> 4) * G;
            int qs = sup * 4352 + 256;
            FloatVector da = ((FloatVector) ByteVector.fromArray(B, q, qa + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sa + sd));
            FloatVector db = ((FloatVector) ByteVector.fromArray(B, q, qb + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sb + sd));
            for (int i = 0; i < 16; i++) {
                int j = k + i;
                int o = (j - k0) * 2 * L;
                int p = qs + (j & 255) * G;
                ByteVector la = ByteVector.fromArray(B, q, qa + p);
                ByteVector lb = ByteVector.fromArray(B, q, qb + p);
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).mul(da).intoArray(panel, o);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).mul(db).intoArray(panel, o + L);
            }
        }
    }

    /** Q4_0: {@code w = d·(q − 8)}, the 8 taken off the nibble. */
    static void q4_0(byte[] q, int qa, int qb, float[] s, int sa, int sb, int k0, int k1, float[] panel) {
        for (int k = k0; k < k1; k += 32) {
            int si = (k >> 5) * G;
            FloatVector da = FloatVector.fromArray(F, s, sa + si);
            FloatVector db = FloatVector.fromArray(F, s, sb + si);
            for (int i = 0; i < 32; i += 2) {
                int j = k + i;
                int o = (j - k0) * 2 * L;
                int p = j / 2 * G;
                ByteVector va = ByteVector.fromArray(B, q, qa + p);
                ByteVector vb = ByteVector.fromArray(B, q, qb + p);
                ByteVector la = va.and((byte) 0x0F);
                ByteVector lb = vb.and((byte) 0x0F);
                ByteVector ha = va.lanewise(VectorOperators.LSHR, 4);
                ByteVector hb = vb.lanewise(VectorOperators.LSHR, 4);
                ((FloatVector) la.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(da).intoArray(panel, o);
                ((FloatVector) lb.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(db).intoArray(panel, o + L);
                ((FloatVector) ha.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(da).intoArray(panel, o + 2 * L);
                ((FloatVector) hb.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(db).intoArray(panel, o + 3 * L);
            }
        }
    }

    /** Q4_K: {@code w = d·sc·q − dmin·m} (one exact product and an add, as ggml's). */
    static void q4K(byte[] q, int qa, int qb, float[] s, int sa, int sb, int k0, int k1, float[] panel) {
        for (int k = k0; k < k1; k += 32) {
            int sup = k >> 8;
            int sd = sup * 2 * G;
            int sq = sup * 2304 + ((k & 255) >> 5) * G;
            int qs = sup * 2304 + 256;
            FloatVector da = ((FloatVector) ByteVector.fromArray(B, q, qa + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sa + sd));
            FloatVector ma = ((FloatVector) ByteVector.fromArray(B, q, qa + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sa + sd + G));
            FloatVector db = ((FloatVector) ByteVector.fromArray(B, q, qb + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sb + sd));
            FloatVector mb = ((FloatVector) ByteVector.fromArray(B, q, qb + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sb + sd + G));
            for (int i = 0; i < 32; i += 2) {
                int j = k + i;
                int o = (j - k0) * 2 * L;
                int p = qs + (j & 255) / 2 * G;
                ByteVector va = ByteVector.fromArray(B, q, qa + p);
                ByteVector vb = ByteVector.fromArray(B, q, qb + p);
                ByteVector la = va.and((byte) 0x0F);
                ByteVector lb = vb.and((byte) 0x0F);
                ByteVector ha = va.lanewise(VectorOperators.LSHR, 4);
                ByteVector hb = vb.lanewise(VectorOperators.LSHR, 4);
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, o);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, o + L);
                ((FloatVector) ha.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, o + 2 * L);
                ((FloatVector) hb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, o + 3 * L);
            }
        }
    }

    /** Q5_K: {@code w = d·sc·q − dmin·m}. */
    static void q5K(byte[] q, int qa, int qb, float[] s, int sa, int sb, int k0, int k1, float[] panel) {
        for (int k = k0; k < k1; k += 32) {
            int sup = k >> 8;
            int sd = sup * 2 * G;
            int sq = sup * 2816 + ((k & 255) >> 5) * G;
            int qs = sup * 2816 + 256;
            FloatVector da = ((FloatVector) ByteVector.fromArray(B, q, qa + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sa + sd));
            FloatVector ma = ((FloatVector) ByteVector.fromArray(B, q, qa + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sa + sd + G));
            FloatVector db = ((FloatVector) ByteVector.fromArray(B, q, qb + sq).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sb + sd));
            FloatVector mb = ((FloatVector) ByteVector.fromArray(B, q, qb + sq + 8 * G).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, s, sb + sd + G));
            int base = qs + ((k & 255) >> 5) * 20 * G;
            for (int i = 0; i < 32; i += 8) {
                int j = k + i;
                int p;
                ByteVector va, la, ha, vb, lb, hb;
                int hp = base + 16 * G + i / 8 * G;
                ByteVector ua = ByteVector.fromArray(B, q, qa + hp);
                ByteVector ub = ByteVector.fromArray(B, q, qb + hp);
                p = base + (i / 2 + 0) * G;
                va = ByteVector.fromArray(B, q, qa + p);
                vb = ByteVector.fromArray(B, q, qb + p);
                la = va.and((byte) 0x0F).or(ua.lanewise(VectorOperators.LSHL, 4).and((byte) 0x10));
                lb = vb.and((byte) 0x0F).or(ub.lanewise(VectorOperators.LSHL, 4).and((byte) 0x10));
                ha = va.lanewise(VectorOperators.LSHR, 4).or(ua.lanewise(VectorOperators.LSHL, 3).and((byte) 0x10));
                hb = vb.lanewise(VectorOperators.LSHR, 4).or(ub.lanewise(VectorOperators.LSHL, 3).and((byte) 0x10));
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 0) * 2 * L);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 0) * 2 * L + L);
                ((FloatVector) ha.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 1) * 2 * L);
                ((FloatVector) hb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 1) * 2 * L + L);
                p = base + (i / 2 + 1) * G;
                va = ByteVector.fromArray(B, q, qa + p);
                vb = ByteVector.fromArray(B, q, qb + p);
                la = va.and((byte) 0x0F).or(ua.lanewise(VectorOperators.LSHL, 2).and((byte) 0x10));
                lb = vb.and((byte) 0x0F).or(ub.lanewise(VectorOperators.LSHL, 2).and((byte) 0x10));
                ha = va.lanewise(VectorOperators.LSHR, 4).or(ua.lanewise(VectorOperators.LSHL, 1).and((byte) 0x10));
                hb = vb.lanewise(VectorOperators.LSHR, 4).or(ub.lanewise(VectorOperators.LSHL, 1).and((byte) 0x10));
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 2) * 2 * L);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 2) * 2 * L + L);
                ((FloatVector) ha.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 3) * 2 * L);
                ((FloatVector) hb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 3) * 2 * L + L);
                p = base + (i / 2 + 2) * G;
                va = ByteVector.fromArray(B, q, qa + p);
                vb = ByteVector.fromArray(B, q, qb + p);
                la = va.and((byte) 0x0F).or(ua.and((byte) 0x10));
                lb = vb.and((byte) 0x0F).or(ub.and((byte) 0x10));
                ha = va.lanewise(VectorOperators.LSHR, 4).or(ua.lanewise(VectorOperators.LSHR, 1).and((byte) 0x10));
                hb = vb.lanewise(VectorOperators.LSHR, 4).or(ub.lanewise(VectorOperators.LSHR, 1).and((byte) 0x10));
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 4) * 2 * L);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 4) * 2 * L + L);
                ((FloatVector) ha.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 5) * 2 * L);
                ((FloatVector) hb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 5) * 2 * L + L);
                p = base + (i / 2 + 3) * G;
                va = ByteVector.fromArray(B, q, qa + p);
                vb = ByteVector.fromArray(B, q, qb + p);
                la = va.and((byte) 0x0F).or(ua.lanewise(VectorOperators.LSHR, 2).and((byte) 0x10));
                lb = vb.and((byte) 0x0F).or(ub.lanewise(VectorOperators.LSHR, 2).and((byte) 0x10));
                ha = va.lanewise(VectorOperators.LSHR, 4).or(ua.lanewise(VectorOperators.LSHR, 3).and((byte) 0x10));
                hb = vb.lanewise(VectorOperators.LSHR, 4).or(ub.lanewise(VectorOperators.LSHR, 3).and((byte) 0x10));
                ((FloatVector) la.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 6) * 2 * L);
                ((FloatVector) lb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 6) * 2 * L + L);
                ((FloatVector) ha.convertShape(VectorOperators.B2F, F, 0)).fma(da, ma).intoArray(panel, (j - k0 + 7) * 2 * L);
                ((FloatVector) hb.convertShape(VectorOperators.B2F, F, 0)).fma(db, mb).intoArray(panel, (j - k0 + 7) * 2 * L + L);
            }
        }
    }
}
