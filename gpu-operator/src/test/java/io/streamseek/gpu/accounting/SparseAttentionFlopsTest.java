package io.streamseek.gpu.accounting;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cost of a DeepSeek-V3.2 token ({@code tiny-v32}: 3 layers, 4 heads, kv_lora_rank 32, rope 8;
 * an indexer of 8 heads × 16 dims, {@code index_topk} 8): up to {@code index_topk} positions it
 * costs what the same model costs densely; past it, attention stays at {@code index_topk}
 * positions while the indexer's scoring grows with the context.
 */
class SparseAttentionFlopsTest {

    @TempDir
    Path dir;

    @Test
    void attentionStopsGrowingPastIndexTopkWhileTheIndexerScoresEveryPosition() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY_V32.config(), dir, 1, DType.BF16, false, null);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            FlopModel f = new FlopModel(model);
            long absorbedPerContext = 2L * 4 * (2 * 32 + 8) * 3;
            long indexerPerContext = 2L * 8 * (16 + 1) * 3;
            long base = f.tokenFlops(0, true, false) - absorbedPerContext; // the position-independent part
            for (int position = 0; position < 8; position++) {
                assertThat(f.tokenFlops(position, true, false)).isEqualTo(base + (position + 1) * absorbedPerContext);
            }
            for (int position = 8; position < 40; position++) {
                assertThat(f.tokenFlops(position, true, false)).as("position %d", position)
                        .isEqualTo(base + 8 * absorbedPerContext + (position + 1) * indexerPerContext);
            }
            // The closed form over a range is the sum of its tokens, across the threshold too.
            long sum = 0;
            for (int position = 3; position < 30; position++) {
                sum += f.tokenFlops(position, false, position == 29);
            }
            assertThat(f.rangeFlops(3, 30, false, true)).isEqualTo(sum);
            // Cache bytes: latent rows of 40 floats × 3 layers per attended position, keys of 16 per scored one.
            assertThat(f.contextBytes(20, 21)).isEqualTo(8 * 4L * 40 * 3 + 21 * 4L * 16 * 3);
            assertThat(f.contextBytes(5, 6)).isEqualTo(6 * 4L * 40 * 3);
        }
    }
}
