package io.streamseek.gpu.backend.cuda.kernel;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Launch geometry of elementwise.cu, checked by running each kernel's index mapping (as written in
 * the CUDA source) over every thread of the grid in plain Java.
 */
class ElementwiseKernelsTest {

    /** One block per row, threads striding by ROW_THREADS: embedding, rms_norm(_gather), latent_cache_write's norm. */
    @Test
    void rowKernelsWriteEveryValueOfEveryRowOnce() {
        int[][] shapes = {{1, 1}, {3, 255}, {2, 256}, {5, 257}, {4, 512}, {2, 7168}, {17, 1000}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int n = shape[1];
            for (LaunchGeometry g : new LaunchGeometry[] {ElementwiseKernels.rmsNormGeometry(rows, n),
                    ElementwiseKernels.rmsNormGatherGeometry(rows, n), ElementwiseKernels.embeddingGeometry(rows, n)}) {
                assertThat(g.blockX()).isEqualTo(ElementwiseKernels.ROW_THREADS);
                int[] writes = new int[rows * n];
                for (int block = 0; block < g.gridX(); block++) {
                    if (block >= rows) {
                        continue;
                    }
                    for (int thread = 0; thread < g.blockX(); thread++) {
                        for (int i = thread; i < n; i += ElementwiseKernels.ROW_THREADS) {
                            writes[block * n + i]++;
                        }
                    }
                }
                assertThat(writes).as("rows %d, n %d", rows, n).containsOnly(1);
            }
        }
    }

    @Test
    void ropeRotatesEveryPairOfEveryHeadOnce() {
        int[][] shapes = {{1, 1, 1}, {3, 128, 32}, {7, 1, 32}, {5, 16, 3}, {1, 3, 100}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int heads = shape[1];
            int half = shape[2];
            LaunchGeometry g = ElementwiseKernels.ropeGeometry(rows, heads, half);
            int[] rotations = new int[rows * heads * half];
            for (long item = 0; item < g.threads(); item++) {
                long perRow = (long) heads * half;
                if (item >= perRow * rows) {
                    continue;
                }
                int r = (int) (item / perRow);
                int within = (int) (item - r * perRow);
                int h = within / half;
                int i = within - h * half;
                assertThat(h).isLessThan(heads);
                rotations[(r * heads + h) * half + i]++;
            }
            assertThat(rotations).as("rows %d, heads %d, half %d", rows, heads, half).containsOnly(1);
        }
    }

    @Test
    void latentCacheWriteFillsEachTokensRowOnceAndRowsNeverOverlap() {
        int kvLoraRank = 512;
        int ropeDim = 64;
        int width = kvLoraRank + ropeDim;
        int numLayers = 3;
        int blockSize = 4;
        int layer = 2;
        int[] slotBlock = {5, 5, 0, 2, 5};
        int[] slotIndex = {0, 3, 1, 3, 1};
        int rows = slotBlock.length;
        LaunchGeometry g = ElementwiseKernels.latentCacheWriteGeometry(rows, kvLoraRank, ropeDim);
        int[] writes = new int[6 * numLayers * blockSize * width];
        for (int t = 0; t < g.gridX(); t++) {
            long slot = ((long) slotBlock[t] * numLayers + layer) * blockSize + slotIndex[t];
            int dest = (int) (slot * width);
            for (int thread = 0; thread < g.blockX(); thread++) {
                for (int i = thread; i < kvLoraRank; i += ElementwiseKernels.ROW_THREADS) {
                    writes[dest + i]++;
                }
                for (int i = thread; i < ropeDim / 2; i += ElementwiseKernels.ROW_THREADS) {
                    writes[dest + kvLoraRank + 2 * i]++;
                    writes[dest + kvLoraRank + 2 * i + 1]++;
                }
            }
        }
        Set<Integer> written = new HashSet<>();
        for (int t = 0; t < rows; t++) {
            int dest = (((slotBlock[t] * numLayers) + layer) * blockSize + slotIndex[t]) * width;
            for (int i = 0; i < width; i++) {
                assertThat(writes[dest + i]).as("token %d value %d", t, i).isEqualTo(1);
                written.add(dest + i);
            }
        }
        assertThat(written).hasSize(rows * width);
        assertThat(written).allSatisfy(i -> assertThat(writes[i]).isEqualTo(1));
        long total = 0;
        for (int w : writes) {
            total += w;
        }
        assertThat(total).as("nothing outside the tokens' rows").isEqualTo((long) rows * width);
    }

    @Test
    void elementKernelsCoverEveryValueOnce() {
        for (int n : new int[] {1, 255, 256, 257, 7168 * 3}) {
            LaunchGeometry g = ElementwiseKernels.addGeometry(n);
            assertThat(g.threads()).isGreaterThanOrEqualTo(n).isLessThan(n + ElementwiseKernels.ELEMENT_THREADS);
        }
        int rows = 7;
        int n = 2048 + 3;
        LaunchGeometry g = ElementwiseKernels.siluMulGeometry(rows, n);
        int[] writes = new int[rows * n];
        for (long item = 0; item < g.threads(); item++) {
            if (item >= (long) rows * n) {
                continue;
            }
            int r = (int) (item / n);
            int c = (int) (item - (long) r * n);
            writes[r * n + c]++;
        }
        assertThat(writes).containsOnly(1);
    }

    @Test
    void emptyAndImpossibleShapesAreRefusedByName() {
        assertThatThrownBy(() -> ElementwiseKernels.rmsNormGeometry(0, 7168)).hasMessageContaining("rows >= 1, got 0");
        assertThatThrownBy(() -> ElementwiseKernels.embeddingGeometry(4, 0)).hasMessageContaining("hidden >= 1, got 0");
        assertThatThrownBy(() -> ElementwiseKernels.latentCacheWriteGeometry(4, 512, 63))
                .hasMessageContaining("rope_dim must be even").hasMessageContaining("63");
        assertThatThrownBy(() -> ElementwiseKernels.ropeGeometry(1, -2, 32)).hasMessageContaining("heads >= 1, got -2");
        assertThatThrownBy(() -> ElementwiseKernels.siluMulGeometry(Integer.MAX_VALUE, Integer.MAX_VALUE))
                .hasMessageContaining("blocks").hasMessageContaining(String.valueOf(Integer.MAX_VALUE));
        assertThatThrownBy(() -> ElementwiseKernels.addGeometry(0)).hasMessageContaining("add_inplace needs n >= 1");
    }
}
