package io.streamseek.flink.inference;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one loaded model has served: requests, generated tokens, and the span from the first
 * submission to the last completion. That span is the engine's own throughput window, the one
 * {@code ./streamseek bench} measures, without the job's planning, start-up and model load.
 */
public final class ServedTotals {

    /** The totals at one moment; {@code seconds} is 0 until a request has completed. */
    public record Snapshot(long requests, long generatedTokens, double seconds) {

        public double generatedTokensPerSecond() {
            return seconds > 0 ? generatedTokens / seconds : 0;
        }

        @Override
        public String toString() {
            return String.format("%d requests, %d generated tokens in %.1f s from the first request to the last completion"
                    + " (%.1f generated tokens/s)", requests, generatedTokens, seconds, generatedTokensPerSecond());
        }
    }

    private final LongAdder requests = new LongAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final AtomicLong firstSubmitted = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastCompleted = new AtomicLong(Long.MIN_VALUE);

    void submitted(long nanos) {
        requests.increment();
        firstSubmitted.accumulateAndGet(nanos, Math::min);
    }

    void completed(int tokens, long nanos) {
        generatedTokens.add(tokens);
        lastCompleted.accumulateAndGet(nanos, Math::max);
    }

    public Snapshot snapshot() {
        long first = firstSubmitted.get();
        long last = lastCompleted.get();
        return new Snapshot(requests.sum(), generatedTokens.sum(), last > first ? (last - first) / 1e9 : 0);
    }
}
