package io.streamseek.gpu.quantize;

import io.streamseek.gpu.backend.cpu.Linear;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Row quantizers for the formats a {@code quantize} command writes, bit-exact with ggml's reference
 * quantizers as the {@code gguf} package implements them ({@code gguf.quants.quantize}): Q8_0,
 * Q4_0, and the f32 → F16 / BF16 conversions (round to nearest, ties to even). Golden files written
 * by {@code src/test/python/make_quant_golden.py} check every byte.
 */
public final class BlockQuantizer {

    private BlockQuantizer() {
    }

    /**
     * Quantizes {@code src[srcOffset .. + n)} (one row, or several rows back to back) into
     * {@code dst} at its position, little-endian, advancing the position: {@code n / blockSize}
     * ggml blocks, or {@code n} 2-byte values for F16/BF16.
     *
     * @throws IllegalArgumentException for a format without a quantizer here, or {@code n} not a
     *     multiple of the block size
     */
    public static void quantizeRow(Linear.Format format, float[] src, int srcOffset, int n, ByteBuffer dst) {
        if (n % format.blockSize() != 0) {
            throw new IllegalArgumentException("cannot quantize " + n + " values to " + format + ": not a multiple of its block size "
                    + format.blockSize());
        }
        ByteBuffer out = dst.order() == ByteOrder.LITTLE_ENDIAN ? dst : dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (format) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat(src[srcOffset + i]);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n; b += 32) {
                    q8_0(src, srcOffset + b, out);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n; b += 32) {
                    q4_0(src, srcOffset + b, out);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.putShort(toF16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.putShort(toBf16(src[srcOffset + i]));
                }
            }
            default -> throw new IllegalArgumentException("no quantizer for " + format + "; this class writes F32, Q8_0, Q4_0, F16 and BF16");
        }
        if (out != dst) {
            dst.position(out.position());
        }
    }

    /** ggml {@code quantize_row_q8_0_ref}: {@code d = max|x| / 127}, {@code q = roundf(x / d)} (half away from zero). */
    private static void q8_0(float[] x, int o, ByteBuffer out) {
        float amax = 0f;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[o + i]));
        }
        float d = amax / 127;
        float id = d == 0 ? 0 : 1 / d;
        out.putShort(toF16(d));
        for (int i = 0; i < 32; i++) {
            out.put((byte) roundHalfAwayFromZero(x[o + i] * id));
        }
    }

    /**
     * ggml {@code quantize_row_q4_0_ref}: {@code d = max / −8} where max is the value of largest
     * magnitude (the first such), {@code q = min(15, (int) (x / d + 8.5))}; value j in the low nibble
     * of byte j, value j + 16 in its high nibble.
     */
    private static void q4_0(float[] x, int o, ByteBuffer out) {
        float amax = 0f;
        float max = 0f;
        for (int i = 0; i < 32; i++) {
            float v = x[o + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d == 0 ? 0 : 1 / d;
        out.putShort(toF16(d));
        for (int i = 0; i < 16; i++) {
            int low = Math.min(15, (int) (x[o + i] * id + 8.5f));
            int high = Math.min(15, (int) (x[o + 16 + i] * id + 8.5f));
            out.put((byte) (low | high << 4));
        }
    }

    /** C's {@code roundf} (the {@code np_roundf} of gguf): halves round away from zero. */
    static float roundHalfAwayFromZero(float v) {
        float a = Math.abs(v);
        float floor = (float) Math.floor(a);
        float rounded = floor + (float) Math.floor(2 * (a - floor));
        return Math.copySign(rounded, v);
    }

    /**
     * f32 to IEEE f16 bits as numpy's {@code astype(float16)}: round to nearest, ties to even;
     * overflow to infinity; f16 subnormals rounded likewise; NaN stays NaN with its top mantissa bits.
     */
    public static short toF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = bits >>> 16 & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            int nan = 0x7c00 | (abs & 0x7fffff) >>> 13;
            return (short) (sign | (nan == 0x7c00 ? 0x7c01 : nan));
        }
        if (abs >= 0x477ff000) { // 65520 and above round to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) { // normal f16: rebias, round the 13 dropped bits to nearest even
            return (short) (sign | (abs - 0x38000000 + 0xfff + (abs >>> 13 & 1)) >>> 13);
        }
        // An f16 subnormal (or zero): the value in units of 2^-24, rounded to nearest even.
        int exponent = abs >>> 23;
        int shift = 126 - exponent;
        if (shift > 24) {
            return (short) sign;
        }
        int mantissa = (abs & 0x7fffff) | 0x800000;
        int q = mantissa >>> shift;
        int rest = mantissa & ((1 << shift) - 1);
        int half = 1 << shift - 1;
        if (rest > half || (rest == half && (q & 1) != 0)) {
            q++;
        }
        return (short) (sign | q);
    }

    /**
     * f32 to bf16 bits as gguf's BF16 quantizer (ggml's {@code ggml_compute_fp32_to_bf16}): NaN
     * becomes a quiet NaN with its top bits, everything else (subnormals included) rounds to nearest
     * even, overflowing to infinity.
     */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + 0x7fff + (bits >>> 16 & 1)) >>> 16);
    }
}
