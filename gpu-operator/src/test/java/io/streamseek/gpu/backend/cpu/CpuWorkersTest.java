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
