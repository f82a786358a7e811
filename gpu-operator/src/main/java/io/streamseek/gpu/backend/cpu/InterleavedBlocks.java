package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;

/**
 * A GGUF block-quantized weight repacked at load time with its rows interleaved in groups of
 * {@value #GROUP}: for each column, the quants of a group's 16 rows side by side, so that one vector
 * load gives one column of 8 or 16 rows, widened to f32 in one instruction, scaled by a vector of
 * the rows' scales and multiplied by one broadcast activation. An output is then a single FMA chain
 * over the columns in one vector lane: no lane reduction at the end (which cost as much as the
 * products on 128-column rows), one sequential stream of quants per group, and batched products that
 * decode a panel of weights once ({@link GroupPanel}) and run it through register tiles of broadcast
 * FMAs ({@link PanelTile}), the shape of a BLAS kernel. Decode ({@link GroupDot}) computes the same
 * chain from the quants directly, so results do not depend on the number of tokens, and — the lane
 * width only decides how many rows share a vector — not on AVX2 or AVX-512 either.
 *
 * <p>Scales: for Q8_0, Q4_0 and Q5_0, per group and per 32 columns, the 16 rows' f32 {@code d} in
 * {@link #scales}. The K-quants keep their two levels: per 256-column super-block the 16 rows' f32
 * {@code d} (Q4_K/Q5_K also {@code −dmin}) in {@link #scales}, and each sub-block's integer
 * {@code sc} (and {@code m}) as int8 in the group's bytes, 16 per sub-block, in the first 256 bytes of
 * the super-block, before its quants; a kernel widens them and multiplies by {@code d} once per
 * sub-block. Held as f32 {@code d·sc} (and {@code −dmin·m}) instead, the scales were a quarter of
 * the bytes of a Q4_K weight in memory (a Q4_K_M file took 36 % more than on disk, now 18 %); decode
 * speed is the same either way (measured interleaved: it is bound by the arithmetic per weight, not
 * by the bytes read). Quants per group, in column order (for the K-quants, within their super-block):
 * <pre>
 * Q8_0, Q6_K, Q5_0  16 bytes per column: int8 q (Q6_K: q − 32, Q5_0: q − 16)  w = d·q
 * Q4_0, Q4_K        16 bytes per two columns: low nibble c, high nibble c + 1  w = d·(q − 8) | d·sc·q − dmin·m
 * Q5_K              per 32 columns, Q4's 256 bytes of nibbles, then 64 bytes of fifth bits
 *                   (bit c % 8 of a row's byte in the (c / 8)-th 16 bytes)      w = d·sc·q − dmin·m
 * </pre>
 * Every scale is the f32 value ggml's {@code dequantize_row_*} computes first ({@code d·sc} of an
 * f16 and a 6- or 8-bit integer: exact), and {@code d·sc·q} is exact too, so {@link #get} and the
 * kernels reproduce ggml's weights bit for bit. Held bytes per row: Q8_0 36 per 32 values (34 in the
 * file), Q4_0 20 (18), Q5_0 36 (22), Q4_K 152 per 256 (144), Q5_K 184 (176), Q6_K 276 (210). Q6_K and Q5_0 are held as bytes because their bit
 * planes cost more to unpack than the bytes cost to read: as int8 they decode at Q8_0's speed
 * (Q5_0 2.2× its five-bit kernel's on 128-column rows, the expert down projections that a Q4_K_M
 * file stores as Q5_0), for 1.6× the memory of those tensors. Rows are padded to a multiple of
 * {@value #PAD}.
 *
 * <p>The vector kernels need 8 or 16 f32 lanes (AVX2, AVX-512); on other widths every output is the
 * scalar chain of {@link #dot}, the same values, slowly.
 */
final class InterleavedBlocks {

