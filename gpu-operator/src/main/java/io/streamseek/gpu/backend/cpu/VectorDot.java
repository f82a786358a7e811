package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products of one stored weight row with an f32 activation vector: the twins of
 * {@link ScalarDot}. Weights are widened to f32 inside the loop, never up front: decode is
 * memory-bound, so the bytes read per weight decide the speed. This CPU class has AVX2/FMA but no
 * native bf16, so bf16 widens with an integer shift and FP8 with a shift and one multiply.
 *
 * <p>Weights are Java arrays, not buffers: on JDK 17 a vector load from a {@code ByteBuffer} costs
 * about twice an array load (a scope check per access), and later JDKs dropped those loads.
 *
 * <p>Two accumulators hide the FMA latency. The reduction order depends only on {@code n}, never
 * on the batch, so a row's result is the same whatever else runs.
 */
public final class VectorDot {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    private static final int L = F.length();

    private VectorDot() {
    }

    public static float f32(float[] w, int offset, float[] x, int xOffset, int n) {
        return Kernels.dot(w, offset, x, xOffset, n);
    }

    public static float bf16(short[] w, int offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            acc0 = widenBf16(w, offset + i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = widenBf16(w, offset + i + L).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += ScalarDot.bf16ToFloat(w[offset + i]) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * IEEE f16 weights times x, with the lanes, accumulators and reduction of {@link #bf16}. Java 17
     * has no f16 conversion, so it widens with integer operations as {@link #widenF16} does.
     */
    public static float f16(short[] w, int offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        // widenF16 written out: a vector-returning helper is inlined only while the caller's C2 node
        // budget lasts; inlined into Linear.matmul beside the block kernels it was not (boxed, 5x slower).
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            IntVector h0 = (IntVector) ShortVector.fromArray(S, w, offset + i).convertShape(VectorOperators.S2I, I, 0);
            IntVector m0 = h0.and(0x7fff);
            IntVector n0 = m0.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            n0 = n0.add(112 << 23, m0.compare(VectorOperators.GE, 0x7c00));
            FloatVector s0 = ((FloatVector) m0.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            FloatVector v0 = n0.reinterpretAsFloats().blend(s0, m0.compare(VectorOperators.LT, 0x400).cast(F));
            acc0 = v0.reinterpretAsInts().or(h0.and(0x80000000)).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            IntVector h1 = (IntVector) ShortVector.fromArray(S, w, offset + i + L).convertShape(VectorOperators.S2I, I, 0);
            IntVector m1 = h1.and(0x7fff);
            IntVector n1 = m1.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            n1 = n1.add(112 << 23, m1.compare(VectorOperators.GE, 0x7c00));
            FloatVector s1 = ((FloatVector) m1.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            FloatVector v1 = n1.reinterpretAsFloats().blend(s1, m1.compare(VectorOperators.LT, 0x400).cast(F));
            acc1 = v1.reinterpretAsInts().or(h1.and(0x80000000)).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += ScalarDot.f16ToFloat(w[offset + i]) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * f16 to f32 exactly, as {@link ScalarDot#f16ToFloat}: normal halves move their 15 magnitude bits
     * up 13 and rebias the exponent with an integer add (15 → 127; inf/NaN get a second add to reach
     * 255), subnormal halves are their mantissa times 2^-24 (an exact conversion and multiply, never
     * an f32 subnormal: those are slow on many cores). The sign is bit 31 of the sign-extended lane.
     */
    static FloatVector widenF16(short[] w, int offset) {
        IntVector h = (IntVector) ShortVector.fromArray(S, w, offset).convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = h.and(0x7fff);
        IntVector normal = magnitude.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
        normal = normal.add(112 << 23, magnitude.compare(VectorOperators.GE, 0x7c00));
        FloatVector subnormal = ((FloatVector) magnitude.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
        FloatVector value = normal.reinterpretAsFloats().blend(subnormal, magnitude.compare(VectorOperators.LT, 0x400).cast(F));
        return value.reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
    }

    /** FP8 E4M3 codes of one block times x, dequantised as {@link ScalarDot#e4m3} does: {@code bf16(code × scale)}. */
    public static float e4m3(byte[] w, int offset, float[] x, int xOffset, int n, float scale) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector s = FloatVector.broadcast(F, scale);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            acc0 = roundToBf16(widenE4m3(w, offset + i).mul(s)).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = roundToBf16(widenE4m3(w, offset + i + L).mul(s)).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += ScalarDot.dequantE4m3(w[offset + i], scale) * x[xOffset + i];
        }
        return sum;
    }

    /** Round-to-nearest-even to bf16 with integer lanes: add 0x7fff plus the lowest kept bit, clear the rest. */
    private static FloatVector roundToBf16(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector lowestKept = bits.lanewise(VectorOperators.LSHR, 16).and(1);
        return bits.add(lowestKept).add(0x7fff).and(0xffff0000).reinterpretAsFloats();
    }

    static FloatVector widenBf16(short[] w, int offset) {
        ShortVector bits = ShortVector.fromArray(S, w, offset);
        return ((IntVector) bits.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /**
     * FP8 E4M3 to f32 without touching f32 subnormals (slow on many cores, and lossy once multiplied):
     * normal codes rebias the exponent with an integer add (7 → 127), subnormal codes (exponent 0)
     * are their 3-bit mantissa times 2^-9. NaN codes are not expected in weights.
     */
    private static FloatVector widenE4m3(byte[] w, int offset) {
        IntVector b = (IntVector) ByteVector.fromArray(B, w, offset).convertShape(VectorOperators.B2I, I, 0);
        FloatVector normal = b.and(0x7f).lanewise(VectorOperators.LSHL, 20).add(120 << 23).reinterpretAsFloats();
        FloatVector subnormal = ((FloatVector) b.and(0x07).convert(VectorOperators.I2F, 0)).mul(0x1p-9f);
        FloatVector magnitude = normal.blend(subnormal, b.and(0x78).eq(0).cast(F));
        return magnitude.reinterpretAsInts().or(b.and(0x80).lanewise(VectorOperators.LSHL, 24)).reinterpretAsFloats();
    }
}
