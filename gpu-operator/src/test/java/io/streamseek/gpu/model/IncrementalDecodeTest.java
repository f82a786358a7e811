package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IncrementalDecodeTest {

    @TempDir
    java.nio.file.Path dir;

    @Test
    void tokenByTokenDecodeReproducesTheFullForwardPass() throws IOException {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 11, DType.BF16, false, null);
        int[] tokens = {5, 300, 12, 7, 99, 450, 2, 31, 8, 77};
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = new CpuWorkers(2)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            int vocab = model.spec().vocabSize();
            float[] full = new float[tokens.length * vocab];
            model.forward(tokens, 0, tokens.length, 0, new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 16),
                    Path.NAIVE, true, full, model.newScratch(workers));

            // Prefill the first 4 tokens, then decode the rest one at a time over the cache.
            SequenceLatentCache cache = new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 16);
            ForwardScratch scratch = model.newScratch(workers);
            float[] step = new float[vocab];
            model.forward(tokens, 0, 4, 0, cache, Path.NAIVE, false, step, scratch);
            assertRowClose(step, full, 3, vocab);
            for (int t = 4; t < tokens.length; t++) {
                model.forward(tokens, t, 1, t, cache, Path.ABSORBED, false, step, scratch);
                assertRowClose(step, full, t, vocab);
            }
            assertThat(cache.length()).isEqualTo(tokens.length);
        }
    }

    @Test
    void aChunkGivesBitwiseTheLogitsOfTokenByTokenPrefill() throws IOException {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 12, DType.BF16, false, null);
        int[] tokens = {0, 44, 300, 12, 7, 99, 450, 2, 31, 8, 77, 5};
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = new CpuWorkers(2)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            int vocab = model.spec().vocabSize();
            float[] chunk = new float[tokens.length * vocab];
            model.forward(tokens, 0, tokens.length, 0, new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 16),
                    Path.NAIVE, true, chunk, model.newScratch(workers));
            SequenceLatentCache cache = new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 16);
            ForwardScratch scratch = model.newScratch(workers);
            float[] step = new float[vocab];
            for (int t = 0; t < tokens.length; t++) {
                model.forward(tokens, t, 1, t, cache, Path.NAIVE, false, step, scratch);
                assertThat(step).as("position %d", t).containsExactly(java.util.Arrays.copyOfRange(chunk, t * vocab, (t + 1) * vocab));
            }
        }
    }

    @Test
    void contextAndVocabularyLimitsAreEnforcedWithTheirValues() throws IOException {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 11, DType.F32, false, null);
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = new CpuWorkers(1)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            SequenceLatentCache cache = new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 8);
            float[] logits = new float[model.spec().vocabSize()];
            assertThatThrownBy(() -> model.forward(new int[] {512}, 0, 1, 0, cache, Path.NAIVE, false, logits, model.newScratch(workers)))
                    .hasMessage("token id 512 at position 0 is outside the vocabulary [0, 512)");
            assertThatThrownBy(() -> model.forward(new int[] {1}, 0, 1, 512, cache, Path.ABSORBED, false, logits, model.newScratch(workers)))
                    .hasMessage("positions up to 513 exceed the model's context of 512 tokens (max_position_embeddings)");
            assertThatThrownBy(() -> model.forward(new int[9], 0, 9, 0, cache, Path.NAIVE, false, logits, model.newScratch(workers)))
                    .hasMessage("the sequence needs 9 cached tokens but its cache holds 8");
        }
    }

    private static void assertRowClose(float[] step, float[] full, int row, int vocab) {
        float max = 0f;
        float worst = 0f;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, Math.abs(full[row * vocab + i]));
            worst = Math.max(worst, Math.abs(step[i] - full[row * vocab + i]));
        }
        assertThat(worst / max).as("position %d", row).isLessThan(1e-5f);
    }
}
