package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;

/**
 * GGUF's block-quantized layouts (ggml's {@code block_q8_0} … {@code block_q6_K}) and their scalar
 * reference dequantization: bit-exact with ggml's {@code dequantize_row_*} and the {@code gguf}
 * package's {@code quants.dequantize} (golden files check it). The CPU backend keeps these blocks
 * repacked ({@link InterleavedBlocks}); its vectorised kernels are tested against {@link #dot}.
 *
 * <p>Layouts, little-endian, {@code d}/{@code dmin} are f16:
 * <pre>
 * Q8_0  32 values,  34 bytes: d, qs[32] int8                      w = d·q
 * Q4_0  32 values,  18 bytes: d, qs[16] nibbles                   w = d·(q − 8); qs[j] low = value j, high = value j + 16
 * Q5_0  32 values,  22 bytes: d, qh (u32), qs[16]                 w = d·(q − 16); bit j of qh is value j's 5th bit
 * Q4_K 256 values, 144 bytes: d, dmin, scales[12], qs[128]        w = d·sc_j·q − dmin·m_j per 32-value sub-block j
 * Q5_K 256 values, 176 bytes: d, dmin, scales[12], qh[32], qs[128] bit j of qh[l] is the 5th bit of value 32j + l
 * Q6_K 256 values, 210 bytes: ql[128], qh[64], scales[16] int8, d  w = d·sc_(i/16)·(q − 32)
 * </pre>
 * K-quant nibbles: qs[32c + l] holds value 64c + l (low) and 64c + 32 + l (high). Q4_K/Q5_K's 6-bit
 * scales and mins: sub-blocks 0..3 in the low 6 bits of bytes 0..3 (scale) and 4..7 (min),
 * sub-blocks 4..7 in the nibbles of bytes 8..11 with their top 2 bits in the top bits of bytes 0..7.
 * Q6_K: value 128h + j takes its low 4 bits from ql[64h + j % 64] (nibble j / 64) and its top 2 bits
 * from qh[32h + j % 32] (bits 2·(j / 32)).
 *
 * <p>Every dequantized value is one correctly rounded f32 operation on exact operands (an f16 times
 * a small integer is exact in f32), so a fused multiply-add gives the same value as ggml's multiply
 * then subtract: the vector kernels dequantize bit-exactly too.
 */
public final class BlockFormats {

    private BlockFormats() {
    }

    /** Value {@code i} of the block at {@code a[block ..]}, dequantized as ggml does. */
    public static float dequantize(Format format, byte[] a, int block, int i) {
        return switch (format) {
            case Q8_0 -> f16(a, block) * a[block + 2 + i];
            case Q4_0 -> f16(a, block) * (float) (((a[block + 2 + i % 16] & 0xff) >>> (i / 16 * 4) & 15) - 8);
            case Q5_0 -> {
                int low = (a[block + 6 + i % 16] & 0xff) >>> (i / 16 * 4) & 15;
                int high = (int32(a, block + 2) >>> i & 1) << 4;
                yield f16(a, block) * (float) ((low | high) - 16);
            }
            case Q4_K -> kQuant(a, block, i, nibble(a, block + 16, i));
            case Q5_K -> kQuant(a, block, i, nibble(a, block + 48, i) | ((a[block + 16 + i % 32] & 0xff) >>> (i / 32) & 1) << 4);
            case Q6_K -> {
                int h = i / 128;
                int j = i % 128;
                int low = (a[block + 64 * h + j % 64] & 0xff) >>> (j / 64 * 4) & 15;
                int high = (a[block + 128 + 32 * h + j % 32] & 0xff) >>> (j / 32 * 2) & 3;
                float scale = f16(a, block + 208) * a[block + 192 + i / 16];
                yield scale * (float) ((low | high << 4) - 32);
            }
            default -> throw new IllegalArgumentException(format + " is not a block format");
        };
    }

    /**
     * The scalar twin of the vector dots: the row of {@code n} values at {@code a[row ..]}
     * dequantized value by value and multiplied into x, accumulated in f32 in index order.
     */
    public static float dot(Format format, byte[] a, int row, float[] x, int xOffset, int n) {
        int size = format.blockSize();
        float sum = 0f;
        for (int b = 0, block = row; b < n; b += size, block += format.bytesPerBlock()) {
            for (int i = 0; i < size; i++) {
                sum += dequantize(format, a, block, i) * x[xOffset + b + i];
            }
        }
        return sum;
    }

    /** Q4_K/Q5_K: {@code d·sc·q − dmin·m} with the scale and min of {@code i}'s sub-block. */
    private static float kQuant(byte[] a, int block, int i, int q) {
        int j = i / 32;
        float scale = f16(a, block) * scale(a, block + 4, j);
        float min = f16(a, block + 2) * min(a, block + 4, j);
        return scale * q - min;
    }

    /** K-quant nibble of value {@code i} (0..255) in the 128 bytes at {@code a[qs ..]}. */
    private static int nibble(byte[] a, int qs, int i) {
        return (a[qs + i / 64 * 32 + i % 32] & 0xff) >>> (i / 32 % 2 * 4) & 15;
    }

    /** The 6-bit scale of sub-block {@code j} from the 12 packed bytes at {@code a[s ..]}. */
    static int scale(byte[] a, int s, int j) {
        return j < 4 ? a[s + j] & 63 : (a[s + j + 4] & 15) | ((a[s + j - 4] & 0xff) >>> 6) << 4;
    }

    /** The 6-bit min of sub-block {@code j} from the 12 packed bytes at {@code a[s ..]}. */
    static int min(byte[] a, int s, int j) {
        return j < 4 ? a[s + j + 4] & 63 : (a[s + j + 4] & 0xff) >>> 4 | ((a[s + j] & 0xff) >>> 6) << 4;
    }

    /** The little-endian f16 at {@code a[o]}, in f32. */
    static float f16(byte[] a, int o) {
        return ScalarDot.f16ToFloat((short) ((a[o] & 0xff) | a[o + 1] << 8));
    }

    static int int32(byte[] a, int o) {
        return (a[o] & 0xff) | (a[o + 1] & 0xff) << 8 | (a[o + 2] & 0xff) << 16 | (a[o + 3] & 0xff) << 24;
    }
}
