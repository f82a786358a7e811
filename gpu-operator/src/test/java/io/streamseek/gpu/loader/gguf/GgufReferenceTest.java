package io.streamseek.gpu.loader.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.sampling.SamplingParams;
import io.streamseek.gpu.testutils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tiny GGUF checkpoints as published files have them (Q8_0 and llama.cpp's own Q4_K_M, V2-style
 * without q LoRA, V3-style with noaux_tc, the split attn_k_b/attn_v_b and the older attn_kv_b
 * layouts) give the logits Hugging Face transformers computes in f32 on their weights dequantized
 * by llama.cpp's {@code gguf} package, and the same greedy tokens (make_gguf_golden.sh). The
 * engine does not quantize activations, so the only difference left is f32 summation order.
 */
class GgufReferenceTest {

    /** Largest logit difference allowed, relative to the largest logit: the bound. */
    private static final float TOLERANCE = 1e-4f;
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
        JsonNode golden = golden();
        int[] prompt = ints(golden.get("prompt_ids"));
        float[] expected = Npy.readFloat32(resource("golden/gguf/" + name + ".npy"));
        try (Checkpoint checkpoint = Checkpoint.open(resource("golden/gguf/" + name + ".gguf"))) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            int vocab = model.spec().vocabSize();
            assertThat(expected).hasSize(prompt.length * vocab);
            float maxLogit = 0f;
            for (float v : expected) {
                maxLogit = Math.max(maxLogit, Math.abs(v));
            }
            for (Path path : Path.values()) {
                float[] logits = new float[prompt.length * vocab];
                model.forward(prompt, 0, prompt.length, 0, new SequenceLatentCache(model.numLayers(), model.mlaSpec().latentWidth(), 64),
                        path, true, logits, model.newScratch(WORKERS));
                float worst = 0f;
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
                }
                System.out.printf("%s, %s path: largest difference %.2e of the largest logit%n", name, path, worst / maxLogit);
                assertThat(worst / maxLogit).as("%s, %s path: largest difference relative to the largest logit", name, path)
                        .isLessThan(TOLERANCE);
            }
            Generator.Result greedy = new Generator(model, WORKERS).generate(prompt, 8, SamplingParams.GREEDY, new int[0], null);
            assertThat(greedy.tokens()).as("greedy continuation of %s", name).containsExactly(ints(golden.get("files").get(name).get("greedy")));
        }
    }

    private static JsonNode golden() throws IOException {
        try (InputStream in = GgufReferenceTest.class.getClassLoader().getResourceAsStream("golden/gguf/golden.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static java.nio.file.Path resource(String name) throws IOException {
        java.nio.file.Path target = dir.resolve(name.replace('/', '_'));
        if (!Files.exists(target)) {
            try (InputStream in = GgufReferenceTest.class.getClassLoader().getResourceAsStream(name)) {
                Files.copy(in, target);
            }
        }
        return target;
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
