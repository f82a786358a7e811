package io.streamseek.gpu.model;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.testutils.Npy;
import io.streamseek.gpu.testutils.ReferenceLogits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;


/**
 * Logits and greedy tokens against Hugging Face transformers' own DeepSeek-V2/V3 implementation,
 * on checkpoints written by {@link RandomCheckpoint}. The reference results were computed by
 * {@code src/test/python/make_golden.sh} and are read from {@code golden/}; a wrong rope layout,
 * YaRN scale, gate or dequantisation moves the logits far beyond the tolerance.
 */
class HuggingFaceReferenceTest {

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
        int[] prompt = ReferenceLogits.ints(golden.get("prompt_ids"));
        java.nio.file.Path model = dir.resolve(name);
        RandomCheckpoint.write(ModelPreset.fromName(preset).config(), model, golden.get("seed").asLong(), dtype, fp8, null);
        float[] expected = Npy.readFloat32(resource("golden/" + name + ".npy"));

        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            ReferenceLogits.assertMatches(name, ModelLoader.load(checkpoint), prompt, expected,
                    golden.get("checkpoints").get(name).get("greedy"), WORKERS);
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
}
