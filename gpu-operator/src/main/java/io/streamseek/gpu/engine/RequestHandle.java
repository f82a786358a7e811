package io.streamseek.gpu.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted request: its future result, and a way to cancel it. */
public final class RequestHandle {

    private final String requestId;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    RequestHandle(String requestId) {
        this.requestId = requestId;
    }

    public String requestId() {
        return requestId;
    }

    /** Completes once, with every outcome, including rejection, cancellation and timeout. */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Asks the engine to stop the request; it completes with CANCELLED at the next step. */
    public void cancel() {
        cancelled = true;
    }

    boolean isCancelled() {
        return cancelled;
    }

    void complete(GenerationResult outcome) {
        result.complete(outcome);
    }
}
