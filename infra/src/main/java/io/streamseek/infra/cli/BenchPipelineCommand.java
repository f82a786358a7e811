package io.streamseek.infra.cli;

import io.streamseek.infra.bench.PipelineBench;
import io.streamseek.infra.bench.RequestLatency;
import io.streamseek.infra.demo.DemoModels;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * {@code ./streamseek bench-pipeline}: the pipeline's throughput and per-request latency as a
 * caller sees them ({@link PipelineBench}), beside the engine alone on the same prompts.
 */
final class BenchPipelineCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek bench-pipeline [--model DIR] [--prompts 256] [--concurrency 64] [--prompt-words 64] [--max-tokens 32]",
            "                                   [--checkpoint-interval PT1S] [--delivery exactly-once|at-least-once] [--data DIR] [--out DIR]",
            "  The local stack and job as `up` runs them; a producer keeps --concurrency prompts outstanding, a read_committed consumer",
            "  sees each completion. Reports steady-state tokens/s and completions/s, and per request produce-to-visible latency",
            "  (p50/p90/p99) split into: to the engine, engine queue, first token, generation, commit wait. Then the engine alone",
            "  (as `bench` runs it) on the same prompts at the same concurrency, and the ratio. --out writes pipeline.csv.",
            "  Without --model: the demo's small random model.");

    private BenchPipelineCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = new Flags("bench-pipeline", args, Set.of("--model", "--prompts", "--concurrency", "--prompt-words", "--max-tokens",
                "--checkpoint-interval", "--delivery", "--data", "--out"), Set.of(), USAGE);
        Path data = f.has("--data") ? Path.of(f.get("--data", "")) : Files.createTempDirectory("streamseek-bench-pipeline");
        Path model = f.has("--model") ? Path.of(f.get("--model", "")) : DemoModels.small(data, out);
        Duration interval;
        try {
            interval = Duration.parse(f.get("--checkpoint-interval", "PT1S"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--checkpoint-interval takes a duration such as PT1S or PT0.5S, was '"
                    + f.get("--checkpoint-interval", "") + "'");
        }
        int prompts = f.integer("--prompts", 256);
        int concurrency = f.integer("--concurrency", 64);
        if (prompts < 10 || concurrency < 1) {
            throw new IllegalArgumentException("--prompts must be at least 10 (a steady state needs some) and --concurrency at least 1");
        }
        PipelineBench.Options options = new PipelineBench.Options(model, data, prompts, concurrency, f.integer("--prompt-words", 64),
                f.integer("--max-tokens", 32), interval, f.get("--delivery", "exactly-once"));
        PipelineBench.Result result = PipelineBench.run(options, System.err);
        out.println(report(result, options));
        if (f.has("--out")) {
            Path dir = Files.createDirectories(Path.of(f.get("--out", "")));
            Files.writeString(dir.resolve("pipeline.csv"), csv(result.requests()));
            out.println("wrote " + dir.resolve("pipeline.csv"));
        }
        return 0;
    }

    static String report(PipelineBench.Result r, PipelineBench.Options o) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%d prompts, concurrency %d, max %d tokens, checkpoint interval %s, delivery %s%n", o.prompts(),
                o.concurrency(), o.maxTokens(), o.checkpointInterval(), o.delivery()));
        s.append(String.format(Locale.ROOT, "pipeline  %8.1f tokens/s  %6.2f completions/s (steady state: 10th to 90th percentile of visibility)%n",
                r.pipelineTokensPerSecond(), r.pipelineCompletionsPerSecond()));
        s.append(String.format(Locale.ROOT, "engine    %8.1f tokens/s  (the same prompts, concurrency %d, no Kafka, no Flink)%n",
                r.engineTokensPerSecond(), o.concurrency()));
        s.append(String.format(Locale.ROOT, "ratio     %8.2f%n", r.ratio()));
        s.append(String.format(Locale.ROOT, "%-18s %9s %9s %9s%n", "latency (ms)", "p50", "p90", "p99"));
        row(s, "produce to visible", r.requests(), RequestLatency::endToEnd);
        row(s, "  to the engine", r.requests(), RequestLatency::toEngine);
        row(s, "  engine queue", r.requests(), RequestLatency::engineQueue);
        row(s, "  first token", r.requests(), RequestLatency::firstToken);
        row(s, "  generation", r.requests(), RequestLatency::generation);
        row(s, "  commit wait", r.requests(), RequestLatency::commitWait);
        return s.toString().stripTrailing();
    }

    private static void row(StringBuilder s, String name, List<RequestLatency> requests, ToDoubleFunction<RequestLatency> part) {
        double[] v = requests.stream().mapToDouble(part).sorted().toArray();
        s.append(String.format(Locale.ROOT, "%-18s %9.1f %9.1f %9.1f%n", name, percentile(v, 50), percentile(v, 90), percentile(v, 99)));
    }

    static double percentile(double[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static String csv(List<RequestLatency> requests) {
        StringBuilder csv = new StringBuilder("request_id,sent_ms,visible_ms,end_to_end_ms,to_engine_ms,engine_queue_ms,first_token_ms,"
                + "generation_ms,commit_wait_ms,completion_tokens\n");
        for (RequestLatency r : requests) {
            csv.append(String.format(Locale.ROOT, "%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d%n", r.requestId(), r.sentMs(), r.visibleMs(),
                    r.endToEnd(), r.toEngine(), r.engineQueue(), r.firstToken(), r.generation(), r.commitWait(), r.completionTokens()));
        }
        return csv.toString();
    }
}
