package io.streamseek.gpu.engine;

import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's guarantees for DeepSeek-V3.2 (the {@code tiny-v32} preset, {@code index_topk} 8),
 * with prompts and generations past {@code index_topk} so that every request attends sparsely:
 * continuous batching under a cache tight enough to preempt gives each request the tokens it gets
 * alone, and a cached prefix (whose blocks hold the indexer keys beside the latents) is reused.
 */
class SparseAttentionEngineTest {

    @TempDir
    static java.nio.file.Path dir;
    private static Checkpoint checkpoint;
    private static DeepSeekModel model;

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY_V32.config(), dir, 41, DType.BF16, false, null);
        checkpoint = Checkpoint.open(dir);
        model = ModelLoader.load(checkpoint);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    @Test
    void everyRequestCompletesUnderATightCacheWithTheTokensItGetsAlone() throws Exception {
        EngineTest.completesUnderATightCacheWithTheTokensItGetsAlone(model, 10, 48);
    }

    @Test
    void aRepeatedPromptReusesItsCachedPrefixIndexerKeysIncluded() throws Exception {
        EngineTest.reusesTheCachedPrefixOfTheSameTenant(model, 30);
    }

    @Test
    void theCacheBudgetCountsTheIndexerKeys() {
        // tiny-v32: a latent of 32 + 8 values and an indexer key of 16 per token and layer.
        assertThat(model.mlaSpec().latentWidth()).isEqualTo(40);
        assertThat(model.mlaSpec().cacheRowWidth()).isEqualTo(56);
        // A budget of 64 such tokens holds 16 blocks of 4 — not the 22 it would at the latent's width.
        PagedLatentStore store = new PagedLatentStore(model.numLayers(), model.mlaSpec().cacheRowWidth(), 4,
                EngineTest.config(model, 64, 4, 16, 8).cacheBytes());
        assertThat(store.bytesPerToken()).isEqualTo(4L * 3 * 56);
        assertThat(store.numBlocks()).isEqualTo(16);
    }
}
