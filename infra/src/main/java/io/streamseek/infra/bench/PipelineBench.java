package io.streamseek.infra.bench;

import io.streamseek.flink.job.Delivery;
import io.streamseek.gpu.bench.ClosedLoop;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.infra.local.LocalJob;
import io.streamseek.infra.local.LocalStack;

import org.apache.flink.core.execution.JobClient;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline measured as a caller sees it. First the engine alone ({@link ClosedLoop}, as
 * {@code bench} runs it) on the prompts, tokenized as the job tokenizes them, at the engine's
 * concurrency: its throughput is the capacity the pipeline is held to. Then, for each checkpoint
 * interval, a fresh local stack and the job as {@code up} runs them, a warm-up, and the {@link Load}
 * through a {@link PipelineClient}, while a {@link CheckpointWatch} records what each checkpoint
 * took.
 */
public final class PipelineBench {

    /**
     * What to run.
     *
     * @param concurrency the engine's {@code max-num-seqs}, in the job and alone
     * @param promptLength tokens per prompt, BOS included
     * @param intervals    checkpoint intervals, one run each, in this order
     */
    public record Options(Path model, Path data, int prompts, int concurrency, Load load, int promptLength, int maxTokens,
                          List<Duration> intervals, String delivery) {
        public Options {
            if (prompts < 10) {
                throw new IllegalArgumentException("--prompts must be at least 10 (a steady state needs some), was " + prompts);
            }
            if (concurrency < 1 || promptLength < 1 || maxTokens < 1) {
                throw new IllegalArgumentException("--concurrency, --prompt-len and --max-tokens must be at least 1");
            }
            if (intervals.isEmpty()) {
                throw new IllegalArgumentException("at least one --checkpoint-interval");
            }
            intervals = List.copyOf(intervals);
            Delivery.of(delivery); // a bad value fails here, not minutes later when the job is built
        }
    }

    /** The engine alone. */
    public record Engine(double tokensPerSecond, double completionsPerSecond) {
    }

    /**
     * One run of the pipeline at one checkpoint interval; {@code requests} in the order their
     * completions became visible.
     */
    public record Run(Duration interval, Load load, List<RequestLatency> requests, double tokensPerSecond, double completionsPerSecond,
                      CheckpointWatch.Stats checkpoints) {
    }

    public record Result(Engine engine, List<Run> runs, double meanPromptTokens) {
        public double ratio(Run run) {
            return run.tokensPerSecond() / engine.tokensPerSecond();
        }
    }

    private static final int WARM_UP = 8;

    private PipelineBench() {
    }

    public static Result run(Options o, PrintStream progress) throws Exception {
        List<String> texts;
        List<int[]> tokens;
        Engine engine;
        try (Checkpoint checkpoint = Checkpoint.open(o.model()); Tokenizer tokenizer = Tokenizer.load(o.model())) {
            texts = BenchPrompts.of(o.prompts(), o.promptLength(), tokenizer);
            tokens = texts.stream().map(t -> tokenizer.encode(t, true)).toList();
            progress.printf("the engine alone on %d prompts at concurrency %d (no Kafka, no Flink)...%n", texts.size(), o.concurrency());
            DeepSeekModel model = ModelLoader.load(checkpoint);
            EngineConfig config = EngineConfig.builder().maxNumSeqs(o.concurrency()).maxWaiting(maxWaiting(o)).build();
            ClosedLoop.run(model, config, o.concurrency(), tokens.subList(0, Math.min(WARM_UP, tokens.size())), o.maxTokens(), done -> { });
            ClosedLoop.Result alone = ClosedLoop.run(model, config, o.concurrency(), tokens, o.maxTokens(), done -> { });
            engine = new Engine(alone.tokensPerSecond(), texts.size() / alone.seconds());
        }
        Load load = o.load() instanceof Load.CapacityShare share ? share.of(engine.completionsPerSecond()) : o.load();

        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < o.intervals().size(); i++) {
            Duration interval = o.intervals().get(i);
            progress.printf("the pipeline, checkpoint interval %s, %s...%n", interval, load.describe());
            runs.add(pipeline(o, interval, load, texts, o.data().resolve("interval-" + i), progress));
        }
        return new Result(engine, runs, tokens.stream().mapToInt(t -> t.length).average().orElse(0));
    }

    private static Run pipeline(Options o, Duration interval, Load load, List<String> texts, Path data, PrintStream progress) throws Exception {
        try (LocalStack stack = LocalStack.start(data, 0, 0)) {
            int webPort = freePort();
            JobClient job = LocalJob.submit(stack, o.model(), webPort, freePort(), "streamseek-bench-pipeline", null, Map.of(
                    "streamseek.checkpoint.interval", interval.toMillis() + " ms",
                    "streamseek.delivery", o.delivery(),
                    "streamseek.engine.max-num-seqs", Integer.toString(o.concurrency()),
                    "streamseek.engine.max-waiting", Integer.toString(maxWaiting(o)),
                    // Twice the engine's batch in flight, so that a finished sequence's place is taken at the next step.
                    "streamseek.inference.capacity", Integer.toString(2 * o.concurrency())));
            try (CheckpointWatch checkpoints = new CheckpointWatch("http://127.0.0.1:" + webPort, job.getJobID().toHexString())) {
                progress.println("  warming up (the engine loads on the first prompt)...");
                PipelineClient.run(stack, texts.subList(0, Math.min(WARM_UP, texts.size())), "warm-", new Load.Outstanding(WARM_UP),
                        o.maxTokens(), null);
                List<RequestLatency> requests = PipelineClient.run(stack, texts, "bench-", load, o.maxTokens(), progress);
                double[] steady = steadyState(requests);
                double from = requests.stream().mapToDouble(RequestLatency::sentMs).min().orElse(0);
                double to = requests.get(requests.size() - 1).visibleMs();
                return new Run(interval, load, requests, steady[0], steady[1], checkpoints.between(from, to));
            } finally {
                job.cancel().get(2, TimeUnit.MINUTES);
            }
        }
    }

    private static int maxWaiting(Options o) {
        return Math.max(256, 2 * o.concurrency());
    }

    /**
     * Tokens and completions per second between the 10th and the 90th percentile of visibility:
     * neither the ramp-up nor the tail, where fewer than {@code concurrency} requests are left.
     */
    static double[] steadyState(List<RequestLatency> byVisibility) {
        int from = byVisibility.size() / 10;
        int to = Math.max(from + 1, byVisibility.size() * 9 / 10);
        double seconds = (byVisibility.get(to - 1).visibleMs() - byVisibility.get(from).visibleMs()) / 1000;
        long tokens = 0;
        for (int i = from + 1; i < to; i++) {
            tokens += byVisibility.get(i).completionTokens();
        }
        return seconds <= 0 ? new double[] {0, 0} : new double[] {tokens / seconds, (to - from - 1) / seconds};
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
