package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;
import io.streamseek.gpu.quantize.BlockQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The block formats' vector kernels against their scalar twin, batch invariance of
 * {@link Linear#matmul}, row views, and the errors {@link Linear#of} gives for a bad shape.
 */
class BlockDotTest {

    static final String BLOCK_FORMATS = "Q8_0|Q4_0|Q5_0|Q4_K|Q5_K|Q6_K";

    /**
     * The vector dot sums in another order than the scalar twin (two accumulators of L lanes, then
     * a tree): each is within γ_n·Σ|w·x| of the exact sum (γ_n ≈ n·2^-24), so they differ by at most
     * twice that; the weights themselves are bit-identical (see BlockFormatsGoldenTest).
     */
    @ParameterizedTest
    @EnumSource(value = Format.class, mode = EnumSource.Mode.MATCH_ANY, names = BLOCK_FORMATS)
    void vectorDotMatchesScalarTwin(Format format) {
        SplittableRandom random = new SplittableRandom(format.ordinal());
        for (int blocks : new int[] {1, 2, 3, 7, 16}) {
            int cols = blocks * format.blockSize();
            byte[] row = randomBlocks(format, 1, cols, random);
            float[] x = gaussian(random, cols + 5);
            float vector = Linear.of(format, 1, cols, ByteBuffer.wrap(row)).dot(0, x, 0);
            float scalar = BlockFormats.dot(format, row, 0, x, 0, cols);
            double magnitude = 0;
            for (int c = 0; c < cols; c++) {
                magnitude += Math.abs(BlockFormats.dequantize(format, row, c / format.blockSize() * format.bytesPerBlock(),
                        c % format.blockSize()) * x[c]);
            }
            assertThat((double) vector).as("%s, %d columns", format, cols).isCloseTo(scalar, org.assertj.core.data.Offset.offset(
                    2 * cols * 0x1p-24 * magnitude + Float.MIN_NORMAL));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, mode = EnumSource.Mode.MATCH_ANY, names = BLOCK_FORMATS + "|F16")
    void matmulOfAnyNumberOfTokensIsBitwiseTheSingleTokenDot(Format format) {
        SplittableRandom random = new SplittableRandom(10 + format.ordinal());
        int rows = 37;
        int cols = format.blockSize() == 256 ? 768 : format.blockSize() == 32 ? 160 : 200;
        Linear w = Linear.of(format, rows, cols, ByteBuffer.wrap(randomBlocks(format, rows, cols, random)));
        int xStride = cols + 3;
        for (int tokens = 1; tokens <= 9; tokens++) {
            float[] x = gaussian(random, 7 + tokens * xStride);
            int outStride = rows + 2;
            float[] out = new float[1 + tokens * outStride];
            w.matmul(x, 7, xStride, out, 1, outStride, tokens, 0, 20);
            w.matmul(x, 7, xStride, out, 1, outStride, tokens, 20, rows);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    assertThat(out[1 + t * outStride + r]).as("%s, %d tokens, token %d row %d", format, tokens, t, r)
                            .isEqualTo(w.dot(r, x, 7 + t * xStride));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, mode = EnumSource.Mode.MATCH_ANY, names = BLOCK_FORMATS)
    void rowViewsShareTheGroupsOfWholeRows(Format format) {
        SplittableRandom random = new SplittableRandom(20 + format.ordinal());
        int cols = 2 * format.blockSize();
        Linear w = Linear.of(format, 100, cols, ByteBuffer.wrap(randomBlocks(format, 100, cols, random)));
        Linear view = w.rows(32, 36);
        assertThat(view.rows()).isEqualTo(36);
        assertThat(view.bytes()).isEqualTo(w.bytes() / 2); // 36 rows padded to 64 of the 128 held
        float[] x = gaussian(random, 4 * cols);
        float[] out = new float[4 * 36];
        view.matmul(x, 0, cols, out, 0, 36, 4, 0, 36);
        float[] row = new float[cols];
        for (int r = 0; r < 36; r++) {
            view.copyRow(r, row, 0);
            for (int c = 0; c < cols; c++) {
                assertThat(view.get(r, c)).isEqualTo(w.get(32 + r, c)).isEqualTo(row[c]);
            }
            for (int t = 0; t < 4; t++) {
                assertThat(out[t * 36 + r]).isEqualTo(w.dot(32 + r, x, t * cols));
            }
        }
        assertThatThrownBy(() -> w.rows(90, 11)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot take rows [90, 101) of a " + format + " weight of 100 rows");
        assertThatThrownBy(() -> w.rows(16, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot take rows [16, 24) of a " + format + " weight: its rows are interleaved in groups, so a view starts"
                        + " at a multiple of 32");
    }

    /** F32 in panels: values kept, every batch size and row split bitwise the one-output chain, row views and rows written in place. */
    @Test
    void paneledF32IsBitwiseTheDotForAnyTokensAndRowSplit() {
        SplittableRandom random = new SplittableRandom(30);
        int rows = 45;
        int cols = 70;
        float[] values = gaussian(random, rows * cols);
        Linear w = Linear.f32Panels(rows, cols, values);
        float[] written = new float[Linear.f32PanelLength(rows, cols)];
        for (int r = 0; r < rows; r++) {
            Linear.f32PanelRow(written, cols, r, values, r * cols);
        }
        Linear over = Linear.f32PanelsOver(rows, cols, written);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertThat(w.get(r, c)).isEqualTo(values[r * cols + c]).isEqualTo(over.get(r, c));
            }
        }
        for (int tokens = 1; tokens <= 9; tokens++) {
            float[] x = gaussian(random, tokens * cols);
            float[] out = new float[tokens * rows];
            w.matmul(x, 0, cols, out, 0, rows, tokens, 0, 13);
            w.matmul(x, 0, cols, out, 0, rows, tokens, 13, rows);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    float expected = 0f;
                    for (int c = 0; c < cols; c++) {
                        expected = Math.fma(values[r * cols + c], x[t * cols + c], expected);
                    }
                    assertThat(out[t * rows + r]).as("%d tokens, token %d row %d", tokens, t, r).isEqualTo(expected)
                            .isEqualTo(w.dot(r, x, t * cols));
                }
            }
        }
        int grain = w.rowGrain();
        Linear view = w.rows(grain, rows - grain);
        assertThat(view.get(3, 5)).isEqualTo(values[(grain + 3) * cols + 5]);
        assertThatThrownBy(() -> w.rows(1, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot take rows [1, 5) of a paneled F32 weight: a view starts at a multiple of " + grain);
    }

    /**
     * The repacked sizes: quants plus f32 scales (K-quants: int8 sub-block scales and mins plus f32
     * d and −dmin per 256 columns), rows padded to 32, see InterleavedBlocks.
     */
    @Test
    void bytesCountsTheRepackedBlocks() {
        assertThat(Linear.of(Format.Q4_K, 32, 512, ByteBuffer.allocate(32 * 2 * 144)).bytes()).isEqualTo(32 * 2 * (128 + 16 + 8));
        assertThat(Linear.of(Format.Q4_K, 3, 512, ByteBuffer.allocate(3 * 2 * 144)).bytes()).isEqualTo(32 * 2 * (128 + 16 + 8));
        assertThat(Linear.of(Format.Q8_0, 40, 64, ByteBuffer.allocate(40 * 2 * 34)).bytes()).isEqualTo(64 * 2 * (32 + 4));
        assertThat(Linear.of(Format.Q5_0, 32, 64, ByteBuffer.allocate(32 * 2 * 22)).bytes()).isEqualTo(32 * 2 * (32 + 4)); // five-bit values held as bytes
        assertThat(Linear.of(Format.Q5_K, 32, 256, ByteBuffer.allocate(32 * 176)).bytes()).isEqualTo(32 * (160 + 16 + 8));
        assertThat(Linear.of(Format.Q6_K, 32, 256, ByteBuffer.allocate(32 * 210)).bytes()).isEqualTo(32 * (256 + 16 + 4)); // six-bit values held as bytes
        assertThat(Linear.heldBytes(Format.Q6_K, 3, 256)).isEqualTo(32 * (256 + 16 + 4));
        assertThat(Format.Q6_K.rowBytes(7168)).isEqualTo(28 * 210);
        assertThat(Format.BF16.rowBytes(100)).isEqualTo(200);
        assertThat(Format.Q5_0.blockSize()).isEqualTo(32);
        assertThat(Format.Q5_K.bytesPerBlock()).isEqualTo(176);
        assertThat(Format.F32.isBlockQuantized()).isFalse();
    }

    @Test
    void ofRefusesColumnsThatAreNotWholeBlocksAndDataOfTheWrongLength() {
        assertThatThrownBy(() -> Linear.of(Format.Q4_K, 2, 100, ByteBuffer.allocate(288)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a Q4_K weight of [2, 100] must have a multiple of 256 columns (the Q4_K block size); 100 is not");
        assertThatThrownBy(() -> Linear.of(Format.Q8_0, 2, 64, ByteBuffer.allocate(135)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a Q8_0 weight of [2, 64] needs 136 bytes (2 rows of 2 blocks of 34 bytes), got 135");
        assertThatThrownBy(() -> Format.Q6_K.rowBytes(300))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a Q6_K row of 300 columns is not a whole number of Q6_K blocks of 256 values");
    }

    /** Random blocks of {@code format}: random quant and scale bytes, d (and dmin) random f16 in ±[0.001, 0.03). */
    static byte[] randomBlocks(Format format, int rows, int cols, SplittableRandom random) {
        if (!format.isBlockQuantized()) {
            ByteBuffer values = ByteBuffer.allocate(2 * rows * cols).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < rows * cols; i++) {
                values.putShort(BlockQuantizer.toF16((float) random.nextGaussian()));
            }
            return values.array();
        }
        byte[] a = new byte[(int) (rows * format.rowBytes(cols))];
        random.nextBytes(a);
        for (int block = 0; block < a.length; block += format.bytesPerBlock()) {
            int[] halves = switch (format) {
                case Q6_K -> new int[] {208};
                case Q4_K, Q5_K -> new int[] {0, 2};
                default -> new int[] {0};
            };
            for (int h : halves) {
                short d = BlockQuantizer.toF16((float) ((random.nextBoolean() ? 1 : -1) * (0.001 + 0.029 * random.nextDouble())));
                a[block + h] = (byte) d;
                a[block + h + 1] = (byte) (d >> 8);
            }
        }
        return a;
    }

    static float[] gaussian(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
