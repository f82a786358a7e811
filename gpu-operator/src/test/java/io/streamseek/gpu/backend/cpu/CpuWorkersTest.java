package io.streamseek.gpu.backend.cpu;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuWorkersTest {

    @Test
    void parallelProductIsBitwiseTheSingleThreadedOne() {
        SplittableRandom random = new SplittableRandom(5);
        int rows = 777;
        int cols = 300;
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Linear w = Linear.ofFloats(rows, cols, values);
        float[] x = new float[cols + 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] expected = new float[rows + 2];
        w.matvec(x, 4, expected, 2, 0, rows);
        for (int threads : new int[] {1, 2, 3, 8}) {
            try (CpuWorkers workers = new CpuWorkers(threads)) {
                for (int repeat = 0; repeat < 50; repeat++) {
                    float[] out = new float[rows + 2];
                    workers.matvec(w, x, 4, out, 2);
                    assertThat(out).as("%d threads", threads).containsExactly(expected);
                }
            }
        }
    }

    @Test
    void batchedProductGivesEveryTokenBitwiseItsSingleTokenDot() {
        // 37 rows: one block, an odd row left after pairing; 1500 rows from 3 to 1400: several
        // blocks of rows (a partial last one) and a slice not starting at row 0.
        assertBatchedEqualsSingle(37, 0, 37);
        assertBatchedEqualsSingle(1500, 3, 1400);
    }

    private static void assertBatchedEqualsSingle(int rows, int rowStart, int rowEnd) {
        SplittableRandom random = new SplittableRandom(11);
        int cols = 203; // not a multiple of the vector length: the scalar tail is exercised too
        ByteBuffer bf16 = ByteBuffer.allocate(rows * cols * 2).order(ByteOrder.LITTLE_ENDIAN);
        float[] f32 = new float[rows * cols];
        for (int i = 0; i < rows * cols; i++) {
            f32[i] = (float) random.nextGaussian();
            bf16.putShort(2 * i, (short) (Float.floatToRawIntBits(f32[i]) >>> 16));
        }
        for (Linear w : new Linear[] {Linear.ofFloats(rows, cols, f32), Linear.of(Linear.Format.BF16, rows, cols, bf16)}) {
            for (int tokens = 1; tokens <= 9; tokens++) {
                int stride = cols + 3;
                float[] x = new float[tokens * stride];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                float[] out = new float[tokens * rows];
                w.matmul(x, 0, stride, out, 0, rows, tokens, rowStart, rowEnd);
                for (int t = 0; t < tokens; t++) {
                    for (int r = rowStart; r < rowEnd; r++) {
                        assertThat(out[t * rows + r]).as("%s, %d tokens, token %d row %d", w.format(), tokens, t, r)
                                .isEqualTo(w.dot(r, x, t * stride));
                    }
                }
            }
        }
    }

    @Test
    void aWorkersFailureReachesTheCallerAndThePoolKeepsServing() {
        ByteBuffer shortData = ByteBuffer.allocate(512 * 256 * 2).order(ByteOrder.LITTLE_ENDIAN);
        Linear w = Linear.of(Linear.Format.BF16, 512, 256, shortData);
        try (CpuWorkers workers = new CpuWorkers(2)) {
            float[] tooShort = new float[10];
            assertThatThrownBy(() -> workers.matvec(w, tooShort, 0, new float[512], 0))
                    .isInstanceOf(RuntimeException.class);
            float[] out = new float[512];
            workers.matvec(w, new float[256], 0, out, 0);
            assertThat(out).containsOnly(0f);
        }
    }
}
