package io.streamseek.gpu.backend.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A linear layer's weight {@code [rows = out_features, cols = in_features]} in its storage format,
 * read in place (memory-mapped) and widened to f32 inside the dot product. FP8 E4M3 weights carry
 * DeepSeek-V3's {@code weight_scale_inv} {@code [ceil(rows/128), ceil(cols/128)]}: each 128×128 block
 * is multiplied by its scale and rounded to bf16, exactly as the official {@code weight_dequant} does.
 */
public final class Linear {

    /** Storage formats a weight can be read from. */
    public enum Format {
        F32(4), BF16(2), F16(2), E4M3(1);

        final int bytes;

        Format(int bytes) {
            this.bytes = bytes;
        }
    }

    static final int SCALE_BLOCK = 128;

    /** Rows widened together by a batched product: 4 rows of 4 KiB plus a 4-token group fill about half of L1. */
    private static final int ROW_BLOCK = 4;
    /** One block of widened rows per thread: matmul runs on every worker at once. */
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    private final Format format;
    private final int rows;
    private final int cols;
    private final ByteBuffer data;
    private final float[] scales; // [ceil(rows/128), ceil(cols/128)], E4M3 only
    private final int scaleCols;

    private Linear(Format format, int rows, int cols, ByteBuffer data, float[] scales) {
        long expected = (long) rows * cols * format.bytes;
        if (data.capacity() != expected) {
            throw new IllegalArgumentException("a " + format + " weight of [" + rows + ", " + cols + "] needs " + expected
                    + " bytes, got " + data.capacity());
        }
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.scales = scales;
        this.scaleCols = (cols + SCALE_BLOCK - 1) / SCALE_BLOCK;
        if (format == Format.E4M3) {
            int expectedScales = (rows + SCALE_BLOCK - 1) / SCALE_BLOCK * scaleCols;
            if (scales == null || scales.length != expectedScales) {
                throw new IllegalArgumentException("an E4M3 weight of [" + rows + ", " + cols + "] needs " + expectedScales
                        + " block scales, got " + (scales == null ? "none" : scales.length));
            }
        }
    }

    public static Linear of(Format format, int rows, int cols, ByteBuffer data) {
        if (format == Format.E4M3) {
            throw new IllegalArgumentException("an E4M3 weight needs its block scales; use e4m3(...)");
        }
        return new Linear(format, rows, cols, data, null);
    }

    public static Linear e4m3(int rows, int cols, ByteBuffer data, float[] scaleInv) {
        return new Linear(Format.E4M3, rows, cols, data, scaleInv);
    }

    /** Rows {@code [first, first + count)} as a weight of their own, sharing this one's memory. */
    public Linear rows(int first, int count) {
        if (format == Format.E4M3 || first < 0 || count < 1 || first + count > rows) {
            throw new IllegalArgumentException("cannot take rows [" + first + ", " + (first + count) + ") of a " + format
                    + " weight of " + rows + " rows");
        }
        ByteBuffer slice = data.duplicate().position(first * cols * format.bytes).limit((first + count) * cols * format.bytes).slice();
        return new Linear(format, count, cols, slice, null);
    }

