package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;

/**
 * A GGUF block-quantized weight repacked at load time for the vector kernels ({@link BlockDot},
 * {@link KQuantDot}): the quantized values of each row contiguous in {@link #quants}, the f16
 * block scales decoded once to f32 in {@link #scales}. A kernel then spends no instruction per
 * block on f16 decoding, 6-bit scale unpacking or header skipping, and reads its scale with one
 * broadcast load.
 *
 * <p>Layouts per block (row-major, rows {@code quantStride} / {@code scaleStride} entries apart):
 * <pre>
 * Q8_0  quants 32 int8                   scales d                       w = d·q
 * Q4_0  quants 16: ggml's qs ^ 0x88      scales d                       w = d·s, s = the signed nibble (q − 8)
 * Q5_0  quants 16: ggml's qs             scales d, highs qh             w = d·(q − 16)
 * Q4_K  quants 128: qs                   scales d·sc_j, offsets −dmin·m_j (8 each)  w = d·sc·q − dmin·m
 * Q5_K  quants 160: qh[32], qs[128]      scales d·sc_j, offsets −dmin·m_j (8 each)
 * Q6_K  quants 192: ql[128], qh[64]      scales d·sc_i (16)             w = d·sc·(q − 32)
 * </pre>
 * Every decoded scale is the f32 value ggml's {@code dequantize_row_*} computes first ({@code d},
 * {@code d * sc}, {@code dmin * m}, all exact products), so {@link #get} reproduces ggml's values
 * bit for bit with ggml's remaining operations. Q4_0's nibbles are stored with their top bit
 * flipped: {@code q ^ 8} read as a 4-bit two's complement number is {@code q − 8}, which the
 * kernels sign-extend with shifts instead of masking and subtracting. The f32 scales cost 2 bytes
 * per 32-value block (Q8_0 34 → 36 bytes, Q4_0 18 → 20, Q5_0 22 → 24) and 16 to 48 bytes per K-quant
 * super-block (Q4_K 144 → 192, Q5_K 176 → 224, Q6_K 210 → 256); {@link #bytes} counts them.
 */
final class BlockRows {

    final Format format;
    final int rows;
    final int cols;
    final byte[] quants;
    final float[] scales;
    /** Q4_K/Q5_K: {@code −dmin·m_j} per sub-block, indexed like {@link #scales}; null otherwise. */
    final float[] offsets;
    /** Q5_0: each block's {@code qh}, indexed like {@link #scales}; null otherwise. */
    final int[] highs;
    final int quantBase;
    final int scaleBase;
    final int quantStride;
    final int scaleStride;

