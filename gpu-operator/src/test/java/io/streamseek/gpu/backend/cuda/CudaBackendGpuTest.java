package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.ModelRunner;
import io.streamseek.gpu.backend.cpu.CpuRunner;
import io.streamseek.gpu.cache.PagedLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.backend.Backend;
import io.streamseek.gpu.engine.Engine;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.engine.GenerationRequest;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.gpu.sampling.SamplingParams;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CUDA backend against the CPU backend, on the same checkpoint and the same sequences: logits
 * agree within the stated tolerances, greedy generations agree, and a sequence's logits on the GPU
 * do not depend on what else shares its step. Needs an NVIDIA GPU: {@code ./streamseek test-gpu}.
 *
 * <p>Tolerances, relative to the largest logit magnitude of the CPU's row:
 * <ul>
 *   <li>decode steps: {@value #DECODE_TOLERANCE} (f32 accumulation in another order; with 16 heads or more the
 *       latent attention runs on TF32 tensor cores, ~1e-3 relative on its outputs);</li>
 *   <li>prefill chunks (tensor cores; activations rounded to bf16 on the way in for bf16 and FP8
 *       weights, f32 weights on CUDA cores): {@value #PREFILL_TOLERANCE}.</li>
 * </ul>
 */
@RequiresGpu
class CudaBackendGpuTest {

    static final double DECODE_TOLERANCE = 5e-3;
    static final double PREFILL_TOLERANCE = 3e-2;
    private static final int PROMPT = 40;
    private static final int DECODE_STEPS = 24;

    @TempDir
    java.nio.file.Path dir;

    private DeepSeekModel load(String preset, String dtype) throws Exception {
        RandomCheckpoint.write(ModelPreset.fromName(preset).config(), dir, 17, dtype.equals("f32") ? DType.F32 : DType.BF16,
                dtype.equals("fp8"), null);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            return ModelLoader.load(checkpoint);
        }
    }

    private static EngineConfig config() {
        return EngineConfig.builder().maxNumSeqs(16).maxTokensPerStep(256).build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny, f32", "tiny, bf16", "tiny, fp8", "bench, f32", "bench, bf16", "bench, fp8"})
    void logitsAndGreedyTokensAgreeWithTheCpuBackend(String preset, String dtype) throws Exception {
        DeepSeekModel model = load(preset, dtype);
        int vocab = model.spec().vocabSize();
        PagedSequences cpuCaches = new PagedSequences(model, 64);
        PagedSequences gpuCaches = new PagedSequences(model, 64);
        try (ModelRunner cpu = new CpuRunner(model, Runtime.getRuntime().availableProcessors(), ExpertParallelConfig.SINGLE);
             ModelRunner gpu = CudaRunner.open(model, config(), gpuCaches.store())) {
            PagedLatentCache cpuCache = cpuCaches.sequence(PROMPT + DECODE_STEPS);
            PagedLatentCache gpuCache = gpuCaches.sequence(PROMPT + DECODE_STEPS);
            int[] prompt = new SplittableRandom(3).ints(PROMPT, 0, vocab).toArray();
            float[] cpuLogits = new float[PROMPT * vocab];
            float[] gpuLogits = new float[PROMPT * vocab];
            cpu.forward(new StepBatch().add(prompt, 0, PROMPT, 0, cpuCache, Path.NAIVE, true), cpuLogits);
            gpu.forward(new StepBatch().add(prompt, 0, PROMPT, 0, gpuCache, Path.NAIVE, true), gpuLogits);
            for (int t = 0; t < PROMPT; t++) {
                assertClose(cpuLogits, gpuLogits, t * vocab, vocab, PREFILL_TOLERANCE, "prefill position " + t);
            }
            // Greedy decoding, each step fed the CPU's token: the GPU must pick the same token unless the CPU's own
            // choice was a near-tie, within the tolerance.
            int token = sameGreedyToken(cpuLogits, gpuLogits, (PROMPT - 1) * vocab, vocab, "after the prompt");
            for (int step = 0; step < DECODE_STEPS; step++) {
                int position = PROMPT + step;
                cpu.forward(new StepBatch().add(new int[] {token}, 0, 1, position, cpuCache, Path.ABSORBED, false), cpuLogits);
                gpu.forward(new StepBatch().add(new int[] {token}, 0, 1, position, gpuCache, Path.ABSORBED, false), gpuLogits);
                assertClose(cpuLogits, gpuLogits, 0, vocab, DECODE_TOLERANCE, "decode step " + step);
                token = sameGreedyToken(cpuLogits, gpuLogits, 0, vocab, "decode step " + step);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny, bf16", "bench, fp8"})
    void aSequencesLogitsDoNotDependOnTheRestOfTheStep(String preset, String dtype) throws Exception {
        DeepSeekModel model = load(preset, dtype);
        int vocab = model.spec().vocabSize();
        int[] mine = {5, 11, 22, 33, 44, 55, 66, 77, 88};
        try (CudaRunner gpu = CudaRunner.open(model, config(), new PagedSequences(model, 128).store())) {
            PagedSequences caches = new PagedSequences(model, 128);
            // The runner's cache is its own; sequences only lend block tables, so one runner serves both runs.
            PagedLatentCache alone = caches.sequence(16);
            float[] alonePrefill = new float[vocab];
            float[] aloneDecode = new float[vocab];
            gpu.forward(new StepBatch().add(mine, 0, mine.length, 0, alone, Path.NAIVE, false), alonePrefill);
            gpu.forward(new StepBatch().add(new int[] {99}, 0, 1, mine.length, alone, Path.ABSORBED, false), aloneDecode);

            PagedLatentCache crowded = caches.sequence(16);
            SplittableRandom random = new SplittableRandom(9);
            PagedLatentCache[] others = new PagedLatentCache[5];
            int[] otherLength = new int[others.length];
            for (int o = 0; o < others.length; o++) {
                others[o] = caches.sequence(96);
            }
            float[] logits = new float[64 * vocab];
            StepBatch step = new StepBatch();
            addOthers(step, others, otherLength, random, vocab);
            int mineRow = step.logitRows();
            step.add(mine, 0, mine.length, 0, crowded, Path.NAIVE, false);
            addOthers(step, others, otherLength, random, vocab);
            gpu.forward(step, logits);
            assertThat(Arrays.copyOfRange(logits, mineRow * vocab, (mineRow + 1) * vocab)).containsExactly(alonePrefill);

            step.clear();
            addOthers(step, others, otherLength, random, vocab);
            mineRow = step.logitRows();
            step.add(new int[] {99}, 0, 1, mine.length, crowded, Path.ABSORBED, false);
            addOthers(step, others, otherLength, random, vocab);
            gpu.forward(step, logits);
            assertThat(Arrays.copyOfRange(logits, mineRow * vocab, (mineRow + 1) * vocab)).containsExactly(aloneDecode);
        }
    }

    /**
     * Greedy generations through the whole engine (continuous batching, chunked prefill, the paged
     * cache) are the same token for token on both backends. f32 checkpoints: every product runs on
     * CUDA cores in f32, so the two backends differ by rounding order only and a near-tie between
     * the top two logits is not a plausible excuse.
     */
    @ParameterizedTest(name = "{0} f32")
    @CsvSource({"tiny", "bench"})
    void greedyGenerationsThroughTheEngineAgree(String preset) throws Exception {
        DeepSeekModel model = load(preset, "f32");
        SplittableRandom random = new SplittableRandom(23);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int[] prompt = random.ints(5 + 9 * i, 0, model.spec().vocabSize()).toArray();
            requests.add(new GenerationRequest("r" + i, "acme", prompt, 24, SamplingParams.GREEDY, new int[0], 0, null));
        }
        assertThat(generate(model, Backend.CUDA, requests)).isEqualTo(generate(model, Backend.CPU, requests));
    }

    private static List<List<Integer>> generate(DeepSeekModel model, Backend backend, List<GenerationRequest> requests) throws Exception {
        try (Engine engine = new Engine(model, EngineConfig.builder().backend(backend).maxNumSeqs(4).maxTokensPerStep(32).build())) {
            List<RequestHandle> handles = new ArrayList<>();
            for (GenerationRequest request : requests) {
                handles.add(engine.submit(request, null));
            }
            List<List<Integer>> tokens = new ArrayList<>();
            for (RequestHandle handle : handles) {
                GenerationResult result = handle.result().get(5, TimeUnit.MINUTES);
                assertThat(result.finishReason()).as(result.error()).isEqualTo(GenerationResult.FinishReason.LENGTH);
                tokens.add(Arrays.stream(result.tokens()).boxed().toList());
            }
            return tokens;
        }
    }

    /** With two GPUs or more: routed experts of two expert-parallel ranks on two GPUs give bitwise the logits of one. */
    @org.junit.jupiter.api.Test
    void expertParallelRanksOnTwoGpusGiveTheLogitsOfOne() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.streamseek.gpu.backend.cuda.driver.CudaDriver.load().deviceCount() >= 2,
                "this check needs two GPUs; the machine has one");
        DeepSeekModel model = load("bench", "bf16");
        int vocab = model.spec().vocabSize();
        PagedSequences oneCaches = new PagedSequences(model, 64);
        PagedSequences twoCaches = new PagedSequences(model, 64);
        EngineConfig two = EngineConfig.builder().maxNumSeqs(16).maxTokensPerStep(256)
                .expertParallel(new ExpertParallelConfig(2, List.of())).build();
        try (CudaRunner one = CudaRunner.open(model, config(), oneCaches.store()); CudaRunner many = CudaRunner.open(model, two, twoCaches.store())) {
            PagedLatentCache oneSeq = oneCaches.sequence(PROMPT + 4);
            PagedLatentCache twoSeq = twoCaches.sequence(PROMPT + 4);
            int[] prompt = new SplittableRandom(8).ints(PROMPT, 0, vocab).toArray();
            float[] oneLogits = new float[PROMPT * vocab];
            float[] twoLogits = new float[PROMPT * vocab];
            one.forward(new StepBatch().add(prompt, 0, PROMPT, 0, oneSeq, Path.NAIVE, true), oneLogits);
            many.forward(new StepBatch().add(prompt, 0, PROMPT, 0, twoSeq, Path.NAIVE, true), twoLogits);
            assertThat(twoLogits).containsExactly(oneLogits);
            for (int step = 0; step < 4; step++) {
                int[] next = {argmax(oneLogits, step == 0 ? (PROMPT - 1) * vocab : 0, vocab)};
                one.forward(new StepBatch().add(next, 0, 1, PROMPT + step, oneSeq, Path.ABSORBED, false), oneLogits);
                many.forward(new StepBatch().add(next, 0, 1, PROMPT + step, twoSeq, Path.ABSORBED, false), twoLogits);
                assertThat(Arrays.copyOf(twoLogits, vocab)).as("decode step %d", step).containsExactly(Arrays.copyOf(oneLogits, vocab));
            }
        }
    }

    /** Adds a prefill chunk or a decode token of each other sequence, as the scheduler would mix them. */
    private static void addOthers(StepBatch step, PagedLatentCache[] others, int[] length, SplittableRandom random, int vocab) {
        for (int o = 0; o < others.length; o++) {
            if (length[o] == 0 || random.nextBoolean() && length[o] < 64) {
                int count = 1 + random.nextInt(12);
                step.add(random.ints(count, 0, vocab).toArray(), 0, count, length[o], others[o], Path.NAIVE, false);
                length[o] += count;
            } else {
                step.add(new int[] {random.nextInt(vocab)}, 0, 1, length[o], others[o], Path.ABSORBED, false);
                length[o]++;
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, int offset, int n, double relative, String where) {
        double scale = 0;
        double worst = 0;
        int worstAt = -1;
        for (int i = offset; i < offset + n; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        for (int i = offset; i < offset + n; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (diff > worst) {
                worst = diff;
                worstAt = i - offset;
            }
        }
        assertThat(worst).as("%s: largest difference at token id %d (CPU %s, GPU %s) relative to max |logit| %.4f", where, worstAt,
                worstAt < 0 ? "-" : expected[offset + worstAt], worstAt < 0 ? "-" : actual[offset + worstAt], scale)
                .isLessThanOrEqualTo(relative * Math.max(scale, 1e-6));
    }

    /** The CPU's greedy token, after checking the GPU chose it too (or the CPU's choice was a near-tie). */
    private static int sameGreedyToken(float[] cpu, float[] gpu, int offset, int vocab, String where) {
        int expected = argmax(cpu, offset, vocab);
        int actual = argmax(gpu, offset, vocab);
        if (actual != expected) {
            double scale = 0;
            for (int i = offset; i < offset + vocab; i++) {
                scale = Math.max(scale, Math.abs(cpu[i]));
            }
            assertThat((double) cpu[offset + expected] - cpu[offset + actual])
                    .as("%s: the GPU chose token %d, the CPU %d, which is not a near-tie", where, actual, expected)
                    .isLessThanOrEqualTo(2 * PREFILL_TOLERANCE * scale);
        }
        return expected;
    }

    private static int argmax(float[] logits, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
