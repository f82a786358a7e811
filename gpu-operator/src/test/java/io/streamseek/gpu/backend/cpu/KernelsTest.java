package io.streamseek.gpu.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefill attention kernels give bitwise the scalar chains they stand for. */
class KernelsTest {

    @Test
    void transposedScoresAreOneChainPerPositionWhateverTheBlock() {
        SplittableRandom random = new SplittableRandom(3);
        int lanes = Kernels.lanes();
        for (int dims : new int[] {1, 32, 96, 192}) {
            for (int count : new int[] {1, lanes - 1, lanes, 4 * lanes + 3, 9 * lanes}) {
                int width = (count + lanes - 1) / lanes * lanes + lanes;
                float[] q = BlockDotTest.gaussian(random, dims + 5);
                float[] k = BlockDotTest.gaussian(random, dims * width);
                float[] out = new float[width];
                Kernels.transposedScores(q, 5, k, width, dims, count, out);
                for (int p = 0; p < count; p++) {
                    float chain = 0f;
                    for (int d = 0; d < dims; d++) {
                        chain = Math.fma(k[d * width + p], q[5 + d], chain);
                    }
                    assertThat(out[p]).as("%d dims, %d positions, position %d", dims, count, p).isEqualTo(chain);
                }
            }
        }
    }

    @Test
    void weightedRowsIsBitwiseAxpyPerRow() {
        SplittableRandom random = new SplittableRandom(4);
        for (int n : new int[] {1, 9, 16, 64, 72, 128, 131}) {
            for (int count : new int[] {0, 1, 5, 40}) {
                int stride = n + 6;
                float[] p = BlockDotTest.gaussian(random, count + 2);
                float[] x = BlockDotTest.gaussian(random, 4 + count * stride);
                float[] expected = new float[n + 1];
                for (int j = 0; j < count; j++) {
                    Kernels.axpy(p[2 + j], x, 4 + j * stride, expected, 1, n);
                }
                float[] actual = new float[n + 1];
                Arrays.fill(actual, Float.NaN);
                actual[0] = 0f;
                Kernels.weightedRows(p, 2, count, x, 4, stride, actual, 1, n);
                assertThat(actual).as("n %d, %d rows", n, count).isEqualTo(expected);
            }
        }
    }
}
