package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dequantization of one block-quantized row (repacked by {@link BlockRows}: quants
 * contiguous, scales in f32) into f32, in column order: the only code that differs between the
 * GGUF block formats. The products then run on the f32 strip ({@link StripDot}), so every format
 * gets the same register-tiled kernels, and each weight is decoded once per group of tokens.
 *
 * <p>Every value is the one ggml's {@code dequantize_row_*} computes: {@code d·q}, {@code d·sc·q −
 * dmin·m} and {@code d·sc·(q − 32)}, where the products are exact in f32 (an f16 scale, at most a
 * 6-bit sub-scale, an at most 8-bit quant: under 24 significant bits), so a fused multiply-add
 * rounds exactly as ggml's multiply-then-add does. {@link BlockRows#get} is the scalar twin.
 *
 * <p>Shapes: {@code L} f32 lanes (16 with AVX-512, 8 with AVX2); a vector is {@code L} quantized bytes
 * (or nibbles of {@code L} bytes) sign- or zero-extended to int lanes, masked and shifted there,
 * converted once to f32. 32-value blocks need {@code L ≤ 16}. Only Vector API methods inside the
 * loops: C2 force-inlines those, while a helper of our own taking or returning a vector is inlined
 * only while the compile is small and otherwise boxes every vector (20x slower) — hence the repeated
 * expressions.
 */
final class BlockDequant {

    static final VectorSpecies<Float> F = VectorDot.F;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    static final int L = F.length();
    /** Lane j holds j: the per-lane shift that picks bit j of Q5_0's qh. */
    static final IntVector LANE = IntVector.fromArray(I, iota(L), 0);

    private BlockDequant() {
    }

    /**
     * The whole-byte formats, {@code w = d·q} with a scale per {@code 1 << shift} values: Q8_0 (5) and
     * Q6_K as {@link BlockRows} holds it, int8 q − 32 (4).
     */
    static void int8(int shift, byte[] q, int qo, float[] d, int so, int n, float[] out, int oo) {
        for (int k = 0; k < n; k += L) {
            ((FloatVector) ByteVector.fromArray(B, q, qo + k).convertShape(VectorOperators.B2F, F, 0)).mul(d[so + (k >> shift)])
                    .intoArray(out, oo + k);
        }
    }

    /**
     * Q4_0: 16 bytes per block, byte i holding values i (low nibble) and 16 + i (high), stored as
     * signed nibbles q − 8 (see BlockRows): the high one is the sign-extended byte >> 4, the low one
     * << 28 >> 28.
     */
    static void q4_0(byte[] q, int qo, float[] d, int so, int n, float[] out, int oo) {
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int o = qo + 16 * blk, k = oo + 32 * blk;
            for (int i = 0; i < 16; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0);
                ((FloatVector) v.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0))
                        .mul(d[so + blk]).intoArray(out, k + i);
                ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0)).mul(d[so + blk]).intoArray(out, k + 16 + i);
            }
        }
    }

    /**
     * Q5_0: Q4_0's byte layout on ggml's unsigned nibbles, each or'ed with its 5th bit (bit j of qh
     * for value j, moved to bit 4 by a per-lane shift), {@code w = d·(q − 16)}.
     */
    static void q5_0(byte[] q, int qo, float[] d, int[] highs, int so, int n, float[] out, int oo) {
        for (int blk = 0, blocks = n / 32; blk < blocks; blk++) {
            int qh = highs[so + blk];
            int o = qo + 16 * blk, k = oo + 32 * blk;
            for (int i = 0; i < 16; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0);
                IntVector hu = IntVector.broadcast(I, (qh >>> i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                IntVector hv = IntVector.broadcast(I, (qh >>> 16 + i & 0xffff) << 4).lanewise(VectorOperators.LSHR, LANE).and(0x10);
                ((FloatVector) v.and(15).or(hu).sub(16).convert(VectorOperators.I2F, 0)).mul(d[so + blk]).intoArray(out, k + i);
                ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(15).or(hv).sub(16).convert(VectorOperators.I2F, 0))
                        .mul(d[so + blk]).intoArray(out, k + 16 + i);
            }
        }
    }

    /**
     * Q4_K: 128 bytes of qs per 256 values; chunk c's bytes qs[32c + i] hold values 64c + i (low
     * nibble, sub-block 2c) and 64c + 32 + i (high nibble, sub-block 2c + 1); {@code w = fma(q, d·sc_j,
     * −dmin·m_j)}, each sub-block's scale and offset side by side in {@code scales}.
     */
    static void q4K(byte[] q, int qo, float[] scales, int so, int n, float[] out, int oo) {
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = qo + 128 * blk, s = so + 16 * blk;
            for (int c = 0; c < 4; c++) {
                int qs = o + 32 * c, k = oo + 256 * blk + 64 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector v = (IntVector) ByteVector.fromArray(B, q, qs + i).convertShape(VectorOperators.B2I, I, 0);
                    ((FloatVector) v.and(15).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, scales[s + 4 * c]), FloatVector.broadcast(F, scales[s + 4 * c + 1]))
                            .intoArray(out, k + i);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, scales[s + 4 * c + 2]), FloatVector.broadcast(F, scales[s + 4 * c + 3]))
                            .intoArray(out, k + 32 + i);
                }
            }
        }
    }

    /** Q5_K: qh[32] then Q4_K's qs[128]; value 64c + i (+ 32)'s 5th bit is bit 2c (+ 1) of qh[i]. */
    static void q5K(byte[] q, int qo, float[] scales, int so, int n, float[] out, int oo) {
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int o = qo + 160 * blk, s = so + 16 * blk;
            for (int c = 0; c < 4; c++) {
                int qs = o + 32 + 32 * c, k = oo + 256 * blk + 64 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector v = (IntVector) ByteVector.fromArray(B, q, qs + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = ((IntVector) ByteVector.fromArray(B, q, o + i).convertShape(VectorOperators.B2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 4);
                    ((FloatVector) v.and(15).or(h.lanewise(VectorOperators.LSHR, 2 * c).and(0x10)).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, scales[s + 4 * c]), FloatVector.broadcast(F, scales[s + 4 * c + 1]))
                            .intoArray(out, k + i);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(15).or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and(0x10))
                            .convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, scales[s + 4 * c + 2]), FloatVector.broadcast(F, scales[s + 4 * c + 3]))
                            .intoArray(out, k + 32 + i);
                }
            }
        }
    }

    private static int[] iota(int n) {
        int[] lanes = new int[n];
        for (int i = 0; i < n; i++) {
            lanes[i] = i;
        }
        return lanes;
    }
}
