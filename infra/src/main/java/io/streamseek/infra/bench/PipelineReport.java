package io.streamseek.infra.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** What {@code bench-pipeline} prints and writes: a summary row per checkpoint interval, each run's latency split, {@code pipeline.csv} ({@link LatencyPlot} draws it). */
public final class PipelineReport {

    private PipelineReport() {
    }

    public static String text(PipelineBench.Result r, PipelineBench.Options o) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%d prompts of %.0f tokens, max %d tokens each, engine max-num-seqs %d, delivery %s%n", o.prompts(),
                r.meanPromptTokens(), o.maxTokens(), o.concurrency(), o.delivery()));
        s.append(String.format(Locale.ROOT, "engine alone  %8.1f tokens/s  %6.2f completions/s (closed loop of %d, no Kafka, no Flink)%n",
                r.engine().tokensPerSecond(), r.engine().completionsPerSecond(), o.concurrency()));
        s.append("pipeline      ").append(r.runs().get(0).load().describe())
                .append("; steady state: 10th to 90th percentile of visibility\n\n");
        s.append(String.format(Locale.ROOT, "%-9s %9s %6s %8s | %9s %9s | %9s %9s | %6s %8s %8s %9s%n", "interval", "tokens/s", "ratio",
                "compl/s", "e2e p50", "e2e p99", "commit p50", "p99", "ckpts", "ms p50", "ms max", "MB p50"));
        for (PipelineBench.Run run : r.runs()) {
            double[] e2e = sorted(run.requests(), RequestLatency::endToEnd);
            double[] commit = sorted(run.requests(), RequestLatency::commitWait);
            CheckpointWatch.Stats c = run.checkpoints();
            s.append(String.format(Locale.ROOT, "%-9s %9.1f %6.2f %8.2f | %8.0fms %7.0fms | %8.0fms %7.0fms | %6s %8.0f %8d %9.2f%n",
                    interval(run.interval()), run.tokensPerSecond(), r.ratio(run), run.completionsPerSecond(), percentile(e2e, 50),
                    percentile(e2e, 99), percentile(commit, 50), percentile(commit, 99),
                    c.completed() + (c.failed() > 0 ? "/" + c.failed() + "f" : ""), c.durationP50Ms(), c.durationMaxMs(), c.bytesP50() / 1e6));
        }
        for (PipelineBench.Run run : r.runs()) {
            s.append(String.format(Locale.ROOT, "%ncheckpoint interval %s: latency (ms) %9s %9s %9s%n", interval(run.interval()), "p50", "p90", "p99"));
            row(s, "produce to visible", run.requests(), RequestLatency::endToEnd);
            row(s, "  to the engine", run.requests(), RequestLatency::toEngine);
            row(s, "  engine queue", run.requests(), RequestLatency::engineQueue);
            row(s, "  first token", run.requests(), RequestLatency::firstToken);
            row(s, "  generation", run.requests(), RequestLatency::generation);
            row(s, "  commit wait", run.requests(), RequestLatency::commitWait);
        }
        return s.toString().stripTrailing();
    }

    /** The rows of {@code pipeline.csv}, one per request and run. */
    public static String csv(List<PipelineBench.Run> runs) {
        StringBuilder csv = new StringBuilder("checkpoint_interval_ms,request_id,sent_ms,visible_ms,end_to_end_ms,to_engine_ms,engine_queue_ms,"
                + "first_token_ms,generation_ms,commit_wait_ms,completion_tokens\n");
        for (PipelineBench.Run run : runs) {
            for (RequestLatency q : run.requests()) {
                csv.append(String.format(Locale.ROOT, "%d,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d%n", run.interval().toMillis(), q.requestId(),
                        q.sentMs(), q.visibleMs(), q.endToEnd(), q.toEngine(), q.engineQueue(), q.firstToken(), q.generation(), q.commitWait(),
                        q.completionTokens()));
            }
        }
        return csv.toString();
    }

    private static String interval(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void row(StringBuilder s, String name, List<RequestLatency> requests, ToDoubleFunction<RequestLatency> part) {
        double[] v = sorted(requests, part);
        s.append(String.format(Locale.ROOT, "  %-34s %9.1f %9.1f %9.1f%n", name, percentile(v, 50), percentile(v, 90), percentile(v, 99)));
    }

    private static double[] sorted(List<RequestLatency> requests, ToDoubleFunction<RequestLatency> part) {
        return requests.stream().mapToDouble(part).sorted().toArray();
    }

    /** The nearest-rank percentile. */
    static double percentile(double[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
