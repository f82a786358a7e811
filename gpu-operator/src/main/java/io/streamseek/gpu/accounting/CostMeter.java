package io.streamseek.gpu.accounting;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Accumulates one request's cost, step by step, on the engine's step thread. Positions computed a
 * second time (after a preemption) are not billed: {@link #billable} returns only what is new.
 */
public final class CostMeter {

    private final List<TokenCost> tokens = new ArrayList<>();
    private long[] tokenTimes = new long[16];
    private int billedUpTo;
    private long flops;
    private long bytesRead;
    private long deviceNanos;
    private long peakCacheBytes;

    /**
     * FLOPs of the positions of {@code [from, from + count)} never billed before, and marks them billed.
     *
     * @param absorbed the attention path of those positions
     * @param logits whether the last position yields logits
     */
    public long billable(FlopModel model, int from, int count, boolean absorbed, boolean logits) {
        int end = from + count;
        long billed = model.rangeFlops(Math.max(from, billedUpTo), end, absorbed, logits);
        billedUpTo = Math.max(billedUpTo, end);
        flops += billed;
        return billed;
    }

    /** Adds this request's share of a step. */
    public void charge(long nanos, long bytes) {
        deviceNanos += nanos;
        bytesRead += bytes;
    }

    /** Records a generated token, emitted at {@code nanoTime}. */
    public void token(TokenCost cost, long nanoTime) {
        if (tokens.size() == tokenTimes.length) {
            tokenTimes = Arrays.copyOf(tokenTimes, 2 * tokenTimes.length);
        }
        tokenTimes[tokens.size()] = nanoTime;
        tokens.add(cost);
    }

    /** Notes the cache bytes the request holds now. */
    public void holding(long cacheBytes) {
        peakCacheBytes = Math.max(peakCacheBytes, cacheBytes);
    }

    public long deviceNanos() {
        return deviceNanos;
    }

    public RequestCost result(int promptTokens, int cachedPromptTokens, long queueNanos, long timeToFirstTokenNanos, Pricing pricing) {
        int n = tokens.size();
        long mean = 0;
        long p99 = 0;
        if (n > 1) {
            long[] gaps = new long[n - 1];
            for (int i = 1; i < n; i++) {
                gaps[i - 1] = tokenTimes[i] - tokenTimes[i - 1];
            }
            mean = (tokenTimes[n - 1] - tokenTimes[0]) / (n - 1);
            Arrays.sort(gaps);
            p99 = gaps[(int) Math.ceil(0.99 * gaps.length) - 1];
        }
        return new RequestCost(promptTokens, cachedPromptTokens, n, queueNanos, timeToFirstTokenNanos, mean, p99, deviceNanos, flops,
                bytesRead, peakCacheBytes, pricing.cost(deviceNanos), pricing, tokens);
    }
}
