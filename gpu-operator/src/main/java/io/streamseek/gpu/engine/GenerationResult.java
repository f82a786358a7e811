package io.streamseek.gpu.engine;

import io.streamseek.gpu.accounting.RequestCost;

/**
 * How a request ended.
 *
 * @param tokens the generated ids (a stop token included)
 * @param error why it was rejected or failed; null otherwise
 * @param cachedPromptTokens prompt tokens whose cache rows came from the tenant's prefix cache
 * @param queuedNanos from submission to the first step that computed it
 * @param firstTokenNanos from submission to the first generated token; -1 if none
 * @param totalNanos from submission to the end
 * @param cost what the request cost, token by token (all zero when rejected)
 */
public record GenerationResult(String requestId, int[] tokens, FinishReason finishReason, String error, int promptTokens,
                               int cachedPromptTokens, long queuedNanos, long firstTokenNanos, long totalNanos, RequestCost cost) {

    /** Why generation ended. */
    public enum FinishReason { STOP, LENGTH, REJECTED, TIMED_OUT, CANCELLED, FAILED }
}
