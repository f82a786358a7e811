package io.streamseek.gpu.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The batched attention kernels give bitwise what their one-at-a-time forms give. */
class KernelsTest {

    @Test
    void dot4IsBitwiseFourDots() {
        SplittableRandom random = new SplittableRandom(3);
        for (int n : new int[] {1, 7, 16, 32, 33, 64, 96, 130}) {
            float[] a = BlockDotTest.gaussian(random, n + 3);
            float[] b = BlockDotTest.gaussian(random, 5 * n + 11);
            float[] c = BlockDotTest.gaussian(random, n + 2);
            float[] out = new float[6];
            int[] offsets = {1, n + 4, 2 * n + 9, 2};
            Kernels.dot4(a, 3, b, offsets[0], b, offsets[1], b, offsets[2], c, offsets[3], n, out, 2);
            assertThat(out[2]).as("n %d, vector 0", n).isEqualTo(Kernels.dot(a, 3, b, offsets[0], n));
            assertThat(out[3]).as("n %d, vector 1", n).isEqualTo(Kernels.dot(a, 3, b, offsets[1], n));
            assertThat(out[4]).as("n %d, vector 2", n).isEqualTo(Kernels.dot(a, 3, b, offsets[2], n));
            assertThat(out[5]).as("n %d, vector 3", n).isEqualTo(Kernels.dot(a, 3, c, offsets[3], n));
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
