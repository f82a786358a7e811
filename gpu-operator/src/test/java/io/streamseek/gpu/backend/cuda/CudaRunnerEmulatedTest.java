package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.ModelRunner;
import io.streamseek.gpu.backend.cpu.CpuRunner;
import io.streamseek.gpu.cache.PagedLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CUDA runner — step planning, weight upload, buffer offsets and strides, the order of launches,
 * the paged cache on the device, routing read-back — run end to end on an emulated GPU
 * ({@link EmulatedKernels}: each kernel's specified semantics in plain Java) against the CPU backend.
 * What is left for a real GPU is whether the CUDA C kernels meet the semantics the emulator gives
 * them, which {@code CudaBackendGpuTest} checks there.
 */
class CudaRunnerEmulatedTest {

    @TempDir
    java.nio.file.Path dir;

    private DeepSeekModel load(ModelPreset preset, String dtype) throws Exception {
        RandomCheckpoint.write(preset.config(), dir, 29, dtype.equals("f32") ? DType.F32 : DType.BF16, dtype.equals("fp8"), null);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            return ModelLoader.load(checkpoint);
        }
    }

    private static CudaRunner emulated(DeepSeekModel model, PagedSequences caches) {
        return emulated(model, caches, ExpertParallelConfig.SINGLE, 1);
    }

    /** A runner on {@code devices} emulated GPUs, expert-parallel ranks spread over them. */
    private static CudaRunner emulated(DeepSeekModel model, PagedSequences caches, ExpertParallelConfig ep, int devices) {
        EngineConfig config = EngineConfig.builder().maxNumSeqs(8).maxTokensPerStep(64).expertParallel(ep).build();
        List<ExpertDevice.Target> others = new ArrayList<>();
        for (int d = 1; d < devices; d++) {
            EmulatedMemory memory = new EmulatedMemory(1L << 30);
            others.add(new ExpertDevice.Target(memory, new DeviceKernels(new EmulatedKernels(memory)), "emulated GPU " + d));
        }
        EmulatedMemory memory = new EmulatedMemory(1L << 30);
        return new CudaRunner(model, config, caches.store(), memory, new DeviceKernels(new EmulatedKernels(memory)), "emulated GPU 0",
                others);
    }

    /**
     * Routed experts spread over several GPUs give bitwise the logits of one GPU: each token-expert
     * pair is computed by the same kernel on the device that owns the expert, and the other
     * devices' zero rows add nothing.
     */
    @ParameterizedTest(name = "{0} ranks on {1} GPUs")
    @CsvSource({"2, 2", "4, 2", "3, 3"})
    void expertParallelRanksOnSeveralGpusGiveTheLogitsOfOne(int ranks, int devices) throws Exception {
        DeepSeekModel model = load(ModelPreset.TINY, "bf16");
        int vocab = model.spec().vocabSize();
        PagedSequences oneCaches = new PagedSequences(model, 32);
        PagedSequences manyCaches = new PagedSequences(model, 32);
        try (CudaRunner one = emulated(model, oneCaches);
             CudaRunner many = emulated(model, manyCaches, new ExpertParallelConfig(ranks, List.of()), devices)) {
            PagedLatentCache[] oneSeq = {oneCaches.sequence(40), oneCaches.sequence(40)};
            PagedLatentCache[] manySeq = {manyCaches.sequence(40), manyCaches.sequence(40)};
            int[] a = new SplittableRandom(5).ints(23, 0, vocab).toArray();
            float[] oneLogits = new float[32 * vocab];
            float[] manyLogits = new float[32 * vocab];
            one.forward(new StepBatch().add(a, 0, 23, 0, oneSeq[0], Path.NAIVE, true).add(a, 3, 9, 0, oneSeq[1], Path.NAIVE, false), oneLogits);
            many.forward(new StepBatch().add(a, 0, 23, 0, manySeq[0], Path.NAIVE, true).add(a, 3, 9, 0, manySeq[1], Path.NAIVE, false),
                    manyLogits);
            assertThat(manyLogits).containsExactly(oneLogits);
            for (int step = 0; step < 3; step++) {
                int[] next = {argmax(oneLogits, 0, vocab), argmax(oneLogits, vocab, vocab)};
                one.forward(new StepBatch().add(next, 0, 1, 23 + step, oneSeq[0], Path.ABSORBED, false)
                        .add(next, 1, 1, 9 + step, oneSeq[1], Path.ABSORBED, false), oneLogits);
                many.forward(new StepBatch().add(next, 0, 1, 23 + step, manySeq[0], Path.ABSORBED, false)
                        .add(next, 1, 1, 9 + step, manySeq[1], Path.ABSORBED, false), manyLogits);
                assertThat(manyLogits).as("decode step %d", step).containsExactly(oneLogits);
            }
            assertThat(many.expertLoad().tokensPerRank()).hasSize(ranks);
            assertThat(Arrays.stream(many.expertLoad().tokensPerRank()).filter(n -> n > 0).count()).as("ranks given work").isGreaterThan(1);
        }
    }

    /**
     * f32 weights: every product is f32 on both sides, so the logits differ by summation order only.
     * bf16 and FP8: prefill products on (emulated) tensor cores round activations to bf16, which
     * also moves the cache rows later steps read.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"TINY, f32, 1e-4", "TINY, bf16, 3e-2", "TINY, fp8, 3e-2", "TINY_V2, f32, 1e-4", "TINY_V2, bf16, 3e-2"})
    void prefillAndDecodeAgreeWithTheCpuBackend(ModelPreset preset, String dtype, double tolerance) throws Exception {
        DeepSeekModel model = load(preset, dtype);
        int vocab = model.spec().vocabSize();
        PagedSequences cpuCaches = new PagedSequences(model, 32);
        PagedSequences gpuCaches = new PagedSequences(model, 32);
        try (ModelRunner cpu = new CpuRunner(model, 1, ExpertParallelConfig.SINGLE); CudaRunner gpu = emulated(model, gpuCaches)) {
            // Two sequences: one prefills in two chunks, the other joins with its own prompt; then both decode together.
            PagedLatentCache[] cpuSeq = {cpuCaches.sequence(48), cpuCaches.sequence(48)};
            PagedLatentCache[] gpuSeq = {gpuCaches.sequence(48), gpuCaches.sequence(48)};
            SplittableRandom random = new SplittableRandom(41);
            int[] a = random.ints(30, 0, vocab).toArray();
            int[] b = random.ints(11, 0, vocab).toArray();
            float[] cpuLogits = new float[64 * vocab];
            float[] gpuLogits = new float[64 * vocab];
            for (int side = 0; side < 2; side++) {
                PagedLatentCache[] seq = side == 0 ? cpuSeq : gpuSeq;
                ModelRunner runner = side == 0 ? cpu : gpu;
                runner.forward(new StepBatch().add(a, 0, 17, 0, seq[0], Path.NAIVE, true), side == 0 ? cpuLogits : gpuLogits);
            }
            assertClose(cpuLogits, gpuLogits, 17 * vocab, tolerance, "first prefill chunk, every position");

            int[] lengths = {30, 11};
            StepBatch cpuStep = new StepBatch().add(a, 17, 13, 17, cpuSeq[0], Path.NAIVE, false).add(b, 0, 11, 0, cpuSeq[1], Path.NAIVE, false);
            StepBatch gpuStep = new StepBatch().add(a, 17, 13, 17, gpuSeq[0], Path.NAIVE, false).add(b, 0, 11, 0, gpuSeq[1], Path.NAIVE, false);
            cpu.forward(cpuStep, cpuLogits);
            gpu.forward(gpuStep, gpuLogits);
            assertClose(cpuLogits, gpuLogits, 2 * vocab, tolerance, "second chunk and a new prompt in one step");

            for (int step = 0; step < 6; step++) {
                int[] next = {argmax(cpuLogits, 0, vocab), argmax(cpuLogits, vocab, vocab)};
                cpuStep.clear();
                gpuStep.clear();
                for (int s = 0; s < 2; s++) {
                    cpuStep.add(next, s, 1, lengths[s], cpuSeq[s], Path.ABSORBED, false);
                    gpuStep.add(next, s, 1, lengths[s], gpuSeq[s], Path.ABSORBED, false);
                    lengths[s]++;
                }
                cpu.forward(cpuStep, cpuLogits);
                gpu.forward(gpuStep, gpuLogits);
                assertClose(cpuLogits, gpuLogits, 2 * vocab, tolerance, "decode step " + step);
            }
            assertThat(gpu.lastStepExperts()).isPositive();
            assertThat(Arrays.stream(gpu.expertLoad().tokensPerExpert()).flatMapToLong(Arrays::stream).sum())
                    .as("token-expert assignments counted from the routing read back")
                    .isEqualTo(Arrays.stream(cpu.expertLoad().tokensPerExpert()).flatMapToLong(Arrays::stream).sum());
        }
    }

    @Test
    void aSequencesLogitsAreTheSameAloneAndInAMixedStep() throws Exception {
        DeepSeekModel model = load(ModelPreset.TINY, "bf16");
        int vocab = model.spec().vocabSize();
        PagedSequences caches = new PagedSequences(model, 64);
        try (CudaRunner gpu = emulated(model, caches)) {
            int[] mine = {3, 14, 15, 92, 65, 35, 89};
            PagedLatentCache alone = caches.sequence(16);
            float[] alonePrefill = new float[vocab];
            float[] aloneDecode = new float[vocab];
            gpu.forward(new StepBatch().add(mine, 0, mine.length, 0, alone, Path.NAIVE, false), alonePrefill);
            gpu.forward(new StepBatch().add(new int[] {79}, 0, 1, mine.length, alone, Path.ABSORBED, false), aloneDecode);

            PagedLatentCache crowded = caches.sequence(16);
            PagedLatentCache other = caches.sequence(32);
            PagedLatentCache third = caches.sequence(32);
            float[] logits = new float[16 * vocab];
            gpu.forward(new StepBatch().add(new int[] {1, 2, 3, 4, 5}, 0, 5, 0, other, Path.NAIVE, false)
                    .add(mine, 0, mine.length, 0, crowded, Path.NAIVE, false)
                    .add(new int[] {6, 7}, 0, 2, 0, third, Path.NAIVE, false), logits);
            assertThat(Arrays.copyOfRange(logits, vocab, 2 * vocab)).containsExactly(alonePrefill);

            gpu.forward(new StepBatch().add(new int[] {8}, 0, 1, 5, other, Path.ABSORBED, false)
                    .add(new int[] {9, 10, 11}, 0, 3, 2, third, Path.NAIVE, false)
                    .add(new int[] {79}, 0, 1, mine.length, crowded, Path.ABSORBED, false), logits);
            assertThat(Arrays.copyOfRange(logits, 2 * vocab, 3 * vocab)).containsExactly(aloneDecode);
        }
    }

    private static void assertClose(float[] expected, float[] actual, int n, double relative, String where) {
        double scale = 0;
        double worst = 0;
        int worstAt = 0;
        for (int i = 0; i < n; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            double diff = Math.abs(expected[i] - actual[i]);
            if (!(diff <= worst)) {
                worst = diff;
                worstAt = i;
            }
        }
        assertThat(worst).as("%s: largest difference at logit %d (CPU %s, emulated GPU %s), max |logit| %.4f", where, worstAt,
                expected[worstAt], actual[worstAt], scale).isLessThanOrEqualTo(relative * scale);
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
