package io.streamseek.gpu.cli;

import io.streamseek.gpu.bench.ClosedLoop;
import io.streamseek.gpu.bench.InvarianceCost;
import io.streamseek.gpu.bench.PeakFlops;
import io.streamseek.gpu.backend.Backend;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code bench --model DIR [--concurrency 1,8,32,64] [--prompt-len N] [--max-tokens N] [--requests N] [--out DIR]}:
 * serving throughput and latency of the engine with continuous batching, per concurrency level.
 */
final class BenchCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek bench --model DIR [--concurrency 1,8,32,64] [--prompt-len N] [--max-tokens N] [--requests N] [--out DIR]",
            "  Keeps C requests in flight for each concurrency level C and reports throughput (generated tokens/s),",
            "  TTFT and TPOT p50/p99 and latent-cache bytes per token; --out writes DIR/bench.csv and DIR/bench.png.",
            "  --prompt-len N   prompt tokens per request (default 64)",
            "  --max-tokens N   generated tokens per request (default 32)",
            "  --requests N     requests per level (default: 2 x concurrency, at least 16: a steady state, not the first requests alone)",
            "  --ep N           expert-parallel ranks (default 1); --ep-replicas EXPERT@RANK,... adds redundant experts",
            "  --backend B      auto, cpu or cuda (default auto: CUDA when a usable NVIDIA GPU is present)",
            "  A short warm-up runs first, so that no level pays for JIT compilation.",
            "  Then, per level, what batch invariance costs: the decode step's weight products timed in the layout the",
            "  engine keeps for every batch size, and in whichever layout is faster for that batch (--no-invariance-cost skips it).");

    private BenchCommand() {
    }

    /** One concurrency level's figures. */
    record Row(int concurrency, double tokensPerSecond, double ttftP50, double ttftP99, double tpotP50, double tpotP99, long cacheBytesPerToken,
               double gflops, double expertImbalance, String backend) {

        boolean onGpu() {
            return backend.startsWith("cuda");
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse("bench", args, 1, Set.of("--model", "--concurrency", "--prompt-len", "--max-tokens", "--requests", "--out", "--ep", "--ep-replicas", "--backend"),
                Set.of("--help", "--no-invariance-cost"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        int[] levels;
        try {
            levels = Arrays.stream(a.get("--concurrency", "1,8,32,64").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new Args.UsageException("bench: --concurrency must be comma-separated integers");
        }
        int promptLen = (int) a.getLong("--prompt-len", 64);
        int maxTokens = (int) a.getLong("--max-tokens", 32);
        ExpertParallelConfig ep = ExpertParallelConfig.parse((int) a.getLong("--ep", 1), a.get("--ep-replicas", null));
        Backend backend;
        try {
            backend = Backend.fromName(a.get("--backend", "auto"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("bench: " + e.getMessage());
        }
        List<Row> rows = new ArrayList<>();
        List<InvarianceCost.Result> invariance = new ArrayList<>();
        long mlaBytesPerToken;
        long mhaBytesPerToken;
        try (Checkpoint checkpoint = Checkpoint.open(Path.of(a.required("--model")))) {
            long loadStarted = System.nanoTime();
            DeepSeekModel model = ModelLoader.load(checkpoint);
            out.printf(java.util.Locale.ROOT, "loaded %s in %.1f s (%.0f MB of weights in the heap)%n", checkpoint.path(),
                    (System.nanoTime() - loadStarted) / 1e9, checkpoint.tensorBytes() / 1e6);
            mlaBytesPerToken = 4L * model.mlaSpec().cacheRowWidth() * model.numLayers();
            mhaBytesPerToken = 4L * model.mlaSpec().multiHeadCacheWidth() * model.numLayers();
            err.println("warming up...");
            // Both the batched and the single-sequence paths, so that no level pays for their compilation.
            level(model, config(4, 8, ep, backend), 4, 8, promptLen, Math.min(maxTokens, 16), mlaBytesPerToken, null);
            level(model, config(1, 2, ep, backend), 1, 2, promptLen, Math.min(maxTokens, 32), mlaBytesPerToken, null);
            for (int concurrency : levels) {
                int requests = (int) a.getLong("--requests", Math.max(16, 2L * concurrency));
                rows.add(level(model, config(concurrency, requests, ep, backend), concurrency, requests, promptLen, maxTokens, mlaBytesPerToken, err));
            }
            // The invariance cost compares the CPU kernels' two layouts: it says nothing about a GPU run.
            if (!a.has("--no-invariance-cost") && !rows.get(0).onGpu()) {
                for (int concurrency : levels) {
                    err.printf("batch invariance at concurrency %d: both layouts of every decode-step product%n", concurrency);
                    invariance.add(InvarianceCost.measure(checkpoint.config(), concurrency, err));
                }
            }
        }
        boolean onGpu = rows.get(0).onGpu();
        int threads = Runtime.getRuntime().availableProcessors();
        double peak = onGpu ? 0 : PeakFlops.measureGflops(threads, 1000);
        out.printf("%nbackend: %s%n", rows.get(0).backend());
        out.printf("%11s %10s %10s %10s %10s %10s %14s %9s %9s%n", "concurrency", "tokens/s", "TTFT p50", "TTFT p99", "TPOT p50",
                "TPOT p99", "cache B/token", "GFLOP/s", "expert imb.");
        for (Row r : rows) {
            out.printf("%11d %10.1f %8.1fms %8.1fms %8.2fms %8.2fms %14d %9.1f %9.2f%n", r.concurrency(), r.tokensPerSecond(), r.ttftP50(),
                    r.ttftP99(), r.tpotP50(), r.tpotP99(), r.cacheBytesPerToken(), r.gflops(), r.expertImbalance());
        }
        out.printf("latent cache: %d bytes per token (f32, all layers) vs %d for the equivalent multi-head cache: %.1fx smaller%n",
                mlaBytesPerToken, mhaBytesPerToken, (double) mhaBytesPerToken / mlaBytesPerToken);
        Row best = rows.stream().max(java.util.Comparator.comparingDouble(Row::gflops)).orElseThrow();
        if (onGpu) {
            out.printf("compute: %.1f GFLOP/s at concurrency %d (the kernels against the GPU's peaks: ./streamseek bench-gpu)%n",
                    best.gflops(), best.concurrency());
        } else {
            out.printf("compute: %.1f GFLOP/s at concurrency %d = %.0f%% of the measured f32 FMA peak of %.1f GFLOP/s (%d threads)%n",
                    best.gflops(), best.concurrency(), 100 * best.gflops() / peak, peak, threads);
        }
        for (int i = 1; i < rows.size(); i++) {
            out.printf("throughput at concurrency %d is %.1fx that at %d%n", rows.get(i).concurrency(),
                    rows.get(i).tokensPerSecond() / rows.get(0).tokensPerSecond(), rows.get(0).concurrency());
        }
        for (InvarianceCost.Result r : invariance) {
            out.printf("batch invariance at concurrency %d: weight products take %.2f ms per decode step in the fixed layouts, "
                    + "%.2f ms with the faster layout per batch: invariance costs %.1f%%%n", r.concurrency(), r.fixedMillis(),
                    r.bestPerBatchMillis(), 100 * r.cost());
        }
        if (a.has("--out")) {
            Path dir = Files.createDirectories(Path.of(a.required("--out")));
            StringBuilder csv = new StringBuilder("concurrency,tokens_per_s,ttft_p50_ms,ttft_p99_ms,tpot_p50_ms,tpot_p99_ms,"
                    + "latent_cache_bytes_per_token,gflops,expert_imbalance\n");
            for (Row r : rows) {
                csv.append(String.format(java.util.Locale.ROOT, "%d,%.2f,%.2f,%.2f,%.3f,%.3f,%d,%.2f,%.3f%n", r.concurrency(),
                        r.tokensPerSecond(), r.ttftP50(), r.ttftP99(), r.tpotP50(), r.tpotP99(), r.cacheBytesPerToken(), r.gflops(),
                        r.expertImbalance()));
            }
            Files.writeString(dir.resolve("bench.csv"), csv);
            BenchChart.write(rows, dir.resolve("bench.png"));
            out.println("wrote " + dir.resolve("bench.csv") + " and " + dir.resolve("bench.png"));
        }
        return 0;
    }

    private static EngineConfig config(int concurrency, int requests, ExpertParallelConfig ep, Backend backend) {
        return EngineConfig.builder().maxNumSeqs(concurrency).maxTokensPerStep(Math.max(256, concurrency)).maxWaiting(4 * requests)
                .expertParallel(ep).backend(backend).build();
    }

    private static Row level(DeepSeekModel model, EngineConfig config, int concurrency, int requests, int promptLen, int maxTokens,
                             long cacheBytesPerToken, PrintStream progress) throws Exception {
        SplittableRandom random = new SplittableRandom(concurrency);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            prompts.add(random.ints(promptLen, 2, model.spec().vocabSize()).toArray());
        }
        if (progress != null) {
            progress.printf("concurrency %d%n", concurrency);
        }
        ClosedLoop.Result r = ClosedLoop.run(model, config, concurrency, prompts, maxTokens, done -> {
            if (progress != null) {
                progress.printf("\rconcurrency %3d [%-30s] %d/%d", concurrency, "#".repeat(30 * done / requests), done, requests);
            }
        });
        if (progress != null) {
            progress.println(" on " + r.backend());
        }
        return new Row(concurrency, r.tokensPerSecond(), percentile(r.ttftMs(), 50), percentile(r.ttftMs(), 99), percentile(r.tpotMs(), 50),
                percentile(r.tpotMs(), 99), cacheBytesPerToken, r.flops() / r.seconds() / 1e9, r.expertImbalance(), r.backend());
    }

    static double percentile(List<Double> values, int p) {
        if (values.isEmpty()) {
            return 0;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
