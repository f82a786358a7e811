package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static io.streamseek.gpu.backend.cpu.BlockDot.bytes;
import static io.streamseek.gpu.backend.cpu.BlockDot.high;
import static io.streamseek.gpu.backend.cpu.BlockDot.low;
import static io.streamseek.gpu.backend.cpu.BlockDot.scaled;

/**
 * Vector dots of GGUF's 256-value K-quant super-blocks (Q4_K, Q5_K, Q6_K; layouts in
 * {@link BlockFormats}), the one-token and four-token twins of each as in {@link BlockDot}: same
 * weight vectors, same accumulator per vector, same reduction, so batched outputs are bitwise the
 * single-token ones.
 *
 * <p>Q4_K/Q5_K fold each 32-value sub-block's {@code d·sc} and {@code −dmin·m} into the FMA that
 * dequantizes: {@code w = fma(q, d·sc, −dmin·m)}, exactly ggml's {@code d·sc·q − dmin·m} (the product
 * is exact in f32). Low nibbles (sub-block 2c) go to accumulator 0, high nibbles (2c + 1) to 1.
 */
final class KQuantDot {

    private static final VectorSpecies<Float> F = BlockDot.F;
    private static final int L = BlockDot.L;

    private KQuantDot() {
    }

    // ---- Q4_K: d, dmin, scales[12], qs[128] ----

