package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;

/**
 * A GGUF block-quantized weight repacked at load time for the vector kernels ({@link BlockDequant},
 * {@link StripDot}): the quantized values of each row contiguous in {@link #quants}, the f16
 * block scales decoded once to f32 in {@link #scales}. A kernel then spends no instruction per
 * block on f16 decoding, 6-bit scale unpacking or header skipping, and reads its scale with one
 * broadcast load.
 *
 * <p>Layouts per block (row-major, rows {@code quantStride} / {@code scaleStride} entries apart):
 * <pre>
 * Q8_0  quants 32 int8                   scales d                       w = d·q
 * Q4_0  quants 16: ggml's qs ^ 0x88      scales d                       w = d·s, s = the signed nibble (q − 8)
 * Q5_0  quants 16: ggml's qs             scales d, highs qh             w = d·(q − 16)
 * Q4_K  quants 128: qs                   scales d·sc_j, −dmin·m_j in pairs (16)  w = d·sc·q − dmin·m
 * Q5_K  quants 160: qh[32], qs[128]      scales d·sc_j, −dmin·m_j in pairs (16)
 * Q6_K  quants 256: q − 32 as int8         scales d·sc_i (16)             w = d·sc·(q − 32)
 * </pre>
 * Every decoded scale is the f32 value ggml's {@code dequantize_row_*} computes first ({@code d},
 * {@code d * sc}, {@code dmin * m}, all exact products), so {@link #get} reproduces ggml's values
 * bit for bit with ggml's remaining operations. Q4_0's nibbles are stored with their top bit
 * flipped: {@code q ^ 8} read as a 4-bit two's complement number is {@code q − 8}, which the
 * kernels sign-extend with shifts instead of masking and subtracting. The f32 scales cost 2 bytes
 * per 32-value block (Q8_0 34 → 36 bytes, Q4_0 18 → 20, Q5_0 22 → 24) and 16 to 48 bytes per K-quant
 * super-block (Q4_K 144 → 192, Q5_K 176 → 224); {@link #bytes} counts them. Q6_K's six-bit values are
 * merged into whole bytes (210 → 320 bytes): its decoder then is Q8_0's with a scale per 16 values,
 * where unpacking ql and qh took three loads and a dozen operations per vector (half the speed, and
 * a kernel large enough that C2 at times left it to the Vector API's scalar fallback).
 */
final class BlockRows {

    private static final ThreadLocal<float[]> STRIP = ThreadLocal.withInitial(() -> new float[4 * 4096 + 16]);

    final Format format;
    final int rows;
    final int cols;
    final byte[] quants;
    final float[] scales;
    /** Q5_0: each block's {@code qh}, indexed like {@link #scales}; null otherwise. */
    final int[] highs;
    final int quantBase;
    final int scaleBase;
    final int quantStride;
    final int scaleStride;

