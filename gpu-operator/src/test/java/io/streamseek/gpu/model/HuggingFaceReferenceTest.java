package io.streamseek.gpu.model;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.testutils.Npy;
import io.streamseek.gpu.testutils.ReferenceLogits;
import io.streamseek.gpu.testutils.TestResources;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;


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
        JsonNode golden = TestResources.json("golden/golden.json");
        int[] prompt = ReferenceLogits.ints(golden.get("prompt_ids"));
        java.nio.file.Path model = dir.resolve(name);
        RandomCheckpoint.write(ModelPreset.fromName(preset).config(), model, golden.get("seed").asLong(), dtype, fp8, null);
        float[] expected = Npy.readFloat32(TestResources.copy(dir, "golden/" + name + ".npy"));

        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            ReferenceLogits.assertMatches(name, ModelLoader.load(checkpoint), prompt, expected,
                    golden.get("checkpoints").get(name).get("greedy"), WORKERS);
        }
    }

}