    static float q4K(byte[] a, int o, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, o += 144) {
            float d = BlockFormats.f16(a, o), dmin = BlockFormats.f16(a, o + 2);
            for (int c = 0; c < 4; c++) {
                FloatVector s0 = scale(a, o, d, 2 * c), m0 = min(a, o, dmin, 2 * c);
                FloatVector s1 = scale(a, o, d, 2 * c + 1), m1 = min(a, o, dmin, 2 * c + 1);
                int qs = o + 16 + 32 * c;
                int k = xo + b + 64 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = bytes(a, qs + i);
                    acc0 = scaled(low(q), s0, m0).fma(FloatVector.fromArray(F, x, k + i), acc0);
                    acc1 = scaled(high(q), s1, m1).fma(FloatVector.fromArray(F, x, k + 32 + i), acc1);
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q4Kx4(byte[] a, int o, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, o += 144) {
            float d = BlockFormats.f16(a, o), dmin = BlockFormats.f16(a, o + 2);
            for (int c = 0; c < 4; c++) {
                FloatVector s0 = scale(a, o, d, 2 * c), m0 = min(a, o, dmin, 2 * c);
                FloatVector s1 = scale(a, o, d, 2 * c + 1), m1 = min(a, o, dmin, 2 * c + 1);
                int qs = o + 16 + 32 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = bytes(a, qs + i);
                    FloatVector u = scaled(low(q), s0, m0);
                    FloatVector v = scaled(high(q), s1, m1);
                    int k = b + 64 * c + i;
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
        BlockDot.store4(a0, a1, b0, b1, c0, c1, d0, d1, out, o0, o1, o2, o3);
    }

    // ---- Q5_K: d, dmin, scales[12], qh[32], qs[128]; value 64c + i's 5th bit is bit 2c of qh[i] ----

    static float q5K(byte[] a, int o, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, o += 176) {
            float d = BlockFormats.f16(a, o), dmin = BlockFormats.f16(a, o + 2);
            for (int c = 0; c < 4; c++) {
                FloatVector s0 = scale(a, o, d, 2 * c), m0 = min(a, o, dmin, 2 * c);
                FloatVector s1 = scale(a, o, d, 2 * c + 1), m1 = min(a, o, dmin, 2 * c + 1);
                int qs = o + 48 + 32 * c;
                int k = xo + b + 64 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = bytes(a, qs + i);
                    IntVector h = bytes(a, o + 16 + i).lanewise(VectorOperators.LSHL, 4);
                    acc0 = scaled(low(q).or(fifth(h, 2 * c)), s0, m0).fma(FloatVector.fromArray(F, x, k + i), acc0);
                    acc1 = scaled(high(q).or(fifth(h, 2 * c + 1)), s1, m1).fma(FloatVector.fromArray(F, x, k + 32 + i), acc1);
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q5Kx4(byte[] a, int o, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, o += 176) {
            float d = BlockFormats.f16(a, o), dmin = BlockFormats.f16(a, o + 2);
            for (int c = 0; c < 4; c++) {
                FloatVector s0 = scale(a, o, d, 2 * c), m0 = min(a, o, dmin, 2 * c);
                FloatVector s1 = scale(a, o, d, 2 * c + 1), m1 = min(a, o, dmin, 2 * c + 1);
                int qs = o + 48 + 32 * c;
                for (int i = 0; i < 32; i += L) {
                    IntVector q = bytes(a, qs + i);
                    IntVector h = bytes(a, o + 16 + i).lanewise(VectorOperators.LSHL, 4);
                    FloatVector u = scaled(low(q).or(fifth(h, 2 * c)), s0, m0);
                    FloatVector v = scaled(high(q).or(fifth(h, 2 * c + 1)), s1, m1);
                    int k = b + 64 * c + i;
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
        BlockDot.store4(a0, a1, b0, b1, c0, c1, d0, d1, out, o0, o1, o2, o3);
    }

    // ---- Q6_K: ql[128], qh[64], scales[16], d; per half h and lanes i..: four vectors, one scale each ----

    static float q6K(byte[] a, int o, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, o += 210) {
            float d = BlockFormats.f16(a, o + 208);
            for (int h = 0; h < 2; h++) {
                int ql = o + 64 * h, qh = o + 128 + 32 * h, sc = o + 192 + 8 * h;
                int k = xo + b + 128 * h;
                for (int i = 0; i < 32; i += L) {
                    IntVector lowA = bytes(a, ql + i), lowB = bytes(a, ql + 32 + i), top = bytes(a, qh + i);
                    int s = sc + i / 16;
                    acc0 = q6(low(lowA), top.lanewise(VectorOperators.LSHL, 4), d * a[s]).fma(FloatVector.fromArray(F, x, k + i), acc0);
                    acc1 = q6(low(lowB), top.lanewise(VectorOperators.LSHL, 2), d * a[s + 2]).fma(FloatVector.fromArray(F, x, k + 32 + i), acc1);
                    acc0 = q6(high(lowA), top, d * a[s + 4]).fma(FloatVector.fromArray(F, x, k + 64 + i), acc0);
                    acc1 = q6(high(lowB), top.lanewise(VectorOperators.LSHR, 2), d * a[s + 6]).fma(FloatVector.fromArray(F, x, k + 96 + i), acc1);
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static void q6Kx4(byte[] a, int o, float[] x, int x0, int x1, int x2, int x3, int n, float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, o += 210) {
            float d = BlockFormats.f16(a, o + 208);
            for (int h = 0; h < 2; h++) {
                int ql = o + 64 * h, qh = o + 128 + 32 * h, sc = o + 192 + 8 * h;
                for (int i = 0; i < 32; i += L) {
                    IntVector lowA = bytes(a, ql + i), lowB = bytes(a, ql + 32 + i), top = bytes(a, qh + i);
                    int s = sc + i / 16;
                    int k = b + 128 * h + i;
                    FloatVector u = q6(low(lowA), top.lanewise(VectorOperators.LSHL, 4), d * a[s]);
                    FloatVector v = q6(low(lowB), top.lanewise(VectorOperators.LSHL, 2), d * a[s + 2]);
                    a0 = u.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 32), a1);
                    b0 = u.fma(FloatVector.fromArray(F, x, x1 + k), b0);
                    b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 32), b1);
                    c0 = u.fma(FloatVector.fromArray(F, x, x2 + k), c0);
                    c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 32), c1);
                    d0 = u.fma(FloatVector.fromArray(F, x, x3 + k), d0);
                    d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 32), d1);
                    u = q6(high(lowA), top, d * a[s + 4]);
                    v = q6(high(lowB), top.lanewise(VectorOperators.LSHR, 2), d * a[s + 6]);
                    a0 = u.fma(FloatVector.fromArray(F, x, x0 + k + 64), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, x0 + k + 96), a1);
                    b0 = u.fma(FloatVector.fromArray(F, x, x1 + k + 64), b0);
                    b1 = v.fma(FloatVector.fromArray(F, x, x1 + k + 96), b1);
                    c0 = u.fma(FloatVector.fromArray(F, x, x2 + k + 64), c0);
                    c1 = v.fma(FloatVector.fromArray(F, x, x2 + k + 96), c1);
                    d0 = u.fma(FloatVector.fromArray(F, x, x3 + k + 64), d0);
                    d1 = v.fma(FloatVector.fromArray(F, x, x3 + k + 96), d1);
                }
            }
        }
        BlockDot.store4(a0, a1, b0, b1, c0, c1, d0, d1, out, o0, o1, o2, o3);
    }

    /** Sub-block {@code j}'s {@code d·sc}, broadcast. */
    private static FloatVector scale(byte[] a, int block, float d, int j) {
        return FloatVector.broadcast(F, d * BlockFormats.scale(a, block + 4, j));
    }

    /** Sub-block {@code j}'s {@code −dmin·m}, broadcast. */
    private static FloatVector min(byte[] a, int block, float dmin, int j) {
        return FloatVector.broadcast(F, -(dmin * BlockFormats.min(a, block + 4, j)));
    }

    /** Bit {@code j} of each qh byte (pre-shifted left by 4) at bit 4: a Q5_K value's 5th bit. */
    private static IntVector fifth(IntVector qhShifted, int j) {
        return qhShifted.lanewise(VectorOperators.LSHR, j).and(0x10);
    }

    /** A Q6_K vector: 4 low bits or'ed with 2 top bits (already at bits 4..5 of {@code top}), {@code (q − 32)·scale}. */
    private static FloatVector q6(IntVector low4, IntVector top, float scale) {
        IntVector q = low4.or(top.and(0x30)).sub(32);
        return ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(scale);
    }
}
