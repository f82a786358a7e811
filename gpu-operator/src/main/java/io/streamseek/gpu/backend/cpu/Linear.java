package io.streamseek.gpu.backend.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A linear layer's weight {@code [rows = out_features, cols = in_features]} in its storage format,
 * held in a Java array ({@code float[]} for F32, {@code short[]} bit patterns for BF16/F16,
 * {@code byte[]} codes for E4M3; the GGUF quantized formats kept quantized, repacked at load by
 * {@link InterleavedBlocks}) and widened or dequantized to f32 inside the dot product. Arrays rather than the
 * memory-mapped file: see {@link VectorDot} for why. bf16 weights of up to {@value #PACKED_MAX_COLS}
 * columns are stored in column-major tiles instead of rows (see {@link #PACKED_MAX_COLS}).
 *
 * <p>Batch invariance: whatever the number of tokens, the tiling or the thread that computes it,
 * every output is produced by the same arithmetic as {@link #dot} for that row. FP8 E4M3 weights carry
 * DeepSeek-V3's {@code weight_scale_inv} {@code [ceil(rows/128), ceil(cols/128)]}: each 128×128 block
 * is multiplied by its scale and rounded to bf16, exactly as the official {@code weight_dequant} does.
 */
public final class Linear {

    /** How a bf16 weight is laid out in memory, and so which arithmetic computes its outputs. */
    public enum Layout {
        /** Row-major; an output is a dot product of vector lanes reduced at the end. */
        ROWS,
        /** Column-major tiles of 64 rows; an output is one chain of FMAs over the columns. */
        PACKED;

        /** The layout the loader picks for a weight with {@code cols} columns. */
        public static Layout forColumns(int cols) {
            return cols <= PACKED_MAX_COLS ? PACKED : ROWS;
        }
    }

    /**
     * Storage formats a weight can be read from. Element formats are blocks of one value; the GGUF
     * formats (Q8_0 … Q6_K, ggml's layouts, see {@link BlockFormats}) store each row as
     * {@code cols / blockSize} blocks of {@code bytesPerBlock} bytes.
     */
    public enum Format {
        F32(1, 4), BF16(1, 2), F16(1, 2), E4M3(1, 1),
        Q8_0(32, 34), Q4_0(32, 18), Q5_0(32, 22), Q4_K(256, 144), Q5_K(256, 176), Q6_K(256, 210);

        private final int blockSize;
        private final int bytesPerBlock;

        Format(int blockSize, int bytesPerBlock) {
            this.blockSize = blockSize;
            this.bytesPerBlock = bytesPerBlock;
        }

        /** Values per block: 1 for the element formats. */
        public int blockSize() {
            return blockSize;
        }

        public int bytesPerBlock() {
            return bytesPerBlock;
        }

        /** Whether values are stored in multi-value quantized blocks (the GGUF formats). */
        public boolean isBlockQuantized() {
            return blockSize > 1;
        }

        /**
         * Bytes of one row of {@code cols} values: how a loader slices a stacked tensor (e.g. one
         * expert's {@code rows × rowBytes(cols)} bytes out of {@code ffn_gate_exps}).
         *
         * @throws IllegalArgumentException if {@code cols} is not a multiple of the block size
         */
        public long rowBytes(int cols) {
            if (cols % blockSize != 0) {
                throw new IllegalArgumentException("a " + this + " row of " + cols + " columns is not a whole number of "
                        + this + " blocks of " + blockSize + " values");
            }
            return (long) cols / blockSize * bytesPerBlock;
        }
    }

    static final int SCALE_BLOCK = 128;

    /**
     * Bytes of weight rows a batched product works on at a time: a quarter of a 1 MiB L2. The first
     * group of four tokens pulls the block from memory; the next groups find it in L2, while each
     * group's activations (16 KiB at 1024 columns) stay in L1.
     */
    static final int BLOCK_BYTES = 256 * 1024;
    /**
     * bf16 weights with rows this short or shorter are packed column-major in tiles (see
     * {@link TileDot#PACKED_TILE}) and multiplied column-wise: no horizontal reduction (a row-dot
     * over 128 columns spends as long reducing as multiplying) and one sequential stream per tile.
     * On every weight shape of the bench preset, at 1 to 32 tokens, packed beats rows (up to 3x on
     * expert down_proj; {@code ./streamseek bench} prints the table). Up to 4096 columns a tile of
     * 64 rows (512 KiB) stays in L2 for the next group of tokens; longer rows (DeepSeek-V3's 7168)
     * keep the row layout until measured.
     */
    static final int PACKED_MAX_COLS = 4096;

    private final Format format;
    private final int rows;
    private final int cols;
    private final float[] floats;  // F32
    private final short[] halves;  // BF16, F16
    private final byte[] codes;    // E4M3 codes
    private final InterleavedBlocks blocks; // the GGUF block formats, repacked for the kernels
    private final F32Panels panels;        // F32 in panels of two vectors' rows (see f32Panels)
    private final int base;        // index of element [0, 0] in its array (byte offset for block formats): row views share the array
    private final boolean packed;  // BF16 in column-major tiles (short rows)
    private final float[] scales; // [ceil(rows/128), ceil(cols/128)], E4M3 only
    private final int scaleCols;

    private Linear(Format format, int rows, int cols, float[] floats, short[] halves, byte[] codes, int base, float[] scales) {
        this(format, rows, cols, floats, halves, codes, base, scales, false, null, null);
    }

    private Linear(Format format, int rows, int cols, float[] floats, short[] halves, byte[] codes, int base, float[] scales,
                   boolean packed, InterleavedBlocks blocks, F32Panels panels) {
        this.packed = packed;
        this.blocks = blocks;
        this.panels = panels;
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.floats = floats;
        this.halves = halves;
        this.codes = codes;
        this.base = base;
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

    /**
     * Copies a little-endian weight (a tensor of a memory-mapped checkpoint) into a Java array. For
     * a block format, {@code data} is {@code rows × cols / blockSize} ggml blocks, row-major, kept
     * quantized. A stacked tensor larger than a Java array (DeepSeek-V3's Q4_K experts are 2.1 GB)
     * is loaded one slice at a time: {@code of(format, rows, cols, data.slice(e * bytes, bytes))}
     * with {@code bytes = rows * format.rowBytes(cols)}; a smaller one may be loaded whole and split
     * with {@link #rows}.
     */
    public static Linear of(Format format, int rows, int cols, ByteBuffer data) {
        if (format == Format.E4M3) {
            throw new IllegalArgumentException("an E4M3 weight needs its block scales; use e4m3(...)");
        }
        if (format.isBlockQuantized()) {
            byte[] ggml = new byte[checkedBlockBytes(format, rows, cols, data)];
            data.duplicate().position(0).get(ggml);
            return new Linear(format, rows, cols, null, null, null, 0, null, false, InterleavedBlocks.repack(format, rows, cols, ggml), null);
        }
        int elements = checkedSize(format, rows, cols, data);
        ByteBuffer le = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0);
        if (format == Format.F32) {
            float[] values = new float[elements];
            le.asFloatBuffer().get(values);
            return new Linear(format, rows, cols, values, null, null, 0, null);
        }
        short[] bits = new short[elements];
        le.asShortBuffer().get(bits);
        return format == Format.BF16 ? bf16(rows, cols, bits, Layout.forColumns(cols)) : new Linear(format, rows, cols, null, bits, null, 0, null);
    }

    /** A bf16 weight from row-major bit patterns, in the given layout (benchmarks compare the two). */
    public static Linear bf16(int rows, int cols, short[] rowMajor, Layout layout) {
        if (rowMajor.length != rows * cols) {
            throw new IllegalArgumentException("a BF16 weight of [" + rows + ", " + cols + "] needs " + rows * cols
                    + " values, got " + rowMajor.length);
        }
        return layout == Layout.PACKED
                ? new Linear(Format.BF16, rows, cols, null, pack(rowMajor, rows, cols), null, 0, null, true, null, null)
                : new Linear(Format.BF16, rows, cols, null, rowMajor, null, 0, null);
    }

    /** Row-major to column-major tiles of {@link TileDot#PACKED_TILE} rows, the last tile padded with zeros. */
    private static short[] pack(short[] rowMajor, int rows, int cols) {
        int tile = TileDot.PACKED_TILE;
        short[] packed = new short[(rows + tile - 1) / tile * tile * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                packed[packedIndex(r, c, cols)] = rowMajor[r * cols + c];
            }
        }
        return packed;
    }

    private static int packedIndex(int row, int col, int cols) {
        int tile = TileDot.PACKED_TILE;
        return (row / tile * cols + col) * tile + row % tile;
    }

    public static Linear e4m3(int rows, int cols, ByteBuffer data, float[] scaleInv) {
        byte[] values = new byte[checkedSize(Format.E4M3, rows, cols, data)];
        data.duplicate().position(0).get(values);
        return new Linear(Format.E4M3, rows, cols, null, null, values, 0, scaleInv);
    }

    private static int checkedBlockBytes(Format format, int rows, int cols, ByteBuffer data) {
        if (cols % format.blockSize() != 0) {
            throw new IllegalArgumentException("a " + format + " weight of [" + rows + ", " + cols + "] must have a multiple of "
                    + format.blockSize() + " columns (the " + format + " block size); " + cols + " is not");
        }
        long bytes = rows * format.rowBytes(cols);
        if (data.capacity() != bytes) {
            throw new IllegalArgumentException("a " + format + " weight of [" + rows + ", " + cols + "] needs " + bytes + " bytes ("
                    + rows + " rows of " + cols / format.blockSize() + " blocks of " + format.bytesPerBlock() + " bytes), got "
                    + data.capacity());
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a " + format + " weight of [" + rows + ", " + cols + "] has " + bytes
                    + " bytes, more than a Java array holds (" + (Integer.MAX_VALUE - 8) + "); load it in slices of rows");
        }
        return (int) bytes;
    }

    private static int checkedSize(Format format, int rows, int cols, ByteBuffer data) {
        long elements = (long) rows * cols;
        if (data.capacity() != elements * format.bytesPerBlock()) {
            throw new IllegalArgumentException("a " + format + " weight of [" + rows + ", " + cols + "] needs "
                    + elements * format.bytesPerBlock() + " bytes, got " + data.capacity());
        }
        if (elements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a weight of [" + rows + ", " + cols + "] has more elements than a Java array holds ("
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        return (int) elements;
    }

    /** Rows {@code [first, first + count)} as a weight of their own, sharing this one's memory. */
    public Linear rows(int first, int count) {
        if (format == Format.E4M3 || packed || first < 0 || count < 1 || first + count > rows) {
            throw new IllegalArgumentException("cannot take rows [" + first + ", " + (first + count) + ") of a " + format
                    + " weight of " + rows + " rows");
        }
        if (panels != null) {
            if (first % F32Panels.HEIGHT != 0) {
                throw new IllegalArgumentException("cannot take rows [" + first + ", " + (first + count) + ") of a paneled F32 weight:"
                        + " a view starts at a multiple of " + F32Panels.HEIGHT);
            }
            return withPanels(panels.rows(first, count));
        }
        if (blocks != null) {
            if (first % InterleavedBlocks.PAD != 0) {
                throw new IllegalArgumentException("cannot take rows [" + first + ", " + (first + count) + ") of a " + format
                        + " weight: its rows are interleaved in groups, so a view starts at a multiple of " + InterleavedBlocks.PAD);
            }
            return new Linear(format, count, cols, null, null, null, 0, null, false, blocks.rows(first, count), null);
        }
        return new Linear(format, count, cols, floats, halves, codes, base + first * cols, null);
    }

    /**
     * An f32 weight stored in panels of {@code 2L} rows, column-major ({@link F32Panels}): its products
     * run the batched register tiles straight over the storage, about twice as fast as rows for the
     * attention's f32 matrices, each output one FMA chain over the columns in order.
     */
    public static Linear f32Panels(int rows, int cols, float[] rowMajor) {
        if (rowMajor.length != rows * cols) {
            throw new IllegalArgumentException("an F32 weight of [" + rows + ", " + cols + "] needs " + rows * cols
                    + " values, got " + rowMajor.length);
        }
        return withPanels(F32Panels.pack(rows, cols, rowMajor));
    }

    /**
     * An f32 weight over {@code values} in the panel layout of {@link #f32Panels} (at least
     * {@link #f32PanelLength} floats), which the caller writes a row at a time with
     * {@link #f32PanelRow}: e.g. a prefill chunk's gathered latents.
     */
    public static Linear f32PanelsOver(int rows, int cols, float[] values) {
        return withPanels(F32Panels.over(rows, cols, values));
    }

    public static int f32PanelLength(int rows, int cols) {
        return F32Panels.length(rows, cols);
    }

    /** Writes row {@code row} of a {@code cols}-column panel layout from {@code src[srcOffset ..]}. */
    public static void f32PanelRow(float[] values, int cols, int row, float[] src, int srcOffset) {
        F32Panels.putRow(values, cols, row, src, srcOffset);
    }

    private static Linear withPanels(F32Panels panels) {
        return new Linear(Format.F32, panels.rows, panels.cols, null, null, null, 0, null, false, null, panels);
    }

    /** A weight held as f32 values in memory (tests, small derived matrices); the array is used, not copied. */
    public static Linear ofFloats(int rows, int cols, float[] values) {
        if (values.length != rows * cols) {
            throw new IllegalArgumentException("an F32 weight of [" + rows + ", " + cols + "] needs " + rows * cols
                    + " values, got " + values.length);
        }
        return new Linear(Format.F32, rows, cols, values, null, null, 0, null);
    }

    /**
     * The multiple of rows a split of this weight between threads should start at: a block format's
     * batched panel and a decode kernel's four row vectors ({@value InterleavedBlocks#GRAIN} rows) are
     * then computed by one thread only, never split or repeated at a thread's boundary.
     */
    public int rowGrain() {
        return blocks != null ? InterleavedBlocks.GRAIN : panels != null ? F32Panels.HEIGHT : 1;
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

    /**
     * Bytes read by one full matrix-vector product: what decode speed is bound by. For a block
     * format, its repacked size (f32 scales: a few % to a third more than the GGUF blocks).
     */
    /** Bytes a {@code [rows, cols]} weight of {@code format} takes in memory once loaded ({@link #bytes} of it). */
    public static long heldBytes(Format format, long rows, long cols) {
        return format.isBlockQuantized() ? InterleavedBlocks.heldBytes(format, rows, cols) : rows * format.rowBytes((int) cols);
    }

    public long bytes() {
        if (blocks != null) {
            return blocks.bytes();
        }
        return rows * format.rowBytes(cols) + (scales == null ? 0 : 4L * scales.length);
    }

    /** {@code out[outOffset + r] = W[r, :] · x[xOffset ..]} for rows {@code [rowStart, rowEnd)}. */
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (panels != null) {
            panels.matmul(x, xOffset, 0, out, outOffset, 0, 1, rowStart, rowEnd);
            return;
        }
        if (packed) {
            matmulPacked(x, xOffset, 0, out, outOffset, 0, 1, rowStart, rowEnd);
            return;
        }
        if (blocks != null) {
            // Not through dot(): inlined there, the block kernels spend the C2 node budget of dot()'s
            // callers and VectorDot.f16's helper stops being inlined (F16 matvec measured 5x slower).
            blocks.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot(r, x, xOffset);
        }
    }

    /**
     * {@code out[outOffset + t·outStride + r] = W[r, :] · x[xOffset + t·xStride ..]} for rows
     * {@code [rowStart, rowEnd)} and {@code tokens} activation rows: a block of weight rows is
     * fetched from memory once and reused from cache for every group of four tokens. Every output
     * is bitwise the single-token {@link #dot}: tiling changes the loads, not a row's arithmetic.
     */
    public void matmul(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens, int rowStart, int rowEnd) {
        if (panels != null) {
            panels.matmul(x, xOffset, xStride, out, outOffset, outStride, tokens, rowStart, rowEnd);
            return;
        }
        if (packed) {
            matmulPacked(x, xOffset, xStride, out, outOffset, outStride, tokens, rowStart, rowEnd);
            return;
        }
        if (blocks != null) {
            blocks.matmul(x, xOffset, xStride, out, outOffset, outStride, tokens, rowStart, rowEnd);
            return;
        }
        if (tokens < 2 || (format != Format.F32 && format != Format.BF16)) {
            for (int r = rowStart; r < rowEnd; r++) {
                for (int t = 0; t < tokens; t++) {
                    out[outOffset + t * outStride + r] = dot(r, x, xOffset + t * xStride);
                }
            }
            return;
        }
        int rowBlock = Math.max(2, BLOCK_BYTES / (format.bytesPerBlock() * cols));
        for (int r0 = rowStart; r0 < rowEnd; r0 += rowBlock) {
            int r1 = Math.min(rowEnd, r0 + rowBlock);
            for (int t = 0; t < tokens; t += 4) {
                int group = Math.min(4, tokens - t);
                if (format == Format.BF16) {
                    matmulBf16(x, xOffset + t * xStride, xStride, out, outOffset + t * outStride, outStride, group, r0, r1);
                } else {
                    matmulF32(x, xOffset + t * xStride, xStride, out, outOffset + t * outStride, outStride, group, r0, r1);
                }
            }
        }
    }

    /**
     * Up to four tokens of an f32 weight (small derived matrices, read from cache): two adjacent rows
     * at a time. A short group repeats its last token (computed twice, written twice, same value)
     * rather than taking another code path.
     */
    private void matmulF32(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens,
                           int rowStart, int rowEnd) {
        int x0 = xOffset;
        int x1 = xOffset + Math.min(1, tokens - 1) * xStride;
        int x2 = xOffset + Math.min(2, tokens - 1) * xStride;
        int x3 = xOffset + Math.min(3, tokens - 1) * xStride;
        int o0 = outOffset;
        int o1 = outOffset + Math.min(1, tokens - 1) * outStride;
        int o2 = outOffset + Math.min(2, tokens - 1) * outStride;
        int o3 = outOffset + Math.min(3, tokens - 1) * outStride;
        int r = rowStart;
        for (; r + 1 < rowEnd; r += 2) {
            TileDot.f32x2x4(floats, base + r * cols, x, x0, x1, x2, x3, cols, out, o0 + r, o1 + r, o2 + r, o3 + r);
        }
        if (r < rowEnd) {
            TileDot.f32x4(floats, base + r * cols, x, x0, x1, x2, x3, cols, out, o0 + r, o1 + r, o2 + r, o3 + r);
        }
    }

    /**
     * Up to four tokens of a bf16 weight, widened in registers: rows {@code r} and {@code r + half}
     * together (see {@link TileDot#bf16x2x4} for why not adjacent rows).
     */
    private void matmulBf16(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens,
                                       int rowStart, int rowEnd) {
        int half = (rowEnd - rowStart) / 2;
        for (int r = rowStart; r < rowStart + half; r++) {
            int w = base + r * cols;
            int v = w + half * cols;
            int o = outOffset + r;
            int xt = xOffset;
            switch (tokens) {
                case 4 -> TileDot.bf16x2x4(halves, w, v, x, xt, xt + xStride, xt + 2 * xStride, xt + 3 * xStride, cols,
                        out, o, o + outStride, o + 2 * outStride, o + 3 * outStride, half);
                case 3 -> TileDot.bf16x2x3(halves, w, v, x, xt, xt + xStride, xt + 2 * xStride, cols,
                        out, o, o + outStride, o + 2 * outStride, half);
                case 2 -> TileDot.bf16x2x2(halves, w, v, x, xt, xt + xStride, cols, out, o, o + outStride, half);
                case 1 -> {
                    out[o] = VectorDot.bf16(halves, w, x, xt, cols);
                    out[o + half] = VectorDot.bf16(halves, v, x, xt, cols);
                }
                default -> throw new IllegalArgumentException("a group has 1 to 4 tokens, not " + tokens);
            }
        }
        if ((rowEnd - rowStart) % 2 != 0) {
            int r = rowEnd - 1;
            for (int t = 0; t < tokens; t++) {
                out[outOffset + t * outStride + r] = VectorDot.bf16(halves, base + r * cols, x, xOffset + t * xStride, cols);
            }
        }
    }

    /**
     * A packed weight's rows for up to four tokens at a time: every tile overlapping the range is
     * computed whole and its rows in range copied out (a tile split between two threads is computed
     * by both, identically).
     */
    private void matmulPacked(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens,
                              int rowStart, int rowEnd) {
        int tile = TileDot.PACKED_TILE;
        float[] tileOut = KernelScratch.current().packedTile;
        int first = rowStart / tile * tile;
        if (tokens == 1) {
            for (; first + tile < rowEnd; first += 2 * tile) {
                TileDot.packedBf16x1x2(halves, first * cols, (first + tile) * cols, cols, x, xOffset, tileOut, 0, tile);
                int from = Math.max(rowStart, first);
                int to = Math.min(rowEnd, first + 2 * tile);
                System.arraycopy(tileOut, from - first, out, outOffset + from, to - from);
            }
        }
        for (; first < rowEnd; first += tile) {
            int p = first * cols;
            int from = Math.max(rowStart, first);
            int to = Math.min(rowEnd, first + tile);
            for (int t = 0; t < tokens; t += 4) {
                int xt = xOffset + t * xStride;
                int group = Math.min(4, tokens - t);
                switch (group) {
                    case 4 -> TileDot.packedBf16x4(halves, p, cols, x, xt, xt + xStride, xt + 2 * xStride, xt + 3 * xStride,
                            tileOut, 0, tile, 2 * tile, 3 * tile);
                    case 3 -> TileDot.packedBf16x3(halves, p, cols, x, xt, xt + xStride, xt + 2 * xStride, tileOut, 0, tile, 2 * tile);
                    case 2 -> TileDot.packedBf16x2(halves, p, cols, x, xt, xt + xStride, tileOut, 0, tile);
                    default -> TileDot.packedBf16x1(halves, p, cols, x, xt, tileOut, 0);
                }
                for (int g = 0; g < group; g++) {
                    System.arraycopy(tileOut, g * tile + from - first, out, outOffset + (t + g) * outStride + from, to - from);
                }
            }
        }
    }

    /**
     * One output row: the fixed-order dot product every batch shape uses. For a packed weight, the
     * column-wise chain of fused multiply-adds its tile kernels compute, one lane per row.
     */
    public float dot(int row, float[] x, int xOffset) {
        if (panels != null) {
            return panels.dot(row, x, xOffset);
        }
        if (packed) {
            float acc = 0f;
            for (int k = 0; k < cols; k++) {
                acc = Math.fma(ScalarDot.bf16ToFloat(halves[packedIndex(row, k, cols)]), x[xOffset + k], acc);
            }
            return acc;
        }
        int rowOffset = base + row * cols;
        return switch (format) {
            case F32 -> VectorDot.f32(floats, rowOffset, x, xOffset, cols);
            case BF16 -> VectorDot.bf16(halves, rowOffset, x, xOffset, cols);
            case F16 -> VectorDot.f16(halves, rowOffset, x, xOffset, cols);
            case E4M3 -> e4m3Dot(row, rowOffset, x, xOffset);
            case Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K -> blocks.dot(row, x, xOffset);
        };
    }

    private float e4m3Dot(int row, int rowOffset, float[] x, int xOffset) {
        int scaleRow = row / SCALE_BLOCK * scaleCols;
        float sum = 0f;
        for (int block = 0; block < scaleCols; block++) {
            int start = block * SCALE_BLOCK;
            int n = Math.min(SCALE_BLOCK, cols - start);
            sum += VectorDot.e4m3(codes, rowOffset + start, x, xOffset + start, n, scales[scaleRow + block]);
        }
        return sum;
    }

    /*
     * Row-major copies of the stored values, for a device backend to upload: whatever this JVM's
     * layout (packed tiles, a row view of a larger weight), the device gets [rows, cols] row-major.
     */

    /** An F32 weight's values, or an F16 weight's widened exactly to f32 (devices read no F16). */
    public float[] f32RowMajor() {
        if (format != Format.F32 && format != Format.F16) {
            throw new IllegalStateException("a " + format + " weight has no f32 values; use its own format's copy");
        }
        float[] values = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                values[r * cols + c] = get(r, c);
            }
        }
        return values;
    }

    /** A BF16 weight's bit patterns. */
    public short[] bf16RowMajor() {
        if (format != Format.BF16) {
            throw new IllegalStateException("a " + format + " weight has no bf16 bit patterns");
        }
        short[] bits = new short[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                bits[r * cols + c] = halves[packed ? packedIndex(r, c, cols) : base + r * cols + c];
            }
        }
        return bits;
    }

    /** An E4M3 weight's codes (its block scales: {@link #e4m3BlockScales}). */
    public byte[] e4m3Codes() {
        if (format != Format.E4M3) {
            throw new IllegalStateException("a " + format + " weight has no E4M3 codes");
        }
        return java.util.Arrays.copyOfRange(codes, base, base + rows * cols);
    }

    /** An E4M3 weight's {@code weight_scale_inv} {@code [ceil(rows/128), ceil(cols/128)]}. */
    public float[] e4m3BlockScales() {
        if (format != Format.E4M3) {
            throw new IllegalStateException("a " + format + " weight has no block scales");
        }
        return scales.clone();
    }

    /** Copies row {@code row} as f32 into {@code out[outOffset ..]}: an embedding lookup. */
    public void copyRow(int row, float[] out, int outOffset) {
        if (blocks != null) {
            for (int c = 0; c < cols; c++) {
                out[outOffset + c] = blocks.get(row, c);
            }
            return;
        }
        for (int c = 0; c < cols; c++) {
            out[outOffset + c] = get(row, c);
        }
    }

    /** The reference value of one weight in f32, dequantised as the official code (or ggml) does. */
    public float get(int row, int col) {
        if (blocks != null) {
            return blocks.get(row, col);
        }
        if (panels != null) {
            return panels.get(row, col);
        }
        int index = packed ? packedIndex(row, col, cols) : base + row * cols + col;
        return switch (format) {
            case F32 -> floats[index];
            case BF16 -> ScalarDot.bf16ToFloat(halves[index]);
            case F16 -> ScalarDot.f16ToFloat(halves[index]);
            case E4M3 -> ScalarDot.dequantE4m3(codes[index], scales[row / SCALE_BLOCK * scaleCols + col / SCALE_BLOCK]);
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        };
    }
}
