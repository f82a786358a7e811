package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Vector API dot products of one stored weight row with an f32 activation vector: the twins of
 * {@link ScalarDot}. Weights are widened to f32 inside the loop, never up front: decode is
 * memory-bound, so the bytes read per weight decide the speed. This CPU class has AVX2/FMA but no
 * native bf16, so bf16 widens with an integer shift and FP8 with a shift and one multiply.
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
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorDot() {
    }

    public static float f32(ByteBuffer w, int offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            acc0 = FloatVector.fromByteBuffer(F, w, offset + 4 * i, LE).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = FloatVector.fromByteBuffer(F, w, offset + 4 * (i + L), LE).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w.getFloat(offset + 4 * i) * x[xOffset + i];
        }
        return sum;
    }

    public static float bf16(ByteBuffer w, int offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            acc0 = widenBf16(w, offset + 2 * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = widenBf16(w, offset + 2 * (i + L)).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += ScalarDot.bf16ToFloat(w.getShort(offset + 2 * i)) * x[xOffset + i];
        }
        return sum;
    }

    /** Copies {@code n} little-endian f32 weights into {@code out[0 ..]}. */
    public static void copyF32(ByteBuffer w, int offset, float[] out, int outOffset, int n) {
        int i = 0;
        for (int upper = n - n % L; i < upper; i += L) {
            FloatVector.fromByteBuffer(F, w, offset + 4 * i, LE).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = w.getFloat(offset + 4 * i);
        }
    }

    /** Widens {@code n} bf16 weights to f32 into {@code out[0 ..]}: exact, so a dot over them equals {@link #bf16}. */
    public static void widenBf16(ByteBuffer w, int offset, float[] out, int outOffset, int n) {
        int i = 0;
        for (int upper = n - n % L; i < upper; i += L) {
            widenBf16(w, offset + 2 * i).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = ScalarDot.bf16ToFloat(w.getShort(offset + 2 * i));
        }
    }

    /**
     * A row already widened to f32 (see {@link #widenBf16(ByteBuffer, int, float[], int)}) against
     * four activation vectors. Same lanes, FMAs and reduction per token as {@link #f32} and
     * {@link #bf16}, so each result is bitwise theirs.
     */
    public static void f32x4(float[] w, int wOffset, float[] x, int x0, int x1, int x2, int x3, int n,
                             float[] out, int o0, int o1, int o2, int o3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wOffset + i);
            FloatVector w1 = FloatVector.fromArray(F, w, wOffset + i + L);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = w1.fma(FloatVector.fromArray(F, x, x0 + i + L), a1);
            b0 = w0.fma(FloatVector.fromArray(F, x, x1 + i), b0);
            b1 = w1.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
            c0 = w0.fma(FloatVector.fromArray(F, x, x2 + i), c0);
            c1 = w1.fma(FloatVector.fromArray(F, x, x2 + i + L), c1);
            d0 = w0.fma(FloatVector.fromArray(F, x, x3 + i), d0);
            d1 = w1.fma(FloatVector.fromArray(F, x, x3 + i + L), d1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
        float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float v = w[wOffset + i];
            sa += v * x[x0 + i];
            sb += v * x[x1 + i];
            sc += v * x[x2 + i];
            sd += v * x[x3 + i];
        }
        out[o0] = sa;
        out[o1] = sb;
        out[o2] = sc;
        out[o3] = sd;
    }

    /**
     * {@link #f32x4} for two rows ({@code w[wOffset ..]} and {@code w[wOffset + n ..]}) at once:
     * 16 accumulators (AVX-512 has 32 registers), each activation vector loaded once for both rows.
     * Per output, the same lanes, FMAs and reduction as {@link #f32} and {@link Kernels#dot}: bitwise their result.
     */
    public static void f32x2x4(float[] w, int wOffset, float[] x, int x0, int x1, int x2, int x3, int n,
                               float[] out, int o0, int o1, int o2, int o3) {
        int v = wOffset + n;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), e0 = FloatVector.zero(F), e1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), f0 = FloatVector.zero(F), f1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), g0 = FloatVector.zero(F), g1 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F), h0 = FloatVector.zero(F), h1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * L); i < upper; i += 2 * L) {
            FloatVector u0 = FloatVector.fromArray(F, w, wOffset + i);
            FloatVector u1 = FloatVector.fromArray(F, w, wOffset + i + L);
            FloatVector v0 = FloatVector.fromArray(F, w, v + i);
            FloatVector v1 = FloatVector.fromArray(F, w, v + i + L);
            FloatVector x00 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector x01 = FloatVector.fromArray(F, x, x0 + i + L);
            a0 = u0.fma(x00, a0);
            a1 = u1.fma(x01, a1);
            e0 = v0.fma(x00, e0);
            e1 = v1.fma(x01, e1);
            FloatVector x10 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector x11 = FloatVector.fromArray(F, x, x1 + i + L);
            b0 = u0.fma(x10, b0);
            b1 = u1.fma(x11, b1);
            f0 = v0.fma(x10, f0);
            f1 = v1.fma(x11, f1);
            FloatVector x20 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector x21 = FloatVector.fromArray(F, x, x2 + i + L);
            c0 = u0.fma(x20, c0);
            c1 = u1.fma(x21, c1);
            g0 = v0.fma(x20, g0);
            g1 = v1.fma(x21, g1);
            FloatVector x30 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector x31 = FloatVector.fromArray(F, x, x3 + i + L);
            d0 = u0.fma(x30, d0);
            d1 = u1.fma(x31, d1);
            h0 = v0.fma(x30, h0);
            h1 = v1.fma(x31, h1);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
        float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
        float se = e0.add(e1).reduceLanes(VectorOperators.ADD);
        float sf = f0.add(f1).reduceLanes(VectorOperators.ADD);
        float sg = g0.add(g1).reduceLanes(VectorOperators.ADD);
        float sh = h0.add(h1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float p = w[wOffset + i];
            float q = w[v + i];
            sa += p * x[x0 + i];
            sb += p * x[x1 + i];
            sc += p * x[x2 + i];
            sd += p * x[x3 + i];
            se += q * x[x0 + i];
            sf += q * x[x1 + i];
            sg += q * x[x2 + i];
            sh += q * x[x3 + i];
        }
        out[o0] = sa;
        out[o1] = sb;
        out[o2] = sc;
        out[o3] = sd;
        out[o0 + 1] = se;
        out[o1 + 1] = sf;
        out[o2 + 1] = sg;
        out[o3 + 1] = sh;
    }

    /** FP8 E4M3 codes of one block times x, dequantised as {@link ScalarDot#e4m3} does: {@code bf16(code × scale)}. */
    public static float e4m3(ByteBuffer w, int offset, float[] x, int xOffset, int n, float scale) {
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
            sum += ScalarDot.dequantE4m3(w.get(offset + i), scale) * x[xOffset + i];
        }
        return sum;
    }

    /** Round-to-nearest-even to bf16 with integer lanes: add 0x7fff plus the lowest kept bit, clear the rest. */
    private static FloatVector roundToBf16(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector lowestKept = bits.lanewise(VectorOperators.LSHR, 16).and(1);
        return bits.add(lowestKept).add(0x7fff).and(0xffff0000).reinterpretAsFloats();
    }

    private static FloatVector widenBf16(ByteBuffer w, int byteOffset) {
        ShortVector bits = ShortVector.fromByteBuffer(S, w, byteOffset, LE);
        return ((IntVector) bits.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /**
     * FP8 E4M3 to f32 without touching f32 subnormals (slow on many cores, and lossy once multiplied):
     * normal codes rebias the exponent with an integer add (7 → 127), subnormal codes (exponent 0)
     * are their 3-bit mantissa times 2^-9. NaN codes are not expected in weights.
     */
    private static FloatVector widenE4m3(ByteBuffer w, int byteOffset) {
        IntVector b = (IntVector) ByteVector.fromByteBuffer(B, w, byteOffset, LE).convertShape(VectorOperators.B2I, I, 0);
        FloatVector normal = b.and(0x7f).lanewise(VectorOperators.LSHL, 20).add(120 << 23).reinterpretAsFloats();
        FloatVector subnormal = ((FloatVector) b.and(0x07).convert(VectorOperators.I2F, 0)).mul(0x1p-9f);
        FloatVector magnitude = normal.blend(subnormal, b.and(0x78).eq(0).cast(F));
        return magnitude.reinterpretAsInts().or(b.and(0x80).lanewise(VectorOperators.LSHL, 24)).reinterpretAsFloats();
    }
}
