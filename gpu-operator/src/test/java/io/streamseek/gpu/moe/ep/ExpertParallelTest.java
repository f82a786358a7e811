package io.streamseek.gpu.moe.ep;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.engine.Engine;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.engine.GenerationRequest;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ForwardScratch;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.sampling.SamplingParams;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Expert parallelism changes where experts run, never what a token computes. */
class ExpertParallelTest {

    @TempDir
    static java.nio.file.Path dir;
    static Checkpoint checkpoint;
    static DeepSeekModel model; // tiny: 3 layers (the first dense), 8 routed experts, top-2, one shared

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 23, DType.BF16, false, null);
        checkpoint = Checkpoint.open(dir);
        model = ModelLoader.load(checkpoint);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    /** Logits of a mixed step (prefill chunks and decode tokens of several sequences) and of a batch-1 decode step. */
    private static float[] logits(ExpertParallelConfig ep, int threadsPerRank, ExpertLoad.Snapshot[] load) {
        int vocab = model.spec().vocabSize();
        try (CpuWorkers workers = new CpuWorkers(ep.size() * threadsPerRank)) {
            ForwardScratch scratch = model.newScratch(workers, ep);
            SplittableRandom random = new SplittableRandom(9);
            SequenceLatentCache[] caches = new SequenceLatentCache[5];
            StepBatch step = new StepBatch();
            for (int i = 0; i < caches.length; i++) {
                caches[i] = new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 64);
                int[] prompt = random.ints(5 + 7 * i, 1, vocab).toArray();
                step.add(prompt, 0, prompt.length, 0, caches[i], Path.NAIVE, true);
            }
            float[] prefill = new float[step.logitRows() * vocab];
            model.forward(step, prefill, scratch);
            step.clear();
            for (int i = 0; i < caches.length; i++) {
                step.add(new int[] {100 + i}, 0, 1, 5 + 7 * i, caches[i], Path.ABSORBED, false);
            }
            float[] decode = new float[step.logitRows() * vocab];
            model.forward(step, decode, scratch);
            float[] single = new float[vocab];
            model.forward(new int[] {200}, 0, 1, 5, caches[0], Path.ABSORBED, false, single, scratch);
            load[0] = scratch.expertLoad();
            float[] all = Arrays.copyOf(prefill, prefill.length + decode.length + single.length);
            System.arraycopy(decode, 0, all, prefill.length, decode.length);
            System.arraycopy(single, 0, all, prefill.length + decode.length, single.length);
            return all;
        }
    }

    @Test
    void oneTwoAndFourRanksGiveBitwiseTheSameLogits() {
        ExpertLoad.Snapshot[] load = new ExpertLoad.Snapshot[1];
        float[] one = logits(ExpertParallelConfig.SINGLE, 2, load);
        long assignments = Arrays.stream(load[0].tokensPerExpert()).flatMapToLong(Arrays::stream).sum();
        // 5 prompts of 5..33 tokens (95 in all), 5 decode tokens, 1 more: 101 tokens, 2 MoE layers, top-2.
        assertThat(assignments).isEqualTo(101L * 2 * 2);

        assertThat(logits(ExpertParallelConfig.SINGLE, 1, load)).as("1 rank, 1 thread").containsExactly(one);
        assertThat(logits(new ExpertParallelConfig(2, List.of()), 1, load)).as("2 ranks").containsExactly(one);
        assertThat(Arrays.stream(load[0].tokensPerRank()).min().orElseThrow()).as("both ranks computed experts").isPositive();
        assertThat(Arrays.stream(load[0].tokensPerRank()).sum()).isEqualTo(assignments);
        assertThat(logits(new ExpertParallelConfig(4, List.of()), 1, load)).as("4 ranks").containsExactly(one);
        assertThat(logits(new ExpertParallelConfig(4, List.of()), 2, load)).as("4 ranks of 2 threads").containsExactly(one);
        assertThat(logits(ExpertParallelConfig.parse(2, "0@1,1@1,2:7@0"), 1, load)).as("2 ranks with replicas")
                .containsExactly(one);
        assertThat(load[0].rankImbalance()).isGreaterThanOrEqualTo(1.0);
        assertThat(load[0].expertImbalance()).isBetween(1.0, 8.0 / 2);
    }

    @Test
    void replicasAddOwnersInOneLayerOrInEvery() {
        boolean[] moeLayers = {false, true, true};
        ExpertPlacement plain = new ExpertPlacement(new ExpertParallelConfig(2, List.of()), moeLayers, 8);
        assertThat(plain.owners(1, 0)).containsExactly(0);
        assertThat(plain.owners(1, 7)).containsExactly(1);
        assertThat(plain.expertsOn(1, 0)).isEqualTo(4);
        ExpertPlacement replicated = new ExpertPlacement(ExpertParallelConfig.parse(2, "0@1, 2:5@0"), moeLayers, 8);
        assertThat(replicated.owners(1, 0)).containsExactly(0, 1);
        assertThat(replicated.owners(2, 0)).containsExactly(0, 1);
        assertThat(replicated.owners(1, 5)).containsExactly(1);
        assertThat(replicated.owners(2, 5)).containsExactly(1, 0);
        assertThat(replicated.expertsOn(2, 0)).isEqualTo(5);
        assertThat(replicated.expertsOn(2, 1)).isEqualTo(5);
    }

    @Test
    void badPlacementsAreRejectedWithTheirReason() {
        boolean[] moeLayers = {false, true, true};
        assertThatThrownBy(() -> ExpertParallelConfig.parse(2, "3@2"))
                .hasMessage("redundant expert 3 is placed on rank 2, but the expert-parallel ranks are 0..1");
        assertThatThrownBy(() -> ExpertParallelConfig.parse(2, "3-1"))
                .hasMessage("'3-1' is not a replica; write EXPERT@RANK or LAYER:EXPERT@RANK");
        assertThatThrownBy(() -> new ExpertPlacement(ExpertParallelConfig.parse(2, "9@1"), moeLayers, 8))
                .hasMessage("redundant expert 9 does not exist: the model has 8 routed experts (n_routed_experts)");
        assertThatThrownBy(() -> new ExpertPlacement(ExpertParallelConfig.parse(2, "0:1@1"), moeLayers, 8))
                .hasMessage("redundant expert 1 names layer 0, which is not a MoE layer");
        assertThatThrownBy(() -> new ExpertParallelConfig(0, List.of()))
                .hasMessage("the expert-parallel size must be at least 1, was 0");
    }

    @Test
    void anEngineWithFourRanksGeneratesWhatOneRankDoes() throws Exception {
        List<int[]> reference = generate(ExpertParallelConfig.SINGLE);
        assertThat(generate(new ExpertParallelConfig(4, List.of(new ExpertParallelConfig.Replica(-1, 2, 3))))).hasSameSizeAs(reference)
                .zipSatisfy(reference, (a, b) -> assertThat(a).containsExactly(b));
    }

    private static List<int[]> generate(ExpertParallelConfig ep) throws Exception {
        EngineConfig config = EngineConfig.builder().blockSize(8).cacheBytes(1L << 24).maxNumSeqs(6).maxTokensPerStep(24)
                .threads(2).expertParallel(ep).build();
        List<int[]> tokens = new ArrayList<>();
        try (Engine engine = new Engine(model, config)) {
            SplittableRandom random = new SplittableRandom(4);
            List<RequestHandle> handles = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                SamplingParams sampling = i % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.8f, 0.9f, 0, 77 + i);
                handles.add(engine.submit(new GenerationRequest("r" + i, "t", random.ints(4 + 3 * i, 1, 500).toArray(), 10, sampling,
                        new int[0], 0, null), null));
            }
            for (RequestHandle h : handles) {
                GenerationResult result = h.result().get(60, TimeUnit.SECONDS);
                assertThat(result.tokens()).hasSize(10);
                tokens.add(result.tokens());
            }
            assertThat(engine.expertLoad().tokensPerRank()).hasSize(ep.size());
        }
        return tokens;
    }
}
