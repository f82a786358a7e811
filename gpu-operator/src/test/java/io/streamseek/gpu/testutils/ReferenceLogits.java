package io.streamseek.gpu.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.sampling.SamplingParams;

import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reference tests' one check: a model's logits at every prompt position, on both attention
 * paths, within a bound of golden logits relative to the largest, and its greedy continuation equal
 * to the golden one.
 */
public final class ReferenceLogits {

    /** The bar: within 1e-4 of the largest logit. */
    public static final float TOLERANCE = 1e-4f;

    private ReferenceLogits() {
    }

    public static void assertMatches(String name, DeepSeekModel model, int[] prompt, float[] expected, JsonNode greedy, CpuWorkers workers) {
        int vocab = model.spec().vocabSize();
        assertThat(expected).hasSize(prompt.length * vocab);
        float maxLogit = 0f;
        for (float v : expected) {
            maxLogit = Math.max(maxLogit, Math.abs(v));
        }
        for (Path path : Path.values()) {
            float[] logits = new float[prompt.length * vocab];
            model.forward(prompt, 0, prompt.length, 0, new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), 64),
                    path, true, logits, model.newScratch(workers));
            float worst = 0f;
            for (int i = 0; i < logits.length; i++) {
                worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
            }
            System.out.printf("%s, %s path: largest difference %.2e of the largest logit%n", name, path, worst / maxLogit);
            assertThat(worst / maxLogit).as("%s, %s path: largest difference relative to the largest logit", name, path)
                    .isLessThan(TOLERANCE);
        }
        Generator.Result result = new Generator(model, workers).generate(prompt, 8, SamplingParams.GREEDY, new int[0], null);
        assertThat(result.tokens()).as("greedy continuation of %s", name).containsExactly(ints(greedy));
    }

    public static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
