package io.streamseek.gpu.engine;

import io.streamseek.gpu.model.ModelSpec;
import io.streamseek.gpu.sampling.SamplingParams;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs the engine's own requests through it once before it takes any: a prefill of a few dozen
 * tokens, short prompts joining it, and decode batches that shrink one sequence at a time from
 * {@value #MAX_REQUESTS} to 1, so that every kernel variant (register tiles of 1 to 6 tokens, both attention
 * paths, the router and experts) is JIT-compiled before a caller's request, and no caller's time to
 * first token or cost shows the compilation. Sizes are small on purpose: a kernel compiles after a
 * number of loop iterations that one pass over a model's weights already gives, so a larger
 * model needs no longer warm-up, and a 16B model on two cores pays seconds, not minutes. Longer
 * prefills run the same kernels in chunks. Its prefix-cache entries are under a tenant of its own.
 */
final class Warmup {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final int MAX_REQUESTS = 8;
    /** Prompt tokens of the first request: several groups of four tokens and a remainder. */
    private static final int LONG_PROMPT = 37;
    static final String TENANT = "streamseek-warmup";

    private Warmup() {
    }

    static void run(Engine engine, ModelSpec spec, EngineConfig config) {
        long started = System.nanoTime();
        int requests = Math.min(MAX_REQUESTS, Math.min(config.maxNumSeqs(), config.maxWaiting()));
        int longPrompt = Math.max(1, Math.min(Math.min(LONG_PROMPT, config.maxTokensPerStep()), spec.maxPositions() / 2));
        List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
        int promptTokens = 0;
        for (int i = 0; i < requests; i++) {
            int length = i == 0 ? longPrompt : Math.min(i, Math.max(1, spec.maxPositions() / 4));
            int[] prompt = new int[length];
            for (int t = 0; t < length; t++) {
                prompt[t] = (int) ((31L * t + 7919L * i + 1) % spec.vocabSize());
            }
            promptTokens += length;
            int maxTokens = Math.max(1, Math.min(2 + i, spec.maxPositions() - length));
            GenerationRequest request = new GenerationRequest("warmup-" + i, TENANT, prompt, maxTokens, SamplingParams.GREEDY,
                    null, 0, null);
            results.add(engine.submit(request, null).result());
        }
        int generated = 0;
        for (CompletableFuture<GenerationResult> result : results) {
            GenerationResult r = result.join();
            if (r.finishReason() == GenerationResult.FinishReason.FAILED) {
                throw new IllegalStateException("the engine's warm-up request " + r.requestId() + " failed: " + r.error());
            }
            if (r.finishReason() == GenerationResult.FinishReason.REJECTED) {
                // Limits smaller than the warm-up's shapes (a tiny cache): those shapes are never run anyway.
                LOG.info("Warm-up request {} left out: {}", r.requestId(), r.error());
            }
            generated += r.tokens().length;
        }
        LOG.info("Warm-up: {} requests, {} prompt and {} generated tokens in {} ms (kernels compiled before the first request)",
                requests, promptTokens, generated, (System.nanoTime() - started) / 1_000_000);
    }
}