    /** Rows whose quants are interleaved. */
    static final int GROUP = 16;
    /** Rows are padded to this, a batched panel's height on AVX-512 (two row vectors); views start on it. */
    static final int PAD = 32;
    /** Rows a split between threads starts at a multiple of: a decode kernel's four row vectors on AVX-512. */
    static final int GRAIN = 64;
    private static final int L = GroupDot.L;
    /** Columns per panel: 16 KiB of f32 weights, which stay in L1 while every token's tile reads them. */
    private static final int PANEL_COLS = 2048 / Math.max(L, 1);
    /** Size of the panel a thread dequantizes into ({@link KernelScratch}). */
    static final int PANEL_FLOATS = PANEL_COLS * 2 * Math.max(L, 1);
    /** Columns of a K-quant super-block. */
    private static final int SUPER = 256;
    /** Bytes of a K-quant super-block's sub-block scales (and mins) per group, before its quants. */
    private static final int SUB_SCALE_BYTES = 256;

    private enum Kind { INT8, NIBBLE, FIVE_BIT }

    final Format format;
    final int rows;
    final int cols;
    private final Kind kind;
    private final boolean offsets;     // Q4_K, Q5_K: −dmin·m
    private final boolean superBlocks; // K-quants: sub-block scales as int8 beside the quants, d per 256 columns
    private final int shift;           // log2 of the columns per scale
    private final byte[] quants;
    private final float[] scales;
    private final int groupBase;       // this view's first group
    private final int quantStride;     // bytes per group
    private final int scaleStride;     // floats per group

