package io.streamseek.gpu.backend.cpu;

/**
 * An f32 weight stored as {@link PanelTile} reads it: panels of {@code 2L} rows, each column-major
 * ({@code values[panel·2L·cols + c·2L + r % 2L]}), rows padded to whole panels with zeros. Products
 * then run the register tiles straight over the storage, with no dequantization and no lane
 * reduction: the attention's f32 matrices (kv_b's value rows, the gathered latents of a prefill
 * chunk), which the row-major kernels multiplied at about half the speed. Every output is one FMA
 * chain over the columns in order ({@link #dot}), whatever the number of tokens.
 */
final class F32Panels {

    /** Rows per panel: two f32 vectors. */
    static final int HEIGHT = 2 * GroupDot.L;

    final int rows;
    final int cols;
    final float[] values;
    private final int firstPanel;

    private F32Panels(int rows, int cols, float[] values, int firstPanel) {
        this.rows = rows;
        this.cols = cols;
        this.values = values;
        this.firstPanel = firstPanel;
    }

    /** Floats a panel layout of {@code rows × cols} takes. */
    static int length(int rows, int cols) {
        return Math.multiplyExact((rows + HEIGHT - 1) / HEIGHT * HEIGHT, cols);
    }

    /** {@code rowMajor} ({@code [rows, cols]}) copied into panels. */
    static F32Panels pack(int rows, int cols, float[] rowMajor) {
        float[] values = new float[length(rows, cols)];
        for (int r = 0; r < rows; r++) {
            putRow(values, cols, r, rowMajor, r * cols);
        }
        return new F32Panels(rows, cols, values, 0);
    }

    /** Writes row {@code row} of a {@code cols}-column panel layout from {@code src[srcOffset ..]}. */
    static void putRow(float[] values, int cols, int row, float[] src, int srcOffset) {
        int at = index(row, 0, cols);
        for (int c = 0; c < cols; c++) {
            values[at + c * HEIGHT] = src[srcOffset + c];
        }
    }

    /** A weight over {@code values}, already in the panel layout (at least {@link #length} floats); written by the caller. */
    static F32Panels over(int rows, int cols, float[] values) {
        if (values.length < length(rows, cols)) {
            throw new IllegalArgumentException("a panel layout of [" + rows + ", " + cols + "] needs " + length(rows, cols)
                    + " floats, got " + values.length);
        }
        return new F32Panels(rows, cols, values, 0);
    }

    /** Where value {@code [r, c]} of a {@code cols}-column panel layout is (its column steps by {@link #HEIGHT}). */
    static int index(int r, int c, int cols) {
        return r / HEIGHT * HEIGHT * cols + c * HEIGHT + r % HEIGHT;
    }

    /** Rows {@code [first, first + count)} sharing the values; {@code first} a multiple of {@link #HEIGHT}. */
    F32Panels rows(int first, int count) {
        return new F32Panels(count, cols, values, firstPanel + first / HEIGHT);
    }

    float get(int row, int col) {
        return values[firstPanel * HEIGHT * cols + index(row, col, cols)];
    }

    /** {@code W[row, :] · x[xo ..]}: the chain the tiles compute for this output, bitwise. */
    float dot(int row, float[] x, int xo) {
        float acc = 0f;
        for (int c = 0; c < cols; c++) {
            acc = Math.fma(get(row, c), x[xo + c], acc);
        }
        return acc;
    }

    /**
     * Rows {@code [rowStart, rowEnd)} for {@code tokens} activation rows (one token included): a
     * panel only partly in range goes through a scratch tile, and its rows in range are copied out.
     */
    void matmul(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens, int rowStart, int rowEnd) {
        float[] scratch = null;
        for (int p0 = rowStart / HEIGHT * HEIGHT; p0 < rowEnd; p0 += HEIGHT) {
            int at = (firstPanel + p0 / HEIGHT) * HEIGHT * cols;
            if (p0 >= rowStart && p0 + HEIGHT <= rowEnd) {
                InterleavedBlocks.tiles(values, at, cols, x, xOffset, xStride, out, outOffset + p0, outStride, tokens, true);
                continue;
            }
            if (scratch == null) {
                scratch = KernelScratch.current().tile(tokens * HEIGHT);
            }
            InterleavedBlocks.tiles(values, at, cols, x, xOffset, xStride, scratch, 0, HEIGHT, tokens, true);
            int from = Math.max(rowStart, p0);
            int to = Math.min(rowEnd, p0 + HEIGHT);
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(scratch, t * HEIGHT + from - p0, out, outOffset + t * outStride + from, to - from);
            }
        }
    }
}
