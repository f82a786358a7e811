package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.sampling.SamplingParams;
import io.streamseek.gpu.testutils.Npy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logits and greedy tokens against Hugging Face transformers' own DeepSeek-V2/V3 implementation,
 * on checkpoints written by {@link RandomCheckpoint}. The reference results were computed by
 * {@code src/test/python/make_golden.sh} and are read from {@code golden/}; a wrong rope layout,
 * YaRN scale, gate or dequantisation moves the logits far beyond the tolerance.
 */
class HuggingFaceReferenceTest {

    /** The bar: within 1e-4 of the largest logit. We measured ~1e-6. */
    private static final float TOLERANCE = 1e-4f;
    private static final CpuWorkers WORKERS = new CpuWorkers(2);

    @TempDir
    static java.nio.file.Path dir;

    @AfterAll
    static void stop() {
        WORKERS.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tiny-f32, tiny, F32, false", "tiny-bf16, tiny, BF16, false", "tiny-fp8, tiny, F32, true", "tiny-v2-f32, tiny-v2, F32, false"})
    void matchesTransformers(String name, String preset, DType dtype, boolean fp8) throws IOException {
        JsonNode golden = golden();
        int[] prompt = ints(golden.get("prompt_ids"));
        java.nio.file.Path model = dir.resolve(name);
        RandomCheckpoint.write(ModelPreset.fromName(preset).config(), model, golden.get("seed").asLong(), dtype, fp8, null);
        float[] expected = Npy.readFloat32(resource("golden/" + name + ".npy"));

        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            DeepSeekModel deepSeek = ModelLoader.load(checkpoint);
            int vocab = deepSeek.spec().vocabSize();
            assertThat(expected).hasSize(prompt.length * vocab);
            float maxLogit = 0f;
            for (float v : expected) {
                maxLogit = Math.max(maxLogit, Math.abs(v));
            }
            for (Path path : Path.values()) {
                float[] logits = new float[prompt.length * vocab];
                deepSeek.forward(prompt, 0, prompt.length, 0, new SequenceLatentCache(deepSeek.numLayers(), deepSeek.mlaSpec().latentWidth(), 64),
                        path, true, logits, deepSeek.newScratch(WORKERS));
                float worst = 0f;
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
                }
                assertThat(worst / maxLogit).as("%s, %s path: largest difference relative to the largest logit", name, path)
                        .isLessThan(TOLERANCE);
            }
            Generator.Result greedy = new Generator(deepSeek, WORKERS).generate(prompt, 8, SamplingParams.GREEDY, new int[0], null);
            assertThat(greedy.tokens()).as("greedy continuation of %s", name)
                    .containsExactly(ints(golden.get("checkpoints").get(name).get("greedy")));
        }
    }

    private static JsonNode golden() throws IOException {
        try (InputStream in = HuggingFaceReferenceTest.class.getClassLoader().getResourceAsStream("golden/golden.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static java.nio.file.Path resource(String name) throws IOException {
        java.nio.file.Path target = dir.resolve(name.replace('/', '_'));
        try (InputStream in = HuggingFaceReferenceTest.class.getClassLoader().getResourceAsStream(name)) {
            Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
