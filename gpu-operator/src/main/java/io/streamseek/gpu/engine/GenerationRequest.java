package io.streamseek.gpu.engine;

import io.streamseek.gpu.sampling.SamplingParams;

import java.time.Instant;

/**
 * One request to the engine.
 *
 * @param requestId the caller's id, returned with the result
 * @param tenantId the tenant: prefix-cache isolation boundary
 * @param promptTokens the prompt's token ids
 * @param maxTokens most tokens to generate
 * @param sampling how tokens are chosen (seeded: a replay gives the same tokens)
 * @param stopTokens ids that end generation
 * @param priority higher is scheduled first among waiting requests
 * @param deadline when the result stops being useful; null for none
 */
public record GenerationRequest(String requestId, String tenantId, int[] promptTokens, int maxTokens, SamplingParams sampling,
                                int[] stopTokens, int priority, Instant deadline) {

    public GenerationRequest {
        if (promptTokens == null || promptTokens.length == 0) {
            throw new IllegalArgumentException("request " + requestId + ": the prompt is empty");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("request " + requestId + ": max_tokens must be at least 1, was " + maxTokens);
        }
        promptTokens = promptTokens.clone();
        stopTokens = stopTokens == null ? new int[0] : stopTokens.clone();
    }
}