    /** A weight held as f32 values in memory (tests, small derived matrices). */
    public static Linear ofFloats(int rows, int cols, float[] values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        return new Linear(Format.F32, rows, cols, data, null);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public Format format() {
        return format;
    }

    /** Bytes read by one full matrix-vector product: what decode speed is bound by. */
    public long bytes() {
        return (long) rows * cols * format.bytes + (scales == null ? 0 : 4L * scales.length);
    }

    /** {@code out[outOffset + r] = W[r, :] · x[xOffset ..]} for rows {@code [rowStart, rowEnd)}. */
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot(r, x, xOffset);
        }
    }

    /**
     * {@code out[outOffset + t·outStride + r] = W[r, :] · x[xOffset + t·xStride ..]} for rows
     * {@code [rowStart, rowEnd)} and {@code tokens} activation rows: each weight row is fetched from
     * memory once and reused from cache for every token.
     */
    public void matmul(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens, int rowStart, int rowEnd) {
        if (tokens < 2 || (format != Format.F32 && format != Format.BF16)) {
            for (int r = rowStart; r < rowEnd; r++) {
                for (int t = 0; t < tokens; t++) {
                    out[outOffset + t * outStride + r] = dot(r, x, xOffset + t * xStride);
                }
            }
            return;
        }
        // Several tokens: widen a block of rows to f32 once, then four tokens per pass over each
        // row, so the step is bound by FMAs rather than by loads and conversions; the block keeps
        // a group's activations in L1 across its rows. A short group repeats its last token
        // (computed twice, written twice, same value) rather than taking another code path.
        float[] block = ROWS.get();
        if (block.length < ROW_BLOCK * cols) {
            block = new float[ROW_BLOCK * cols];
            ROWS.set(block);
        }
        for (int r0 = rowStart; r0 < rowEnd; r0 += ROW_BLOCK) {
            int r1 = Math.min(rowEnd, r0 + ROW_BLOCK);
            for (int r = r0; r < r1; r++) {
                int rowOffset = (int) ((long) r * cols * format.bytes);
                if (format == Format.BF16) {
                    VectorDot.widenBf16(data, rowOffset, block, (r - r0) * cols, cols);
                } else {
                    VectorDot.copyF32(data, rowOffset, block, (r - r0) * cols, cols);
                }
            }
            int t = 0;
            for (; t + 1 < tokens; t += 4) {
                int t1 = t + 1;
                int t2 = Math.min(t + 2, tokens - 1);
                int t3 = Math.min(t + 3, tokens - 1);
                int r = r0;
                for (; r + 1 < r1; r += 2) { // the second row's outputs sit right after the first's
                    VectorDot.f32x2x4(block, (r - r0) * cols, x, xOffset + t * xStride, xOffset + t1 * xStride, xOffset + t2 * xStride,
                            xOffset + t3 * xStride, cols, out, outOffset + t * outStride + r, outOffset + t1 * outStride + r,
                            outOffset + t2 * outStride + r, outOffset + t3 * outStride + r);
                }
                for (; r < r1; r++) {
                    VectorDot.f32x4(block, (r - r0) * cols, x, xOffset + t * xStride, xOffset + t1 * xStride, xOffset + t2 * xStride,
                            xOffset + t3 * xStride, cols, out, outOffset + t * outStride + r, outOffset + t1 * outStride + r,
                            outOffset + t2 * outStride + r, outOffset + t3 * outStride + r);
                }
            }
            if (t < tokens) {
                for (int r = r0; r < r1; r++) {
                    out[outOffset + t * outStride + r] = Kernels.dot(block, (r - r0) * cols, x, xOffset + t * xStride, cols);
                }
            }
        }
    }

    /** One output row: the fixed-order dot product every batch shape uses. */
    public float dot(int row, float[] x, int xOffset) {
        long rowOffset = (long) row * cols * format.bytes;
        return switch (format) {
            case F32 -> VectorDot.f32(data, (int) rowOffset, x, xOffset, cols);
            case BF16 -> VectorDot.bf16(data, (int) rowOffset, x, xOffset, cols);
            case F16 -> ScalarDot.f16(data, (int) rowOffset, x, xOffset, cols);
            case E4M3 -> e4m3Dot(row, (int) rowOffset, x, xOffset);
        };
    }

    private float e4m3Dot(int row, int rowOffset, float[] x, int xOffset) {
        int scaleRow = row / SCALE_BLOCK * scaleCols;
        float sum = 0f;
        for (int block = 0; block < scaleCols; block++) {
            int start = block * SCALE_BLOCK;
            int n = Math.min(SCALE_BLOCK, cols - start);
            sum += VectorDot.e4m3(data, rowOffset + start, x, xOffset + start, n, scales[scaleRow + block]);
        }
        return sum;
    }

    /** Copies row {@code row} as f32 into {@code out[outOffset ..]}: an embedding lookup. */
    public void copyRow(int row, float[] out, int outOffset) {
        for (int c = 0; c < cols; c++) {
            out[outOffset + c] = get(row, c);
        }
    }

    /** The reference value of one weight in f32, dequantised as the official code does. */
    public float get(int row, int col) {
        long index = (long) row * cols + col;
        return switch (format) {
            case F32 -> data.getFloat((int) (4 * index));
            case BF16 -> ScalarDot.bf16ToFloat(data.getShort((int) (2 * index)));
            case F16 -> ScalarDot.f16ToFloat(data.getShort((int) (2 * index)));
            case E4M3 -> ScalarDot.dequantE4m3(data.get((int) index), scales[row / SCALE_BLOCK * scaleCols + col / SCALE_BLOCK]);
        };
    }
}
