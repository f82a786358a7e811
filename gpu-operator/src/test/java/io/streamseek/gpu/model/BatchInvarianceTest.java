package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sequence's logits are bitwise the same whether it runs alone or in one step with unrelated
 * sequences (other prefill chunks and decode tokens), and whatever the number of threads.
 */
class BatchInvarianceTest {

    @TempDir
    java.nio.file.Path dir;

    /**
     * bf16 safetensors, GGUF files in block formats (llama.cpp's Q4_K_M: Q4_K, Q6_K, Q5_0; and Q8_0),
     * and DeepSeek-V3.2's sparse attention with a prompt past {@code index_topk} (the indexer's
     * per-task and shared-scoring selections both taken).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bf16", "tiny-k-q4_k_m.gguf", "tiny-q8_0.gguf", "tiny-v32"})
    void logitsDoNotDependOnTheRestOfTheStep(String source) throws Exception {
        java.nio.file.Path file = dir;
        int[] mine = {0, 11, 22, 33, 44, 55, 66};
        if (source.equals("bf16")) {
            RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 31, DType.BF16, false, null);
        } else if (source.equals("tiny-v32")) {
            RandomCheckpoint.write(ModelPreset.TINY_V32.config(), dir, 31, DType.BF16, false, null);
            mine = new SplittableRandom(3).ints(20, 2, 500).toArray();
        } else {
            file = dir.resolve(source);
            try (java.io.InputStream in = getClass().getClassLoader().getResourceAsStream("golden/gguf/" + source)) {
                java.nio.file.Files.copy(in, file);
            }
        }
        try (Checkpoint checkpoint = Checkpoint.open(file); CpuWorkers one = new CpuWorkers(1); CpuWorkers two = new CpuWorkers(2)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            int vocab = model.spec().vocabSize();
            int width = model.mlaSpec().cacheRowWidth();

            // Alone: prefill, then two decode steps.
            SequenceLatentCache aloneCache = new SequenceLatentCache(model.numLayers(), width, 32);
            ForwardScratch aloneScratch = model.newScratch(one);
            float[] alonePrefill = new float[vocab];
            model.forward(mine, 0, mine.length, 0, aloneCache, Path.NAIVE, false, alonePrefill, aloneScratch);
            float[] aloneDecode1 = new float[vocab];
            model.forward(new int[] {77}, 0, 1, mine.length, aloneCache, Path.ABSORBED, false, aloneDecode1, aloneScratch);
            float[] aloneDecode2 = new float[vocab];
            model.forward(new int[] {88}, 0, 1, mine.length + 1, aloneCache, Path.ABSORBED, false, aloneDecode2, aloneScratch);

            // Crowded: the same steps, each shared with other sequences, on two threads.
            SplittableRandom random = new SplittableRandom(5);
            SequenceLatentCache mineCache = new SequenceLatentCache(model.numLayers(), width, 32);
            SequenceLatentCache[] others = new SequenceLatentCache[4];
            int[] otherLength = new int[others.length];
            for (int o = 0; o < others.length; o++) {
                others[o] = new SequenceLatentCache(model.numLayers(), width, 64);
            }
            ForwardScratch scratch = model.newScratch(two);
            StepBatch step = new StepBatch();
            float[] logits = new float[32 * vocab];

            step.clear();
            addOthers(step, others, otherLength, random);
            int mineSegment = step.segments();
            step.add(mine, 0, mine.length, 0, mineCache, Path.NAIVE, false);
            addOthers(step, others, otherLength, random);
            model.forward(step, logits, scratch);
            int row = firstRowOf(step, mineSegment);
            assertThat(Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab)).containsExactly(alonePrefill);

            step.clear();
            step.add(new int[] {77}, 0, 1, mine.length, mineCache, Path.ABSORBED, false);
            addOthers(step, others, otherLength, random);
            model.forward(step, logits, scratch);
            assertThat(Arrays.copyOfRange(logits, 0, vocab)).containsExactly(aloneDecode1);

            step.clear();
            addOthers(step, others, otherLength, random);
            step.add(new int[] {88}, 0, 1, mine.length + 1, mineCache, Path.ABSORBED, false);
            model.forward(step, logits, scratch);
            assertThat(Arrays.copyOfRange(logits, (step.logitRows() - 1) * vocab, step.logitRows() * vocab)).containsExactly(aloneDecode2);
        }
    }

    /** Two other sequences, each continuing with a short prefill chunk or one decode token. */
    private static void addOthers(StepBatch step, SequenceLatentCache[] others, int[] lengths, SplittableRandom random) {
        for (int n = 0; n < 2; n++) {
            int o = random.nextInt(others.length);
            int count = lengths[o] == 0 || random.nextBoolean() ? 1 + random.nextInt(5) : 1;
            int[] ids = random.ints(count, 2, 500).toArray();
            step.add(ids, 0, count, lengths[o], others[o], count == 1 && lengths[o] > 0 ? Path.ABSORBED : Path.NAIVE, random.nextBoolean());
            lengths[o] += count;
        }
    }

    /** The first logits row segment {@code segment} produces: all-logits segments before it yield one row per token. */
    private static int firstRowOf(StepBatch step, int segment) {
        int row = 0;
        for (int i = 0; i < segment; i++) {
            row += step.allLogits(i) ? step.count(i) : 1;
        }
        return row;
    }
}
