package io.streamseek.gpu.loader;

/** Rounding f32 into the narrow storage formats, round-to-nearest-even as PyTorch does. */
public final class FloatFormats {

    /** Largest finite OCP FP8 E4M3FN value. */
    public static final float E4M3_MAX = 448f;

    private FloatFormats() {
    }

    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** f32 to FP8 E4M3FN, saturating at ±448 (what PyTorch's float8_e4m3fn cast does for finite inputs after clamping). */
    public static byte toE4m3(float value) {
        int sign = value < 0 || (value == 0 && 1 / value < 0) ? 0x80 : 0;
        float m = Math.min(Math.abs(value), E4M3_MAX);
        if (m < 0x1p-6f) {
            // Subnormal: multiples of 2^-9, rounded half to even by Math.rint.
            int q = (int) Math.rint(m * 512f);
            return (byte) (sign | q); // q == 8 is exactly the smallest normal, code 0x08
        }
        int exponent = Math.getExponent(m); // -6 .. 8
        float scaled = m / (float) Math.pow(2, exponent) * 8f - 8f; // mantissa in [0, 8)
        int mantissa = (int) Math.rint(scaled);
        if (mantissa == 8) {
            mantissa = 0;
            exponent++;
        }
        int code = ((exponent + 7) << 3) | mantissa;
        return (byte) (sign | Math.min(code, 0x7e));
    }
}