    private BlockRows(Format format, int rows, int cols, byte[] quants, float[] scales, int[] highs,
                      int quantBase, int scaleBase) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.quants = quants;
        this.scales = scales;
        this.highs = highs;
        this.quantBase = quantBase;
        this.scaleBase = scaleBase;
        int blocks = cols / format.blockSize();
        this.quantStride = blocks * quantBytes(format);
        this.scaleStride = blocks * scalesPerBlock(format);
    }

    /**
     * Bytes one block takes in this layout: its quants, its f32 scales (for Q4_K/Q5_K with the offsets),
     * and Q5_0's high bits. {@link #bytes} of a whole weight is this per block; the loader sizes the
     * heap by it before anything is copied.
     */
    static int heldBytesPerBlock(Format format) {
        return quantBytes(format) + 4 * scalesPerBlock(format) + (format == Format.Q5_0 ? 4 : 0);
    }

    /** Quant bytes per block in this layout. */
    static int quantBytes(Format format) {
        return switch (format) {
            case Q8_0 -> 32;
            case Q4_0, Q5_0 -> 16;
            case Q4_K -> 128;
            case Q5_K -> 160;
            case Q6_K -> 256;
            default -> throw new IllegalArgumentException(format + " is not a block format");
        };
    }

    static int scalesPerBlock(Format format) {
        return switch (format) {
            case Q8_0, Q4_0, Q5_0 -> 1;
            case Q4_K, Q5_K, Q6_K -> 16; // Q4_K/Q5_K: a scale and an offset per 32-value sub-block
            default -> throw new IllegalArgumentException(format + " is not a block format");
        };
    }

    /** Repacks {@code rows × cols / blockSize} ggml blocks, row-major, at {@code a[0 ..]}. */
    static BlockRows repack(Format format, int rows, int cols, byte[] a) {
        int blocks = rows * (cols / format.blockSize());
        int perBlock = scalesPerBlock(format);
        int qBytes = quantBytes(format);
        byte[] quants = new byte[blocks * qBytes];
        float[] scales = new float[blocks * perBlock];
        int[] highs = format == Format.Q5_0 ? new int[blocks] : null;
        for (int b = 0; b < blocks; b++) {
            int o = b * format.bytesPerBlock();
            int q = b * qBytes;
            int s = b * perBlock;
            switch (format) {
                case Q8_0 -> {
                    scales[s] = BlockFormats.f16(a, o);
                    System.arraycopy(a, o + 2, quants, q, 32);
                }
                case Q4_0 -> {
                    scales[s] = BlockFormats.f16(a, o);
                    for (int i = 0; i < 16; i++) {
                        quants[q + i] = (byte) (a[o + 2 + i] ^ 0x88);
                    }
                }
                case Q5_0 -> {
                    scales[s] = BlockFormats.f16(a, o);
                    highs[b] = BlockFormats.int32(a, o + 2);
                    System.arraycopy(a, o + 6, quants, q, 16);
                }
                case Q4_K, Q5_K -> {
                    float d = BlockFormats.f16(a, o);
                    float dmin = BlockFormats.f16(a, o + 2);
                    for (int j = 0; j < 8; j++) {
                        scales[s + 2 * j] = d * BlockFormats.scale(a, o + 4, j);
                        scales[s + 2 * j + 1] = -(dmin * BlockFormats.min(a, o + 4, j));
                    }
                    System.arraycopy(a, o + 16, quants, q, qBytes);
                }
                case Q6_K -> {
                    float d = BlockFormats.f16(a, o + 208);
                    for (int i = 0; i < 16; i++) {
                        scales[s + i] = d * a[o + 192 + i];
                    }
                    for (int i = 0; i < 256; i++) {
                        int h = i / 128;
                        int j = i % 128;
                        int low = (a[o + 64 * h + j % 64] & 0xff) >>> (j / 64 * 4) & 15;
                        int high = (a[o + 128 + 32 * h + j % 32] & 0xff) >>> (j / 32 * 2) & 3;
                        quants[q + i] = (byte) ((low | high << 4) - 32);
                    }
                }
                default -> throw new IllegalArgumentException(format + " is not a block format");
            }
        }
        return new BlockRows(format, rows, cols, quants, scales, highs, 0, 0);
    }

    /** Rows {@code [first, first + count)}, sharing this weight's arrays. */
    BlockRows rows(int first, int count) {
        return new BlockRows(format, count, cols, quants, scales, highs, quantBase + first * quantStride,
                scaleBase + first * scaleStride);
    }

    /** Bytes a matrix-vector product reads: quants, f32 scales (and K-quant offsets), Q5_0's high bits. */
    long bytes() {
        long perRow = quantStride + 4L * scaleStride + (highs == null ? 0 : 4L * (cols / 32));
        return rows * perRow;
    }

    /** Weight {@code [row, col]} as ggml dequantizes it (see the class comment for why it is exact). */
    float get(int row, int col) {
        int size = format.blockSize();
        int block = col / size;
        int i = col % size;
        int q = quantBase + row * quantStride + block * quantBytes(format);
        int s = scaleBase + row * scaleStride + block * scalesPerBlock(format);
        return switch (format) {
            case Q8_0 -> scales[s] * quants[q + i];
            case Q4_0 -> scales[s] * (float) (quants[q + i % 16] << (i < 16 ? 28 : 24) >> 28);
            case Q5_0 -> {
                int low = (quants[q + i % 16] & 0xff) >>> (i / 16 * 4) & 15;
                int high = (highs[s] >>> i & 1) << 4;
                yield scales[s] * (float) ((low | high) - 16);
            }
            case Q4_K -> scales[s + i / 32 * 2] * nibble(quants, q, i) + scales[s + i / 32 * 2 + 1];
            case Q5_K -> scales[s + i / 32 * 2] * (nibble(quants, q + 32, i) | ((quants[q + i % 32] & 0xff) >>> (i / 32) & 1) << 4)
                    + scales[s + i / 32 * 2 + 1];
            case Q6_K -> scales[s + i / 16] * quants[q + i];
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        };
    }

    /** K-quant nibble of value {@code i} (0..255) in the 128 bytes at {@code a[qs ..]}. */
    private static int nibble(byte[] a, int qs, int i) {
        return (a[qs + i / 64 * 32 + i % 32] & 0xff) >>> (i / 32 % 2 * 4) & 15;
    }

    /** Row {@code row} dequantized to f32 at {@code out[oo ..]}: {@code cols} values in column order. */
    void dequantize(int row, float[] out, int oo) {
        int q = quantBase + row * quantStride;
        int s = scaleBase + row * scaleStride;
        switch (format) {
            case Q8_0, Q6_K -> BlockDequant.int8(scaleShift(), quants, q, scales, s, cols, out, oo);
            case Q4_0 -> BlockDequant.q4_0(quants, q, scales, s, cols, out, oo);
            case Q5_0 -> BlockDequant.q5_0(quants, q, scales, highs, s, cols, out, oo);
            case Q4_K -> BlockDequant.q4K(quants, q, scales, s, cols, out, oo);
            case Q5_K -> BlockDequant.q5K(quants, q, scales, s, cols, out, oo);
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        }
    }

    /** {@code W[row, :] · x[xOffset ..]}: one output of {@link #matmul}, bitwise. */
    float dot(int row, float[] x, int xo) {
        float[] strip = strip(cols);
        dequantize(row, strip, 0);
        return StripDot.dot(strip, 0, x, xo, cols);
    }

    /**
     * Rows {@code [rowStart, rowEnd)} for {@code tokens} activation rows. One token: {@link #matvec}.
     * More: four rows at a time are dequantized into a strip (a row at a time, each one sequential
     * stream) and the strip is multiplied into every token, four at a time ({@link StripDot}): each
     * weight is decoded once per product, whatever the number of tokens. A last group of fewer rows
     * or tokens repeats one; outputs of repeated rows go through a scratch tile so that nothing is
     * written past {@code rowEnd} (another thread's rows).
     */
    void matmul(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens,
                int rowStart, int rowEnd) {
        if (tokens == 1) {
            matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        float[] strip = strip(4 * cols + 16);
        int tile = 4 * cols;
        for (int r = rowStart; r < rowEnd; r += 4) {
            int valid = Math.min(4, rowEnd - r);
            for (int i = 0; i < valid; i++) {
                dequantize(r + i, strip, i * cols);
            }
            int w1 = Math.min(1, valid - 1) * cols, w2 = Math.min(2, valid - 1) * cols, w3 = (valid - 1) * cols;
            boolean whole = valid == 4;
            for (int t = 0; t < tokens; t += 4) {
                int last = Math.min(4, tokens - t) - 1;
                int x0 = xOffset + t * xStride;
                int x1 = x0 + Math.min(1, last) * xStride, x2 = x0 + Math.min(2, last) * xStride, x3 = x0 + last * xStride;
                if (whole) {
                    int o0 = outOffset + t * outStride + r;
                    int o1 = o0 + Math.min(1, last) * outStride, o2 = o0 + Math.min(2, last) * outStride, o3 = o0 + last * outStride;
                    StripDot.r4x4(strip, 0, w1, w2, w3, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
                } else {
                    StripDot.r4x4(strip, 0, w1, w2, w3, x, x0, x1, x2, x3, cols, strip, tile, tile + 4, tile + 8, tile + 12);
                    for (int j = 0; j <= last; j++) {
                        System.arraycopy(strip, tile + 4 * j, out, outOffset + (t + j) * outStride + r, valid);
                    }
                }
            }
        }
    }

    /**
     * One token, rows {@code [rowStart, rowEnd)} ({@link BlockDot}): Q8_0 and Q6_K (whole bytes) four
     * rows a quarter of the range apart at a time; the nibble formats (more work per weight: a kernel
     * of four rows outgrows what C2 compiles into vector code) two rows half the range apart. Where
     * the last part is short, its missing row repeats the first one and is not written.
     */
    void matvec(float[] x, int xo, float[] out, int oo, int rowStart, int rowEnd) {
        if (format == Format.Q8_0 || format == Format.Q6_K) {
            int quarter = (rowEnd - rowStart + 3) / 4;
            for (int r = rowStart; r < rowStart + quarter; r++) {
                int r1 = r + quarter, r2 = r1 + quarter, r3 = r2 + quarter;
                if (r3 < rowEnd) {
                    bytes4(r, r1, r2, r3, x, xo, out, oo + r, oo + r1, oo + r2, oo + r3);
                } else {
                    float[] tile = strip(4);
                    bytes4(r, r1 < rowEnd ? r1 : r, r2 < rowEnd ? r2 : r, r, x, xo, tile, 0, 1, 2, 3);
                    out[oo + r] = tile[0];
                    if (r1 < rowEnd) {
                        out[oo + r1] = tile[1];
                    }
                    if (r2 < rowEnd) {
                        out[oo + r2] = tile[2];
                    }
                }
            }
            return;
        }
        int half = (rowEnd - rowStart + 1) / 2;
        for (int r = rowStart; r < rowStart + half; r++) {
            int r1 = r + half;
            if (r1 < rowEnd) {
                dot2(r, r1, x, xo, out, oo + r, oo + r1);
            } else {
                float[] tile = strip(2);
                dot2(r, r, x, xo, tile, 0, 1);
                out[oo + r] = tile[0];
            }
        }
    }

    private void bytes4(int r0, int r1, int r2, int r3, float[] x, int xo, float[] out, int o0, int o1, int o2, int o3) {
        BlockDot.int8(scaleShift(), quants, quantBase + r0 * quantStride, quantBase + r1 * quantStride, quantBase + r2 * quantStride,
                quantBase + r3 * quantStride, scales, scaleBase + r0 * scaleStride, scaleBase + r1 * scaleStride,
                scaleBase + r2 * scaleStride, scaleBase + r3 * scaleStride, x, xo, cols, out, o0, o1, o2, o3);
    }

    /** Whole-byte formats: log2 of the values per scale (Q8_0 32, Q6_K 16). */
    private int scaleShift() {
        return format == Format.Q8_0 ? 5 : 4;
    }

    private void dot2(int r0, int r1, float[] x, int xo, float[] out, int o0, int o1) {
        int q0 = quantBase + r0 * quantStride, q1 = quantBase + r1 * quantStride;
        int s0 = scaleBase + r0 * scaleStride, s1 = scaleBase + r1 * scaleStride;
        switch (format) {
            case Q4_0 -> BlockDot.q4_0(quants, q0, q1, scales, s0, s1, x, xo, cols, out, o0, o1);
            case Q5_0 -> BlockDot.q5_0(quants, q0, q1, scales, highs, s0, s1, x, xo, cols, out, o0, o1);
            case Q4_K -> BlockDot.q4K(quants, q0, q1, scales, s0, s1, x, xo, cols, out, o0, o1);
            case Q5_K -> BlockDot.q5K(quants, q0, q1, scales, s0, s1, x, xo, cols, out, o0, o1);
            default -> throw new IllegalStateException("unreachable: " + format + " has no two-row kernel");
        }
    }

    /** This thread's strip buffer, at least {@code length} floats. */
    private static float[] strip(int length) {
        float[] strip = STRIP.get();
        if (strip.length < length) {
            strip = new float[Math.max(length, 2 * strip.length)];
            STRIP.set(strip);
        }
        return strip;
    }
}
