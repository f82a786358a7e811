package io.streamseek.infra.bench;

/**
 * One request's way through the pipeline, in milliseconds, split where the records say: the time
 * to reach the engine (Kafka, the source, the idempotency filter, the async operator's queue), the
 * engine's queue, its time to the first token, generation after it, and the wait for the
 * checkpoint that makes the completion visible. The parts add up to {@link #endToEnd()}.
 *
 * @param sentMs      when the producer sent the prompt (epoch millis, fractional)
 * @param visibleMs   when a read_committed consumer received the completion
 * @param producedAtMs the completion's {@code produced_at}
 * @param engineMs    {@code timings.total_ms}: admission to the engine until the request ended
 * @param queuedMs    {@code timings.queued_ms}
 * @param ttftMs      {@code timings.time_to_first_token_ms} (from admission), or {@code engineMs} when no token was generated
 */
public record RequestLatency(String requestId, double sentMs, double visibleMs, long producedAtMs, long engineMs, long queuedMs, long ttftMs,
                             int completionTokens) {

    /** Produce to visible. */
    public double endToEnd() {
        return visibleMs - sentMs;
    }

    /** From {@code produced_at} to visible: the checkpoint's share. */
    public double commitWait() {
        return Math.max(0, visibleMs - producedAtMs);
    }

    /**
     * Produce until the engine admitted it: what is left of the end-to-end time. The records carry
     * whole milliseconds, so it may come out a millisecond below zero; it is then 0.
     */
    public double toEngine() {
        return Math.max(0, endToEnd() - commitWait() - engineMs);
    }

    public double engineQueue() {
        return queuedMs;
    }

    /** Admission's first compute step to the first token. */
    public double firstToken() {
        return Math.max(0, ttftMs - queuedMs);
    }

    /** First token to the end of the request. */
    public double generation() {
        return Math.max(0, engineMs - ttftMs);
    }
}