    private InterleavedBlocks(Format format, int rows, int cols, byte[] quants, float[] scales, int groupBase) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.kind = switch (format) {
            case Q8_0, Q6_K, Q5_0 -> Kind.INT8;
            case Q4_0, Q4_K -> Kind.NIBBLE;
            case Q5_K -> Kind.FIVE_BIT;
            default -> throw new IllegalArgumentException(format + " is not a block format");
        };
        this.offsets = format == Format.Q4_K || format == Format.Q5_K;
        this.superBlocks = offsets || format == Format.Q6_K;
        this.shift = format == Format.Q6_K ? 4 : 5;
        this.quants = quants;
        this.scales = scales;
        this.groupBase = groupBase;
        this.quantStride = cols * quantBytesPerColumn(kind) + (superBlocks ? cols / SUPER * SUB_SCALE_BYTES : 0);
        this.scaleStride = (superBlocks ? cols / SUPER : cols >> shift) * GROUP * (offsets ? 2 : 1);
    }

    /** Bytes per group of one K-quant super-block: its sub-block scales, then its quants. */
    private int superBytes() {
        return SUB_SCALE_BYTES + SUPER * quantBytesPerColumn(kind);
    }

    /** Where the quants of column {@code c}'s super-block start within a group's bytes (0: no super-blocks). */
    private int quantPrefix(int c) {
        return superBlocks ? (c / SUPER) * superBytes() + SUB_SCALE_BYTES : 0;
    }

    /** Column {@code c} counted from the start of what {@link #quantPrefix} points at. */
    private int localColumn(int c) {
        return superBlocks ? c % SUPER : c;
    }

    private static int quantBytesPerColumn(Kind kind) {
        return switch (kind) {
            case INT8 -> GROUP;
            case NIBBLE -> GROUP / 2;
            case FIVE_BIT -> GROUP * 5 / 8;
        };
    }

    /** Bytes a {@code [rows, cols]} weight of {@code format} takes once repacked: what the loader sizes the heap by. */
    static long heldBytes(Format format, long rows, long cols) {
        return new InterleavedBlocks(format, Math.toIntExact(rows), Math.toIntExact(cols), null, null, 0).bytes();
    }

    /**
     * Repacks {@code rows × cols / blockSize} ggml blocks, row-major, at {@code a[0 ..]}. Groups are
     * independent (each writes its own bytes and scales), so they are repacked in parallel: loading
     * a 16B model is mostly this copy.
     */
    static InterleavedBlocks repack(Format format, int rows, int cols, byte[] a) {
        int padded = (rows + PAD - 1) / PAD * PAD;
        int groups = padded / GROUP;
        InterleavedBlocks layout = new InterleavedBlocks(format, rows, cols, null, null, 0);
        byte[] quants = new byte[Math.multiplyExact(groups, layout.quantStride)];
        float[] scales = new float[Math.multiplyExact(groups, layout.scaleStride)];
        java.util.stream.IntStream.range(0, (rows + GROUP - 1) / GROUP).parallel()
                .forEach(g -> layout.repackGroup(g, a, quants, scales));
        return new InterleavedBlocks(format, rows, cols, quants, scales, 0);
    }

    private void repackGroup(int g, byte[] a, byte[] quants, float[] scales) {
        int size = format.blockSize();
        int[] q = new int[size];
        float[] scale = new float[1];
        float[] offset = new float[1];
        int[] subScale = new int[16];
        int[] subMin = new int[16];
        int subs = size >> shift; // K-quants: 8 or 16; the others: 1
        for (int r = 0; r < GROUP && g * GROUP + r < rows; r++) {
            int row = g * GROUP + r;
            int qg = g * quantStride + r;
            int sg = g * scaleStride + r;
            for (int b = 0; b < cols / size; b++) {
                decode(format, a, (row * (cols / size) + b) * format.bytesPerBlock(), q, scale, offset, subScale, subMin);
                int c0 = b * size;
                int qp = qg + quantPrefix(c0);
                int cl0 = localColumn(c0);
                switch (kind) {
                    case INT8 -> {
                        for (int i = 0; i < size; i++) {
                            quants[qp + (cl0 + i) * GROUP] = (byte) q[i];
                        }
                    }
                    case NIBBLE -> {
                        for (int i = 0; i < size; i += 2) {
                            quants[qp + ((cl0 + i) >> 1) * GROUP] = (byte) (q[i] | q[i + 1] << 4);
                        }
                    }
                    case FIVE_BIT -> {
                        for (int i = 0; i < size; i++) {
                            int c = cl0 + i;
                            int base = qp + (c >> 5) * 20 * GROUP;
                            int cc = c & 31;
                            quants[base + (cc >> 1) * GROUP] |= (byte) ((q[i] & 15) << ((cc & 1) * 4));
                            quants[base + 16 * GROUP + (cc >> 3) * GROUP] |= (byte) ((q[i] >> 4 & 1) << (cc & 7));
                        }
                    }
                }
                if (superBlocks) {
                    int si = sg + b * GROUP * (offsets ? 2 : 1);
                    scales[si] = scale[0];
                    if (offsets) {
                        scales[si + GROUP] = offset[0];
                    }
                    int sq = qg + b * superBytes();
                    for (int j = 0; j < subs; j++) {
                        quants[sq + j * GROUP] = (byte) subScale[j];
                        if (offsets) {
                            quants[sq + (subs + j) * GROUP] = (byte) subMin[j];
                        }
                    }
                } else {
                    scales[sg + (c0 >> shift) * GROUP] = scale[0];
                }
            }
        }
    }

    /**
     * The block at {@code a[o ..]}: its values as this layout stores them ({@code q}: Q4_0 the
     * unsigned nibble, Q5_0 {@code q − 16}, Q6_K {@code q − 32}, Q5_K the unsigned five bits); for
     * Q8_0/Q4_0/Q5_0 its scale {@code d}; for the K-quants {@code d} (and {@code −dmin}) in
     * {@code scale[0]} ({@code offset[0]}) and each sub-block's integer {@code sc} (and {@code m}).
     */
    private static void decode(Format format, byte[] a, int o, int[] q, float[] scale, float[] offset, int[] subScale, int[] subMin) {
        switch (format) {
            case Q8_0 -> {
                scale[0] = BlockFormats.f16(a, o);
                for (int i = 0; i < 32; i++) {
                    q[i] = a[o + 2 + i];
                }
            }
            case Q4_0 -> {
                scale[0] = BlockFormats.f16(a, o);
                for (int i = 0; i < 32; i++) {
                    q[i] = (a[o + 2 + i % 16] & 0xff) >>> (i / 16 * 4) & 15;
                }
            }
            case Q5_0 -> {
                scale[0] = BlockFormats.f16(a, o);
                int qh = BlockFormats.int32(a, o + 2);
                for (int i = 0; i < 32; i++) {
                    q[i] = (((a[o + 6 + i % 16] & 0xff) >>> (i / 16 * 4) & 15) | (qh >>> i & 1) << 4) - 16;
                }
            }
            case Q4_K, Q5_K -> {
                scale[0] = BlockFormats.f16(a, o);
                offset[0] = -BlockFormats.f16(a, o + 2);
                for (int j = 0; j < 8; j++) {
                    subScale[j] = BlockFormats.scale(a, o + 4, j);
                    subMin[j] = BlockFormats.min(a, o + 4, j);
                }
                int qs = format == Format.Q4_K ? o + 16 : o + 48;
                for (int i = 0; i < 256; i++) {
                    int nibble = (a[qs + i / 64 * 32 + i % 32] & 0xff) >>> (i / 32 % 2 * 4) & 15;
                    q[i] = format == Format.Q4_K ? nibble : nibble | ((a[o + 16 + i % 32] & 0xff) >>> (i / 32) & 1) << 4;
                }
            }
            case Q6_K -> {
                scale[0] = BlockFormats.f16(a, o + 208);
                for (int j = 0; j < 16; j++) {
                    subScale[j] = a[o + 192 + j];
                }
                for (int i = 0; i < 256; i++) {
                    int h = i / 128;
                    int j = i % 128;
                    int low = (a[o + 64 * h + j % 64] & 0xff) >>> (j / 64 * 4) & 15;
                    int high = (a[o + 128 + 32 * h + j % 32] & 0xff) >>> (j / 32 * 2) & 3;
                    q[i] = (low | high << 4) - 32;
                }
            }
            default -> throw new IllegalArgumentException(format + " is not a block format");
        }
    }

    /** Rows {@code [first, first + count)}, sharing this weight's arrays; {@code first} a multiple of {@value #PAD}. */
    InterleavedBlocks rows(int first, int count) {
        return new InterleavedBlocks(format, count, cols, quants, scales, groupBase + first / GROUP);
    }

    /** Bytes a matrix-vector product reads: the quants and f32 scales of every group, padding included. */
    long bytes() {
        long groups = (rows + PAD - 1) / PAD * PAD / GROUP;
        return groups * (quantStride + 4L * scaleStride);
    }

    /** Weight {@code [row, col]} as ggml dequantizes it (see the class comment for why it is exact). */
    float get(int row, int col) {
        int g = groupBase + row / GROUP;
        int q = g * quantStride + row % GROUP;
        float d;
        float offset = 0f;
        if (superBlocks) {
            int sd = g * scaleStride + row % GROUP + col / SUPER * GROUP * (offsets ? 2 : 1);
            int sq = q + col / SUPER * superBytes() + (col % SUPER >> shift) * GROUP;
            d = quants[sq] * scales[sd];
            if (offsets) {
                offset = quants[sq + (SUPER >> shift) * GROUP] * scales[sd + GROUP];
            }
        } else {
            d = scales[g * scaleStride + row % GROUP + (col >> shift) * GROUP];
        }
        int p = q + quantPrefix(col);
        int c = localColumn(col);
        int v = switch (kind) {
            case INT8 -> quants[p + c * GROUP];
            case NIBBLE -> (quants[p + (c >> 1) * GROUP] & 0xff) >>> ((c & 1) * 4) & 15;
            case FIVE_BIT -> {
                int base = p + (c >> 5) * 20 * GROUP;
                int cc = c & 31;
                int low = (quants[base + (cc >> 1) * GROUP] & 0xff) >>> ((cc & 1) * 4) & 15;
                yield low | ((quants[base + 16 * GROUP + (cc >> 3) * GROUP] & 0xff) >>> (cc & 7) & 1) << 4;
            }
        };
        if (offsets) {
            return (float) v * d + offset;
        }
        int zero = format == Format.Q4_0 ? 8 : 0;
        return (float) (v - zero) * d;
    }

    /** {@code W[row, :] · x[xo ..]}: the chain every kernel computes for this output, bitwise. */
    float dot(int row, float[] x, int xo) {
        float acc = 0f;
        for (int c = 0; c < cols; c++) {
            acc = Math.fma(get(row, c), x[xo + c], acc);
        }
        return acc;
    }

    /**
     * One token, rows {@code [rowStart, rowEnd)}: four row vectors at a time for the int8 formats,
     * two for the nibble ones (see {@link GroupDot}), a short last group repeating its last one
     * (computed twice, written twice: the same values); a row vector only partly in range is
     * computed into a scratch tile and its rows in range copied out, so nothing is written outside
     * the range (another thread's rows).
     */
    void matvec(float[] x, int xo, float[] out, int oo, int rowStart, int rowEnd) {
        if (!GroupDot.VECTOR) {
            for (int r = rowStart; r < rowEnd; r++) {
                out[oo + r] = dot(r, x, xo);
            }
            return;
        }
        int width = kind == Kind.FIVE_BIT ? 2 : 4;
        int whole0 = (rowStart + L - 1) / L;
        int whole1 = rowEnd / L;
        for (int rv = whole0; rv < whole1; rv += width) {
            int last = Math.min(width, whole1 - rv) - 1; // a short last group repeats its last row vector
            decode(rv, rv + Math.min(1, last), rv + Math.min(2, last), rv + last, x, xo, out, oo + rv * L);
        }
        float[] tile = KernelScratch.current().tile(4 * L);
        for (int v = rowStart / L; v * L < rowEnd; v++) {
            if (v >= whole0 && v < whole1) {
                continue;
            }
            decode(v, v, v, v, x, xo, tile, 0);
            int from = Math.max(rowStart, v * L);
            int to = Math.min(rowEnd, v * L + L);
            System.arraycopy(tile, from - v * L, out, oo + from, to - from);
        }
    }

    /**
     * Row vectors {@code v0 .. v3} (the nibble kernels take {@code v0}, {@code v1}) into
     * {@code out[o ..]}, one after the other; a repeated row vector is computed twice, the same.
     */
    private void decode(int v0, int v1, int v2, int v3, float[] x, int xo, float[] out, int o) {
        int q0 = quantBase(v0), q1 = quantBase(v1), q2 = quantBase(v2), q3 = quantBase(v3);
        int s0 = scaleBase(v0), s1 = scaleBase(v1), s2 = scaleBase(v2), s3 = scaleBase(v3);
        int o1 = o + (v1 - v0) * L, o2 = o + (v2 - v0) * L, o3 = o + (v3 - v0) * L;
        switch (format) {
            case Q8_0, Q5_0 -> GroupDot.q8_0(quants, q0, q1, q2, q3, scales, s0, s1, s2, s3, x, xo, cols, out, o, o1, o2, o3);
            case Q6_K -> GroupDot.q6K(quants, q0, q1, q2, q3, scales, s0, s1, s2, s3, x, xo, cols, out, o, o1, o2, o3);
            case Q4_0 -> GroupDot.q4_0(quants, q0, q1, q2, q3, scales, s0, s1, s2, s3, x, xo, cols, out, o, o1, o2, o3);
            case Q4_K -> GroupDot.q4K(quants, q0, q1, q2, q3, scales, s0, s1, s2, s3, x, xo, cols, out, o, o1, o2, o3);
            case Q5_K -> GroupDot.q5K(quants, q0, q1, scales, s0, s1, x, xo, cols, out, o, o1);
            default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
        }
    }

    /**
     * Rows {@code [rowStart, rowEnd)} for {@code tokens} activation rows (one token: {@link #matvec}).
     * Panels of two row vectors are dequantized {@value #PANEL_COLS} columns at a time
     * ({@link GroupPanel}) and multiplied into every token by {@link PanelTile}; a panel only partly in
     * range goes through a scratch tile, as in {@link #matvec}.
     */
    void matmul(float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens,
                int rowStart, int rowEnd) {
        if (tokens == 1) {
            matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        if (!GroupDot.VECTOR) {
            for (int t = 0; t < tokens; t++) {
                for (int r = rowStart; r < rowEnd; r++) {
                    out[outOffset + t * outStride + r] = dot(r, x, xOffset + t * xStride);
                }
            }
            return;
        }
        int height = 2 * L;
        KernelScratch scratch = KernelScratch.current();
        float[] panel = scratch.panel;
        for (int p0 = rowStart / height * height; p0 < rowEnd; p0 += height) {
            boolean whole = p0 >= rowStart && p0 + height <= rowEnd;
            float[] dst = whole ? out : scratch.tile(tokens * height);
            int dstOffset = whole ? outOffset + p0 : 0;
            int dstStride = whole ? outStride : height;
            int va = p0 / L;
            int qa = quantBase(va), qb = quantBase(va + 1), sa = scaleBase(va), sb = scaleBase(va + 1);
            for (int k0 = 0; k0 < cols; k0 += PANEL_COLS) {
                int k1 = Math.min(cols, k0 + PANEL_COLS);
                switch (format) {
                    case Q8_0, Q5_0 -> GroupPanel.q8_0(quants, qa, qb, scales, sa, sb, k0, k1, panel);
                    case Q6_K -> GroupPanel.q6K(quants, qa, qb, scales, sa, sb, k0, k1, panel);
                    case Q4_0 -> GroupPanel.q4_0(quants, qa, qb, scales, sa, sb, k0, k1, panel);
                    case Q4_K -> GroupPanel.q4K(quants, qa, qb, scales, sa, sb, k0, k1, panel);
                    case Q5_K -> GroupPanel.q5K(quants, qa, qb, scales, sa, sb, k0, k1, panel);
                    default -> throw new IllegalStateException("unreachable: " + format + " is a block format");
                }
                tiles(panel, k1 - k0, x, xOffset + k0, xStride, dst, dstOffset, dstStride, tokens, k0 == 0);
            }
            if (!whole) {
                int from = Math.max(rowStart, p0);
                int to = Math.min(rowEnd, p0 + height);
                for (int t = 0; t < tokens; t++) {
                    System.arraycopy(dst, t * height + from - p0, out, outOffset + t * outStride + from, to - from);
                }
            }
        }
    }

    /** Every token through the widest tiles that fit: 6, then 4, 2, 1. */
    static void tiles(float[] panel, int n, float[] x, int x0, int xs, float[] out, int o, int os, int tokens, boolean first) {
        tiles(panel, 0, n, x, x0, xs, out, o, os, tokens, first);
    }

    /** As above, the panel at {@code panel[p0 ..]}. */
    static void tiles(float[] panel, int p0, int n, float[] x, int x0, int xs, float[] out, int o, int os, int tokens, boolean first) {
        int t = 0;
        for (; t + PanelTile.TOKENS <= tokens; t += PanelTile.TOKENS) {
            PanelTile.t6(panel, p0, n, x, x0 + t * xs, xs, out, o + t * os, os, first);
        }
        for (; t + 4 <= tokens; t += 4) {
            PanelTile.t4(panel, p0, n, x, x0 + t * xs, xs, out, o + t * os, os, first);
        }
        for (; t + 2 <= tokens; t += 2) {
            PanelTile.t2(panel, p0, n, x, x0 + t * xs, xs, out, o + t * os, os, first);
        }
        if (t < tokens) {
            PanelTile.t1(panel, p0, n, x, x0 + t * xs, xs, out, o + t * os, os, first);
        }
    }

    /** Quants of row vector {@code v} (rows {@code v·L ..} of this view). */
    private int quantBase(int v) {
        int row = v * L;
        return (groupBase + row / GROUP) * quantStride + row % GROUP;
    }

    private int scaleBase(int v) {
        int row = v * L;
        return (groupBase + row / GROUP) * scaleStride + row % GROUP;
    }
}
