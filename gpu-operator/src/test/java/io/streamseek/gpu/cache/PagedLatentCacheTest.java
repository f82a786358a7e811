package io.streamseek.gpu.cache;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The paged cache gives bitwise the logits of a contiguous one, and a reused prefix those of a full recompute. */
class PagedLatentCacheTest {

    @TempDir
    java.nio.file.Path dir;

    @Test
    void pagedAndContiguousCachesGiveTheSameLogits() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 21, DType.BF16, false, null);
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = new CpuWorkers(2)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            int vocab = model.spec().vocabSize();
            int width = model.mlaSpec().cacheRowWidth();
            int[] prompt = {0, 17, 300, 44, 9, 120, 7, 7, 501, 3, 88, 64, 2, 19};
            float[] expected = new float[vocab];
            model.forward(prompt, 0, prompt.length, 0, new SequenceLatentCache(model.numLayers(), width, 32), Path.NAIVE, false,
                    expected, model.newScratch(workers));

            PagedLatentStore store = new PagedLatentStore(model.numLayers(), width, 4, 64 * PagedLatentStore.bytesPerBlock(model.numLayers(), width, 4));
            BlockManager manager = new BlockManager(new BlockAllocator(store.numBlocks(), 4), "k".getBytes(StandardCharsets.UTF_8));
            BlockTable first = manager.admit("acme", prompt, prompt.length);
            float[] paged = new float[vocab];
            model.forward(prompt, 0, prompt.length, 0, new PagedLatentCache(store, first, 0), Path.NAIVE, false, paged, model.newScratch(workers));
            assertThat(paged).containsExactly(expected);
            manager.publishFull("acme", first, prompt, prompt.length);

            // A second request of the tenant reuses 12 cached tokens and computes only the last 2.
            BlockTable second = manager.admit("acme", prompt, prompt.length);
            assertThat(second.cachedTokens()).isEqualTo(12);
            float[] reused = new float[vocab];
            model.forward(prompt, 12, prompt.length - 12, 12, new PagedLatentCache(store, second, 12), Path.NAIVE, false, reused,
                    model.newScratch(workers));
            assertThat(reused).containsExactly(expected);

            // Decode over the paged cache matches decode over the contiguous one.
            manager.grow(second, prompt.length + 1);
            SequenceLatentCache contiguous = new SequenceLatentCache(model.numLayers(), width, 32);
            float[] all = new float[vocab];
            model.forward(prompt, 0, prompt.length, 0, contiguous, Path.NAIVE, false, all, model.newScratch(workers));
            int[] next = {42};
            float[] decodeContiguous = new float[vocab];
            float[] decodePaged = new float[vocab];
            model.forward(next, 0, 1, prompt.length, contiguous, Path.ABSORBED, false, decodeContiguous, model.newScratch(workers));
            model.forward(next, 0, 1, prompt.length, new PagedLatentCache(store, second, prompt.length), Path.ABSORBED, false,
                    decodePaged, model.newScratch(workers));
            assertThat(decodePaged).containsExactly(decodeContiguous);
            assertThat(Arrays.stream(second.blocks()).distinct().count()).isEqualTo(second.size());
        }
    }
}
