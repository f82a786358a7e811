package io.streamseek.gpu.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Every vectorised dot product against its scalar twin, for lengths with and without a tail. */
class VectorDotTest {

    private static final int[] LENGTHS = {1, 7, 8, 15, 16, 17, 64, 100, 128, 1000, 1024};

    @Test
    void f32MatchesScalar() {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : LENGTHS) {
            float[] w = new float[n + 3];
            for (int i = 0; i < n; i++) {
                w[3 + i] = (float) random.nextGaussian();
            }
            float[] x = activations(random, n + 3);
            assertClose(VectorDot.f32(w, 3, x, 3, n), ScalarDot.f32(w, 3, x, 3, n), n);
        }
    }

    @Test
    void bf16MatchesScalar() {
        SplittableRandom random = new SplittableRandom(2);
        for (int n : LENGTHS) {
            short[] w = new short[n + 3];
            for (int i = 0; i < n; i++) {
                w[3 + i] = (short) (Float.floatToIntBits((float) random.nextGaussian()) >>> 16);
            }
            float[] x = activations(random, n);
            assertClose(VectorDot.bf16(w, 3, x, 0, n), ScalarDot.bf16(w, 3, x, 0, n), n);
        }
    }

    @Test
    void f16MatchesScalar() {
        SplittableRandom random = new SplittableRandom(4);
        for (int n : LENGTHS) {
            short[] w = new short[n + 3];
            for (int i = 0; i < n; i++) {
                w[3 + i] = io.streamseek.gpu.quantize.BlockQuantizer.toF16((float) (random.nextGaussian() * 0.02));
            }
            float[] x = activations(random, n);
            assertClose(VectorDot.f16(w, 3, x, 0, n), ScalarDot.f16(w, 3, x, 0, n), n);
        }
    }

    @Test
    void f16WideningIsExactForEveryBitPattern() {
        int l = VectorDot.F.length();
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        float[] lanes = new float[l];
        for (int i = 0; i < all.length; i += l) {
            VectorDot.widenF16(all, i).intoArray(lanes, 0);
            for (int j = 0; j < l; j++) {
                assertThat(Float.floatToRawIntBits(lanes[j])).as("f16 0x%04x", i + j)
                        .isEqualTo(Float.floatToRawIntBits(ScalarDot.f16ToFloat(all[i + j])));
            }
        }
    }

    @Test
    void e4m3MatchesScalarOverEveryFiniteCode() {
        SplittableRandom random = new SplittableRandom(3);
        for (int n : LENGTHS) {
            byte[] w = new byte[n + 5];
            for (int i = 0; i < n; i++) {
                int code = random.nextInt(256);
                w[5 + i] = (byte) ((code & 0x7f) == 0x7f ? 0x7e : code);
            }
            float[] x = activations(random, n);
            assertClose(VectorDot.e4m3(w, 5, x, 0, n, 0.0137f), ScalarDot.e4m3(w, 5, x, 0, n, 0.0137f), n);
        }
        // Each code alone, through the vector path (a one-hot activation picks it out exactly).
        int n = 2 * VectorDot.F.length();
        for (int code = 0; code < 256; code++) {
            if ((code & 0x7f) == 0x7f) {
                continue;
            }
            byte[] w = new byte[n];
            w[3] = (byte) code;
            float[] x = new float[n];
            x[3] = 1f;
            assertThat(VectorDot.e4m3(w, 0, x, 0, n, 1f)).as("code 0x%02x", code).isEqualTo(ScalarDot.e4m3ToFloat((byte) code));
            assertThat(VectorDot.e4m3(w, 0, x, 0, n, 0.0137f)).as("code 0x%02x scaled", code)
                    .isEqualTo(ScalarDot.dequantE4m3((byte) code, 0.0137f));
        }
    }

    @Test
    void e4m3DecodesTheFormatsLandmarks() {
        assertThat(ScalarDot.e4m3ToFloat((byte) 0x00)).isEqualTo(0f);
        assertThat(ScalarDot.e4m3ToFloat((byte) 0x38)).isEqualTo(1f);
        assertThat(ScalarDot.e4m3ToFloat((byte) 0x7e)).isEqualTo(448f);
        assertThat(ScalarDot.e4m3ToFloat((byte) 0xfe)).isEqualTo(-448f);
        assertThat(ScalarDot.e4m3ToFloat((byte) 0x01)).isEqualTo(0x1p-9f);
        assertThat(ScalarDot.e4m3ToFloat((byte) 0x08)).isEqualTo(0x1p-6f);
        assertThat(ScalarDot.e4m3ToFloat((byte) 0x7f)).isNaN();
    }

    @Test
    void bf16RoundingIsToNearestEven() {
        assertThat(ScalarDot.roundToBf16(1f + 0x1p-8f)).isEqualTo(1f);           // tie, keeps the even mantissa
        assertThat(ScalarDot.roundToBf16(1f + 3 * 0x1p-8f)).isEqualTo(1f + 0x1p-6f); // tie, rounds up to even
        assertThat(ScalarDot.roundToBf16(1f + 0x1p-8f + 0x1p-12f)).isEqualTo(1f + 0x1p-7f);
        assertThat(ScalarDot.dequantE4m3((byte) 0x38, 0.1f)).isEqualTo(ScalarDot.roundToBf16(0.1f));
    }

    @Test
    void f16DecodesNormalsSubnormalsAndSpecials() {
        assertThat(ScalarDot.f16ToFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(ScalarDot.f16ToFloat((short) 0xc000)).isEqualTo(-2f);
        assertThat(ScalarDot.f16ToFloat((short) 0x7bff)).isEqualTo(65504f);
        assertThat(ScalarDot.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(ScalarDot.f16ToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ScalarDot.f16ToFloat((short) 0x7e00)).isNaN();
    }

    private static float[] activations(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /** Different summation orders: the difference is bounded by n ulps of the magnitude. */
    private static void assertClose(float vector, float scalar, int n) {
        assertThat(vector).isCloseTo(scalar, within(1e-5f * n * Math.max(1f, Math.abs(scalar))));
    }
}
