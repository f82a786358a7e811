package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.testutils.Npy;
import io.streamseek.gpu.testutils.ReferenceLogits;
import io.streamseek.gpu.testutils.TestResources;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DeepSeek-V3.2 (DeepSeek Sparse Attention) against Hugging Face transformers' own
 * {@code DeepseekV32ForCausalLM}, on the {@code tiny-v32} preset ({@code index_topk} 8): logits at
 * every position of a prompt shorter than {@code index_topk} (dense; its generation passes the
 * threshold) and of one five times longer (sparse), on both attention paths, and 8 greedy tokens.
 * The golden files come from {@code src/test/python/make_v32_golden.sh}, which also measured how
 * far a dense, a wrongly roped (interleaved) or a one-short selection moves those logits: each
 * figure is checked here to lie far beyond the tolerance, so each of those mistakes fails this test.
 */
class SparseAttentionReferenceTest {

    private static final CpuWorkers WORKERS = new CpuWorkers(2);

    @TempDir
    static java.nio.file.Path dir;

    @AfterAll
    static void stop() {
        WORKERS.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tiny-v32-f32-short, short, F32, false", "tiny-v32-f32-long, long, F32, false", "tiny-v32-bf16-long, long, BF16, false",
            "tiny-v32-fp8-long, long, F32, true"})
    void matchesTransformers(String name, String prompt, DType dtype, boolean fp8) throws IOException {
        JsonNode golden = TestResources.json("golden/v32.json");
        JsonNode run = golden.get("runs").get(name);
        try (Checkpoint checkpoint = Checkpoint.open(write(name.substring(0, name.lastIndexOf('-')), dtype, fp8))) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            ReferenceLogits.assertMatches(name, model, ReferenceLogits.ints(golden.get("prompts").get(prompt)),
                    Npy.readFloat32(TestResources.copy(dir, "golden/" + name + ".npy")), run.get("greedy"), WORKERS);
        }
        if (prompt.equals("long")) {
            JsonNode moved = run.get("sensitivity");
            for (String mistake : new String[] {"dense", "topk_minus_one", "interleaved_indexer_rope"}) {
                assertThat(moved.get(mistake).asDouble()).as("how far %s moves the logits of %s", mistake, name)
                        .isGreaterThan(100 * ReferenceLogits.TOLERANCE);
            }
        }
    }

    /**
     * The bf16 checkpoint written as a GGUF file of llama.cpp's {@code deepseek32} architecture
     * ({@code quantize --type bf16}: the same weights, the indexer's keys and tensors under GGUF's
     * names) and read back: the same reference logits and tokens.
     */
    @Test
    void aDeepseek32GgufFileReadsBackToTheReference() throws Exception {
        JsonNode golden = TestResources.json("golden/v32.json");
        java.nio.file.Path gguf = dir.resolve("tiny-v32-bf16.gguf");
        java.nio.file.Path hf = write("tiny-v32-bf16", DType.BF16, false);
        io.streamseek.gpu.tokenizer.TokenizerFiles.write(hf, ModelPreset.TINY_V32.config().vocabSize(), 64);
        io.streamseek.gpu.quantize.GgufConverter.convert(hf, gguf, io.streamseek.gpu.quantize.GgufConverter.Target.BF16, null);
        try (Checkpoint checkpoint = Checkpoint.open(gguf)) {
            assertThat(checkpoint.config().sparseAttention()).isEqualTo(ModelPreset.TINY_V32.config().sparseAttention());
            ReferenceLogits.assertMatches("tiny-v32-bf16-long (GGUF)", ModelLoader.load(checkpoint),
                    ReferenceLogits.ints(golden.get("prompts").get("long")), Npy.readFloat32(TestResources.copy(dir, "golden/tiny-v32-bf16-long.npy")),
                    golden.get("runs").get("tiny-v32-bf16-long").get("greedy"), WORKERS);
        }
    }

    /** The engine's own dense switch on the long prompt: far from the reference, as the figures say. */
    @Test
    void denseAttentionWhereSparseIsDueIsFarFromTheReference() throws IOException {
        JsonNode golden = TestResources.json("golden/v32.json");
        int[] prompt = ReferenceLogits.ints(golden.get("prompts").get("long"));
        float[] expected = Npy.readFloat32(TestResources.copy(dir, "golden/tiny-v32-f32-long.npy"));
        try (Checkpoint checkpoint = Checkpoint.open(write("tiny-v32-f32", DType.F32, false))) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            for (Path path : Path.values()) {
                ForwardScratch scratch = model.newScratch(WORKERS);
                scratch.denseAttention(true);
                float[] logits = new float[prompt.length * model.spec().vocabSize()];
                model.forward(prompt, 0, prompt.length, 0, new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 64),
                        path, true, logits, scratch);
                float worst = 0f;
                float max = 0f;
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
                    max = Math.max(max, Math.abs(expected[i]));
                }
                assertThat(worst / max).as("dense attention on the %s path", path).isGreaterThan(0.1f);
            }
        }
    }

    private static java.nio.file.Path write(String name, DType dtype, boolean fp8) throws IOException {
        java.nio.file.Path model = dir.resolve(name);
        if (!Files.exists(model.resolve("config.json"))) {
            RandomCheckpoint.write(ModelPreset.TINY_V32.config(), model, 7, dtype, fp8, null);
        }
        return model;
    }

}
