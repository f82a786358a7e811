package io.streamseek.infra.cli;

import io.streamseek.infra.bench.LatencyPlot;
import io.streamseek.infra.bench.Load;
import io.streamseek.infra.bench.PipelineBench;
import io.streamseek.infra.bench.PipelineReport;
import io.streamseek.infra.demo.DemoModels;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code ./streamseek bench-pipeline}: the pipeline's throughput and per-request latency as a
 * caller sees them ({@link PipelineBench}), beside the engine alone on the same prompts.
 */
final class BenchPipelineCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek bench-pipeline [--model DIR|FILE.gguf] [--prompts 256] [--rate R|N% | --concurrency 64] [--prompt-len 32]",
            "                                   [--max-tokens 64] [--checkpoint-interval PT1S[,PT10S,...]] [--delivery exactly-once|at-least-once]",
            "                                   [--data DIR] [--out DIR]",
            "  First the engine alone (as `bench` runs it) on the prompts at --concurrency: its capacity. Then, per checkpoint interval,",
            "  the local stack and job as `up` runs them (engine max-num-seqs = --concurrency), a producer and a read_committed consumer:",
            "    --concurrency C  a closed loop: C prompts outstanding (sent, completion not yet visible);",
            "    --rate R         an open loop: Poisson arrivals at R prompts/s; --rate 50% is half the engine's measured capacity,",
            "                     --rate 200% saturates the pipeline (its throughput ceiling).",
            "  Reports steady-state tokens/s and completions/s and the ratio to the engine alone, per request produce-to-visible",
            "  latency (p50/p90/p99) split into: to the engine, engine queue, first token, generation, commit wait, and each",
            "  interval's checkpoints (count, duration, size, from Flink's REST API). --out writes pipeline.csv and pipeline.svg.",
            "  Without --model: the demo's small random model.");

    private BenchPipelineCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = new Flags("bench-pipeline", args, Set.of("--model", "--prompts", "--rate", "--concurrency", "--prompt-len", "--max-tokens",
                "--checkpoint-interval", "--delivery", "--data", "--out"), Set.of(), USAGE);
        Path data = f.has("--data") ? Path.of(f.get("--data", "")) : Files.createTempDirectory("streamseek-bench-pipeline");
        Path model = f.has("--model") ? Path.of(f.get("--model", "")) : DemoModels.small(data, out);
        int concurrency = f.integer("--concurrency", 64);
        PipelineBench.Options options = new PipelineBench.Options(model, data, f.integer("--prompts", 256), concurrency,
                Load.parse(f.has("--rate") ? f.get("--rate", "") : null, concurrency), f.integer("--prompt-len", 32), f.integer("--max-tokens", 64),
                intervals(f.get("--checkpoint-interval", "PT1S")), f.get("--delivery", "exactly-once"));
        PipelineBench.Result result = PipelineBench.run(options, System.err);
        out.println(PipelineReport.text(result, options));
        if (f.has("--out")) {
            Path dir = Files.createDirectories(Path.of(f.get("--out", "")));
            Files.writeString(dir.resolve("pipeline.csv"), PipelineReport.csv(result.runs()));
            Files.writeString(dir.resolve("pipeline.svg"), LatencyPlot.svg(result));
            out.println("wrote " + dir.resolve("pipeline.csv") + " and " + dir.resolve("pipeline.svg"));
        }
        return 0;
    }

    static List<Duration> intervals(String list) {
        List<Duration> intervals = new ArrayList<>();
        for (String item : list.split(",")) {
            try {
                Duration d = Duration.parse(item.strip());
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("--checkpoint-interval must be positive, was '" + item.strip() + "'");
                }
                intervals.add(d);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--checkpoint-interval takes durations such as PT1S or PT0.5S, comma-separated, was '"
                        + item.strip() + "'");
            }
        }
        return intervals;
    }
}
