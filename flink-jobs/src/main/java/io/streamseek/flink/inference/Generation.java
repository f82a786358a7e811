package io.streamseek.flink.inference;

import io.streamseek.gpu.engine.EngineBusyException;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.gpu.engine.TokenListener;
import io.streamseek.gpu.runner.StopStrings;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One accepted request running in a {@link ServedModel}'s engine, as both operators run it (the
 * DataStream job's {@link InferenceFunction} and the SQL model provider): it waits for room in the
 * engine ({@link ServedModel#admission}: backpressure instead of a queue), watches the decoded text
 * for the request's stop strings and cancels at the first one, and completes with the text,
 * decoded, a stop string cut.
 */
public final class Generation {

    /** What the engine gave, with its text decoded. */
    public record Generated(GenerationResult result, String text, boolean stoppedByString) {
    }

    private final RequestHandle handle;
    private final CompletableFuture<Generated> generated;

    private Generation(RequestHandle handle, CompletableFuture<Generated> generated) {
        this.handle = handle;
        this.generated = generated;
    }

    /**
     * Submits {@code accepted}, first waiting (blocking the caller) for room in the engine. The
     * room is given back when the engine is done with the request, whatever the outcome.
     */
    public static Generation start(ServedModel served, RequestPreparer.Accepted accepted) throws InterruptedException {
        served.admission().acquire();
        StopListener listener = new StopListener(served, accepted.stopStrings());
        RequestHandle handle;
        try {
            handle = submit(served, accepted, listener);
        } catch (RuntimeException | InterruptedException e) {
            served.admission().release();
            throw e;
        }
        listener.attach(handle);
        served.totals().submitted(System.nanoTime());
        CompletableFuture<Generated> generated = handle.result().handle((result, error) -> {
            served.admission().release();
            if (error != null) {
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            served.totals().completed(result.tokens().length, System.nanoTime());
            String text = served.tokenizer().decode(result.tokens(), true);
            boolean byString = listener.stopped.get() && result.finishReason() == GenerationResult.FinishReason.CANCELLED;
            return new Generated(result, byString ? listener.stops.cut(text) : text, byString);
        });
        return new Generation(handle, generated);
    }

    /** Submits, waiting out the rare busy engine (another job sharing it took the room this one was given). */
    private static RequestHandle submit(ServedModel served, RequestPreparer.Accepted accepted, TokenListener listener)
            throws InterruptedException {
        while (true) {
            try {
                return served.engine().submit(accepted.request(), listener);
            } catch (EngineBusyException busy) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
        }
    }

    public RequestHandle handle() {
        return handle;
    }

    /** Completes when the engine is done; exceptionally, with the engine's error as the cause, if it failed. */
    public CompletableFuture<Generated> generated() {
        return generated;
    }

    /** Watches the decoded text for the request's stop strings and cancels the request at the first one. */
    private static final class StopListener implements TokenListener {
        final StopStrings stops;
        final AtomicBoolean stopped = new AtomicBoolean();
        private int[] tokens = new int[16];
        private int count;
        private volatile RequestHandle handle;

        StopListener(ServedModel served, List<String> stopStrings) {
            this.stops = new StopStrings(stopStrings, ids -> served.tokenizer().decode(ids, true));
        }

        void attach(RequestHandle handle) {
            this.handle = handle;
            if (stopped.get()) {
                handle.cancel();
            }
        }

        @Override
        public void onToken(int token) {
            if (count == tokens.length) {
                tokens = Arrays.copyOf(tokens, 2 * count);
            }
            tokens[count++] = token;
            if (!stopped.get() && stops.shouldStop(tokens, count)) {
                stopped.set(true);
                RequestHandle h = handle;
                if (h != null) {
                    h.cancel();
                }
            }
        }
    }
}
