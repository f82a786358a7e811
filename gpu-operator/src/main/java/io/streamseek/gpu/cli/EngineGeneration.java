package io.streamseek.gpu.cli;

import io.streamseek.gpu.backend.Backend;
import io.streamseek.gpu.engine.Engine;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.engine.GenerationRequest;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.runner.StopCondition;
import io.streamseek.gpu.sampling.SamplingParams;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code infer} on a backend other than the CPU's single-sequence generator: one request through
 * an {@link Engine}, stop strings watched per token as the Flink job does.
 */
final class EngineGeneration {

    private EngineGeneration() {
    }

    static Generator.Result generate(DeepSeekModel model, Backend backend, int[] prompt, int maxTokens, SamplingParams params,
                                     int[] stopTokens, StopCondition stop, PrintStream err) throws Exception {
        EngineConfig config = EngineConfig.builder().backend(backend).maxNumSeqs(1).maxWaiting(1).build();
        try (Engine engine = new Engine(model, config)) {
            err.println("infer: " + engine.backendDescription());
            int[] generated = new int[Math.max(1, maxTokens)];
            int[] count = {0};
            AtomicBoolean stopString = new AtomicBoolean();
            AtomicReference<RequestHandle> handle = new AtomicReference<>();
            RequestHandle submitted = engine.submit(new GenerationRequest("infer", "cli", prompt, maxTokens, params, stopTokens, 0, null),
                    token -> {
                        generated[count[0]++] = token;
                        if (stop.shouldStop(generated, count[0]) && stopString.compareAndSet(false, true) && handle.get() != null) {
                            handle.get().cancel();
                        }
                    });
            handle.set(submitted);
            if (stopString.get()) {
                submitted.cancel(); // the stop string came before the handle was known
            }
            GenerationResult result = submitted.result().get(1, TimeUnit.HOURS);
            Generator.FinishReason finish = switch (result.finishReason()) {
                case STOP -> Generator.FinishReason.STOP;
                case LENGTH -> Generator.FinishReason.LENGTH;
                case CANCELLED -> {
                    if (!stopString.get()) {
                        throw new IllegalStateException("the engine cancelled the request: " + result.error());
                    }
                    yield Generator.FinishReason.STOP_STRING;
                }
                default -> throw new IllegalStateException("the request ended " + result.finishReason() + ": " + result.error());
            };
            long first = Math.max(0, result.firstTokenNanos());
            return new Generator.Result(result.tokens(), finish, first, result.totalNanos() - first);
        }
    }
}