    private BlockRows(Format format, int rows, int cols, byte[] quants, float[] scales, float[] offsets, int[] highs,
                      int quantBase, int scaleBase) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.quants = quants;
        this.scales = scales;
        this.offsets = offsets;
        this.highs = highs;
        this.quantBase = quantBase;
        this.scaleBase = scaleBase;
        int blocks = cols / format.blockSize();
        this.quantStride = blocks * quantBytes(format);
        this.scaleStride = blocks * scalesPerBlock(format);
    }

    /**
     * Bytes one block takes in this layout: its quants, its f32 scales (and, for Q4_K/Q5_K, mins),
     * and Q5_0's high bits. {@link #bytes} of a whole weight is this per block; the loader sizes the
     * heap by it before anything is copied.
     */
    static int heldBytesPerBlock(Format format) {
        int mins = format == Format.Q4_K || format == Format.Q5_K ? 2 : 1;
        return quantBytes(format) + 4 * scalesPerBlock(format) * mins + (format == Format.Q5_0 ? 4 : 0);
    }

    /** Quant bytes per block in this layout. */
    static int quantBytes(Format format) {
        return switch (format) {
            case Q8_0 -> 32;
            case Q4_0, Q5_0 -> 16;
            case Q4_K -> 128;
            case Q5_K -> 160;
            case Q6_K -> 192;
            default -> throw new IllegalArgumentException(format + " is not a block format");
        };
    }

    static int scalesPerBlock(Format format) {
        return switch (format) {
            case Q8_0, Q4_0, Q5_0 -> 1;
            case Q4_K, Q5_K -> 8;
            case Q6_K -> 16;
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
        float[] offsets = format == Format.Q4_K || format == Format.Q5_K ? new float[blocks * perBlock] : null;
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
                        scales[s + j] = d * BlockFormats.scale(a, o + 4, j);
                        offsets[s + j] = -(dmin * BlockFormats.min(a, o + 4, j));
                    }
                    System.arraycopy(a, o + 16, quants, q, qBytes);
                }
                case Q6_K -> {
                    float d = BlockFormats.f16(a, o + 208);
                    for (int i = 0; i < 16; i++) {
                        scales[s + i] = d * a[o + 192 + i];
                    }
                    System.arraycopy(a, o, quants, q, 192);
                }
                default -> throw new IllegalArgumentException(format + " is not a block format");
            }
        }
        return new BlockRows(format, rows, cols, quants, scales, offsets, highs, 0, 0);
    }

    /** Rows {@code [first, first + count)}, sharing this weight's arrays. */
    BlockRows rows(int first, int count) {
        return new BlockRows(format, count, cols, quants, scales, offsets, highs, quantBase + first * quantStride,
                scaleBase + first * scaleStride);
    }

    /** Bytes a matrix-vector product reads: quants, f32 scales and offsets, Q5_0's high bits. */
    long bytes() {
        long perRow = quantStride + 4L * scaleStride * (offsets == null ? 1 : 2) + (highs == null ? 0 : 4L * (cols / 32));
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
            case Q4_K -> scales[s + i / 32] * nibble(quants, q, i) + offsets[s + i / 32];
            case Q5_K -> scales[s + i / 32] * (nibble(quants, q + 32, i) | ((quants[q + i % 32] & 0xff) >>> (i / 32) & 1) << 4)
                    + offsets[s + i / 32];
            case Q6_K -> {
                int h = i / 128;
                int j = i % 128;
                int low = (quants[q + 64 * h + j % 64] & 0xff) >>> (j / 64 * 4) & 15;
                int high = (quants[q + 128 + 32 * h + j % 32] & 0xff) >>> (j / 32 * 2) & 3;
                yield scales[s + i / 16] * (float) ((low | high << 4) - 32);
            }
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        };
    }

    /** K-quant nibble of value {@code i} (0..255) in the 128 bytes at {@code a[qs ..]}. */
    private static int nibble(byte[] a, int qs, int i) {
        return (a[qs + i / 64 * 32 + i % 32] & 0xff) >>> (i / 32 % 2 * 4) & 15;
    }

    /** {@code W[row, :] · x[xOffset ..]}: the fixed-order arithmetic every batch shape uses. */
    float dot(int row, float[] x, int xo) {
        int q = quantBase + row * quantStride;
        int s = scaleBase + row * scaleStride;
        return switch (format) {
            case Q8_0 -> BlockDot.q8_0(quants, q, scales, s, x, xo, cols);
            case Q4_0 -> BlockDot.q4_0(quants, q, scales, s, x, xo, cols);
            case Q5_0 -> BlockDot.q5_0(quants, q, scales, highs, s, x, xo, cols);
            case Q4_K -> KQuantDot.q4K(quants, q, scales, offsets, s, x, xo, cols);
            case Q5_K -> KQuantDot.q5K(quants, q, scales, offsets, s, x, xo, cols);
            case Q6_K -> KQuantDot.q6K(quants, q, scales, s, x, xo, cols);
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        };
    }

    /** {@link #dot} of one row with four activation vectors, each output bitwise its {@link #dot}. */
    void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out, int o0, int o1, int o2, int o3) {
        int q = quantBase + row * quantStride;
        int s = scaleBase + row * scaleStride;
        switch (format) {
            case Q8_0 -> BlockDot.q8_0x4(quants, q, scales, s, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
            case Q4_0 -> BlockDot.q4_0x4(quants, q, scales, s, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
            case Q5_0 -> BlockDot.q5_0x4(quants, q, scales, highs, s, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
            case Q4_K -> KQuantDot.q4Kx4(quants, q, scales, offsets, s, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
            case Q5_K -> KQuantDot.q5Kx4(quants, q, scales, offsets, s, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
            case Q6_K -> KQuantDot.q6Kx4(quants, q, scales, s, x, x0, x1, x2, x3, cols, out, o0, o1, o2, o3);
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        }
    }

    /**
     * Rows {@code [rowStart, rowEnd)} for {@code tokens} activation rows: rows in groups of
     * {@code rowBlock} (weight bytes that stay in L2), tokens in groups of four sharing each
     * dequantized weight vector; a group of two or three repeats its last token (same value
     * computed and written twice).
     */
    void matmul(int rowBlock, float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens,
                int rowStart, int rowEnd) {
        for (int r0 = rowStart; r0 < rowEnd; r0 += rowBlock) {
            int r1 = Math.min(rowEnd, r0 + rowBlock);
            for (int t = 0; t < tokens; t += 4) {
                int last = Math.min(4, tokens - t) - 1;
                int xt = xOffset + t * xStride;
                int ot = outOffset + t * outStride;
                if (last == 0) {
                    for (int r = r0; r < r1; r++) {
                        out[ot + r] = dot(r, x, xt);
                    }
                    continue;
                }
                int x1 = xt + Math.min(1, last) * xStride, x2 = xt + Math.min(2, last) * xStride, x3 = xt + last * xStride;
                int o1 = ot + Math.min(1, last) * outStride, o2 = ot + Math.min(2, last) * outStride, o3 = ot + last * outStride;
                for (int r = r0; r < r1; r++) {
                    dot4(r, x, xt, x1, x2, x3, out, ot + r, o1 + r, o2 + r, o3 + r);
                }
            }
        }
    }

    /** Row bytes of the weight in L2 per group of tokens: see {@link Linear#BLOCK_BYTES}. */
    int rowBlock() {
        return (int) Math.max(1, Linear.BLOCK_BYTES / (bytes() / Math.max(1, rows)));
    }
}
