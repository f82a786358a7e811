package io.streamseek.gpu.loader.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.testutils.Npy;
import io.streamseek.gpu.testutils.ReferenceLogits;
import io.streamseek.gpu.testutils.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;


/**
 * Tiny GGUF checkpoints as published files have them (Q8_0 and llama.cpp's own Q4_K_M, V2-style
 * without q LoRA, V3-style with noaux_tc, the split attn_k_b/attn_v_b and the older attn_kv_b
 * layouts) give the logits Hugging Face transformers computes in f32 on their weights dequantized
 * by llama.cpp's {@code gguf} package, and the same greedy tokens (make_gguf_golden.sh). The
 * engine does not quantize activations, so the only difference left is f32 summation order.
 */
class GgufReferenceTest {

    private static final CpuWorkers WORKERS = new CpuWorkers(2);

    @TempDir
    static java.nio.file.Path dir;

    @AfterAll
    static void stop() {
        WORKERS.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-q8_0", "tiny-v2-q8_0", "tiny-v2-kv_b-q8_0", "tiny-k-q4_k_m", "tiny-k-q4_0"})
    void matchesTransformersOnTheDequantizedWeights(String name) throws IOException {
        JsonNode golden = TestResources.json("golden/gguf/golden.json");
        int[] prompt = ReferenceLogits.ints(golden.get("prompt_ids"));
        float[] expected = Npy.readFloat32(TestResources.copy(dir, "golden/gguf/" + name + ".npy"));
        try (Checkpoint checkpoint = Checkpoint.open(TestResources.copy(dir, "golden/gguf/" + name + ".gguf"))) {
            ReferenceLogits.assertMatches(name, ModelLoader.load(checkpoint), prompt, expected, golden.get("files").get(name).get("greedy"),
                    WORKERS);
        }
    }

}
