package io.streamseek.gpu.accounting;

import java.math.BigDecimal;
import java.util.List;

/**
 * What one request cost, per token and in total. Work recomputed after a preemption is not billed
 * (the engine's choice, not the caller's): a request costs the same FLOPs whether or not it was
 * preempted, and prefix-cache hits are not billed at all.
 *
 * @param promptTokens prompt length
 * @param cachedPromptTokens prompt tokens served from the tenant's prefix cache
 * @param completionTokens generated tokens
 * @param queueNanos submission to first scheduled step
 * @param timeToFirstTokenNanos submission to first token; -1 if none
 * @param meanTimePerOutputTokenNanos mean gap between consecutive tokens; 0 with fewer than two
 * @param p99TimePerOutputTokenNanos 99th percentile of those gaps
 * @param deviceNanos the request's share of device time: each step's time split over its sequences by FLOPs
 * @param flops FLOPs billed: prefill (less cached tokens) and decode
 * @param bytesRead weights (by batch share) and latent cache read
 * @param peakLatentCacheBytes most bytes of latent-cache blocks the request held at once
 * @param amount {@code pricing.cost(deviceNanos)}
 * @param tokens one entry per generated token, in order
 */
public record RequestCost(int promptTokens, int cachedPromptTokens, int completionTokens, long queueNanos, long timeToFirstTokenNanos,
                          long meanTimePerOutputTokenNanos, long p99TimePerOutputTokenNanos, long deviceNanos, long flops,
                          long bytesRead, long peakLatentCacheBytes, BigDecimal amount, Pricing pricing, List<TokenCost> tokens) {

    public RequestCost {
        tokens = List.copyOf(tokens);
    }
}
