package io.streamseek.gpu.backend.cpu;

/**
 * Reference dot products of one stored weight row with an f32 activation vector, one per storage
 * dtype, in plain scalar Java. The vectorised kernels are tested against these.
 *
 * <p>Rows are read from arrays at an element offset; accumulation is f32 in index order.
 */
public final class ScalarDot {

    /** Multiplies FP8 bit patterns into f32: see {@link #e4m3ToFloat}. */
    static final float TWO_POW_120 = 0x1p120f;

    private ScalarDot() {
    }

    public static float f32(float[] w, int offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += w[offset + i] * x[xOffset + i];
        }
        return sum;
    }

    public static float bf16(short[] w, int offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += bf16ToFloat(w[offset + i]) * x[xOffset + i];
        }
        return sum;
    }

    public static float f16(short[] w, int offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += f16ToFloat(w[offset + i]) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * FP8 E4M3 codes of one 128-column block times x, each weight dequantised as DeepSeek-V3's
     * {@code weight_dequant} does: {@code bf16(code × scale)} (the official code stores the product in
     * its default dtype, bf16).
     */
    public static float e4m3(byte[] w, int offset, float[] x, int xOffset, int n, float scale) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += dequantE4m3(w[offset + i], scale) * x[xOffset + i];
        }
        return sum;
    }

    /** One FP8 weight dequantised with its block scale: {@code bf16(e4m3 × scale)} as an f32. */
    public static float dequantE4m3(byte code, float scale) {
        return roundToBf16(e4m3ToFloat(code) * scale);
    }

    /** Rounds an f32 to the nearest bf16 (ties to even), returned as f32. */
    public static float roundToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        return Float.intBitsToFloat((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        // Normal halves rebias the exponent; subnormal halves become normal f32 through the multiply.
        float magnitude = exp == 0 ? mant * 0x1p-24f : Float.intBitsToFloat(((exp + 112) << 23) | (mant << 13));
        return sign == 0 ? magnitude : -magnitude;
    }

    /**
     * OCP FP8 E4M3FN to f32. Placing the 7 magnitude bits at f32 bit 20 makes an f32 whose exponent
     * is the FP8 exponent (bias 127 instead of 7) — subnormal FP8 codes land on f32 subnormals — so
     * one multiply by 2^120 rebias both cases exactly. 0x7f/0xff are NaN in E4M3FN.
     */
    public static float e4m3ToFloat(byte code) {
        int b = code & 0xff;
        if ((b & 0x7f) == 0x7f) {
            return Float.NaN;
        }
        float magnitude = Float.intBitsToFloat((b & 0x7f) << 20) * TWO_POW_120;
        return (b & 0x80) == 0 ? magnitude : -magnitude;
    }
}
