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
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = 0; t < tokens; t++) {
                out[outOffset + t * outStride + r] = dot(r, x, xOffset + t * xStride);
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
