package io.streamseek.gpu.bench;

import io.streamseek.gpu.engine.Engine;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.engine.GenerationRequest;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.sampling.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The engine serving a closed loop: {@code concurrency} requests in flight, a new one submitted as
 * soon as one ends, greedy, until every prompt is done. What {@code bench} measures per level, and
 * what {@code bench-pipeline} compares the whole pipeline with, on the same prompts.
 */
public final class ClosedLoop {

    /**
     * @param generated tokens generated in all
     * @param ttftMs per request, milliseconds from admission to the first token
     * @param tpotMs per request of more than one token, milliseconds per token after the first
     */
    public record Result(double seconds, long generated, long flops, List<Double> ttftMs, List<Double> tpotMs, double expertImbalance,
                         String backend) {
        public double tokensPerSecond() {
            return generated / seconds;
        }
    }

    private ClosedLoop() {
    }

    /** Serves {@code prompts} (token ids), {@code maxTokens} each; {@code progress} gets the count done after each. */
    public static Result run(DeepSeekModel model, EngineConfig config, int concurrency, List<int[]> prompts, int maxTokens,
                             IntConsumer progress) throws Exception {
        List<Double> ttft = new ArrayList<>();
        List<Double> tpot = new ArrayList<>();
        long generated = 0;
        long flops = 0;
        long started = System.nanoTime();
        try (Engine engine = new Engine(model, config)) {
            List<RequestHandle> inFlight = new ArrayList<>();
            int submitted = 0;
            int done = 0;
            while (done < prompts.size()) {
                while (inFlight.size() < concurrency && submitted < prompts.size()) {
                    inFlight.add(engine.submit(new GenerationRequest("bench-" + submitted, "bench", prompts.get(submitted), maxTokens,
                            SamplingParams.GREEDY, new int[0], 0, null), null));
                    submitted++;
                }
                GenerationResult result = inFlight.remove(0).result().get(10, TimeUnit.MINUTES);
                done++;
                generated += result.tokens().length;
                flops += result.cost().flops();
                ttft.add(result.firstTokenNanos() / 1e6);
                if (result.tokens().length > 1) {
                    tpot.add((result.totalNanos() - result.firstTokenNanos()) / 1e6 / (result.tokens().length - 1));
                }
                progress.accept(done);
            }
            return new Result((System.nanoTime() - started) / 1e9, generated, flops, ttft, tpot, engine.expertLoad().expertImbalance(),
                    engine.backendDescription());
        }
    }
}
