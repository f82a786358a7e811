package io.streamseek.gpu.backend.cuda.kernel;

import io.streamseek.gpu.backend.cpu.ScalarDot;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Launch geometry and index arithmetic of linear.cu, run in plain Java: the CUDA-core kernels' warp,
 * token-tile and lane-to-column mapping, and the tensor-core kernels' whole data path
 * ({@link MmaKernelEmulator}) against a plain matrix product, tails included.
 */
class LinearKernelsTest {

    @Test
    void simtWritesEveryOutputOnce() {
        int[][] shapes = {{1, 1}, {1, 7}, {8, 8}, {9, 9}, {3, 4096}, {64, 1000}, {17, 576}, {100, 13}};
        for (int[] shape : shapes) {
            int tokens = shape[0];
            int rows = shape[1];
            LaunchGeometry g = LinearKernels.simtGeometry(tokens, rows, 7168);
            assertThat(g.blockX()).isEqualTo(LinearKernels.SIMT_THREADS);
            int[] writes = new int[tokens * rows];
            for (int block = 0; block < g.gridX(); block++) {
                for (int thread = 0; thread < g.blockX(); thread++) {
                    int row = block * LinearKernels.SIMT_ROWS_PER_BLOCK + thread / 32;
                    int lane = thread % 32;
                    if (row >= rows) {
                        continue;
                    }
                    for (int t0 = 0; t0 < tokens; t0 += LinearKernels.SIMT_TOKEN_TILE) {
                        int count = Math.min(LinearKernels.SIMT_TOKEN_TILE, tokens - t0);
                        if (lane < count) {
                            writes[(t0 + lane) * rows + row]++;
                        }
                    }
                }
            }
            assertThat(writes).as("tokens %d, rows %d", tokens, rows).containsOnly(1);
        }
    }

    /**
     * Each lane's chunks (and the partial last chunk) cover every column once, in increasing order
     * per lane: a lane's FMA chain, and so each output, depends on cols alone.
     */
    @Test
    void simtLanesReadEveryColumnOnceInOrder() {
        for (int values : new int[] {4, 8, 16}) { // f32, bf16, E4M3 weights per 16-byte chunk
            for (int cols : new int[] {1, 3, 15, 16, 17, 511, 512, 576, 2048, 7168, 7169}) {
                int[] reads = new int[cols];
                int full = cols / values;
                for (int lane = 0; lane < 32; lane++) {
                    int last = -1;
                    for (int j0 = lane; j0 < full; j0 += 32 * 4) {
                        for (int u = 0; u < 4; u++) {
                            int j = j0 + u * 32;
                            if (j < full) {
                                for (int e = 0; e < values; e++) {
                                    int col = j * values + e;
                                    assertThat(col).isGreaterThan(last);
                                    last = col;
                                    reads[col]++;
                                }
                            }
                        }
                    }
                    int rest = cols - full * values;
                    if (rest > 0 && lane == full % 32) {
                        for (int e = 0; e < rest; e++) {
                            assertThat(full * values + e).isGreaterThan(last);
                            reads[full * values + e]++;
                        }
                    }
                }
                assertThat(reads).as("%d values per chunk, cols %d", values, cols).containsOnly(1);
                assertThat(full * values / 128 * 128).as("a chunk lies in one scale block").isLessThanOrEqualTo(full * values);
            }
        }
    }

    @Test
    void mmaComputesTheProductForEveryShapeAndTail() {
        SplittableRandom random = new SplittableRandom(11);
        int[][] shapes = {{1, 1, 1}, {5, 9, 33}, {128, 128, 32}, {130, 200, 70}, {3, 300, 128}, {129, 7, 257}};
        for (int[] shape : shapes) {
            int tokens = shape[0];
            int rows = shape[1];
            int cols = shape[2];
            int xStride = cols + 3;
            int outStride = rows + 2;
            // Small integers: exact in bf16 and in every f32 partial sum, so the product is exact.
            float[] x = new float[tokens * xStride];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextInt(-8, 9);
            }
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = random.nextInt(-8, 9);
            }
            float[] out = MmaKernelEmulator.run(x, xStride, MmaKernelEmulator.bf16(w), outStride, tokens, rows, cols);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    float expected = 0f;
                    for (int c = 0; c < cols; c++) {
                        expected += w[r * cols + c] * x[t * xStride + c];
                    }
                    assertThat(out[t * outStride + r]).as("shape %d×%d×%d at (%d, %d)", tokens, rows, cols, t, r).isEqualTo(expected);
                }
                for (int r = rows; r < outStride; r++) {
                    assertThat(out[t * outStride + r]).as("padding of out is never written").isNaN();
                }
            }
        }
    }

    @Test
    void mmaE4m3DequantisesEachWeightWithItsBlockScale() {
        SplittableRandom random = new SplittableRandom(3);
        int tokens = 9;
        int rows = 260;
        int cols = 300;
        byte[] codes = new byte[rows * cols];
        for (int i = 0; i < codes.length; i++) {
            int code = random.nextInt(256);
            codes[i] = (byte) ((code & 0x7f) == 0x7f ? 0 : code); // no NaN codes
        }
        float[] scales = new float[3 * 3];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) Math.scalb(1.0 + random.nextInt(8) / 8.0, random.nextInt(-6, 2));
        }
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = MmaKernelEmulator.run(x, cols, MmaKernelEmulator.e4m3(codes, scales), rows, tokens, rows, cols);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                double magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    double term = (double) ScalarDot.dequantE4m3(codes[r * cols + c], scales[r / 128 * 3 + c / 128])
                            * ScalarDot.roundToBf16(x[t * cols + c]);
                    expected += term;
                    magnitude += Math.abs(term);
                }
                assertThat((double) out[t * rows + r]).as("(%d, %d)", t, r).isCloseTo(expected,
                        org.assertj.core.api.Assertions.within(1e-6 * magnitude + 1e-30));
            }
        }
    }

    @Test
    void mmaGridPutsTokenTilesAlongX() {
        LaunchGeometry g = LinearKernels.mmaGeometry(1000, 7168, 2048);
        assertThat(g.gridX()).isEqualTo(8);
        assertThat(g.gridY()).isEqualTo(56);
        assertThat(g.blockX()).isEqualTo(LinearKernels.MMA_THREADS);
        assertThat(g.sharedBytes()).isZero();
    }

    @Test
    void emptyAndOversizedShapesAreRefusedByName() {
        assertThatThrownBy(() -> LinearKernels.simtGeometry(0, 10, 10)).hasMessageContaining("tokens >= 1, got 0");
        assertThatThrownBy(() -> LinearKernels.simtGeometry(1, 10, -1)).hasMessageContaining("cols >= 1, got -1");
        assertThatThrownBy(() -> LinearKernels.mmaGeometry(4, 0, 10)).hasMessageContaining("rows >= 1, got 0");
        assertThatThrownBy(() -> LinearKernels.mmaGeometry(4, 65_535 * 128 + 1, 16))
                .hasMessageContaining(String.valueOf(65_535 * 128 + 1)).hasMessageContaining("65535");
        assertThat(LinearKernels.mmaGeometry(4, 65_535 * 128, 16).gridY()).isEqualTo(65_535);
    }
}
