package io.streamseek.gpu.cli;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.bench.MemoryBandwidth;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.sampling.SamplingParams;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code bench-engine --model DIR [--prompt-len N] [--decode-tokens N] [--runs N] [--warmup N]}: prefill and
 * batch-1 decode speed of the CPU backend, beside this machine's measured read bandwidth and the
 * bytes one decode step must read, i.e. the fraction of the memory roofline reached. With
 * {@code --context LIST}, the decode step time at each context length instead ({@link ContextSweep}).
 */
final class BenchEngineCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek bench-engine --model DIR [--prompt-len N] [--decode-tokens N] [--runs N] [--warmup N]",
            "  --prompt-len N      prompt tokens for the prefill measurement (default 128)",
            "  --decode-tokens N   tokens decoded per run (default 64)",
            "  --runs N            measured runs after the warm-up; the best is reported, each run printed (default 3)",
            "  --warmup N          unmeasured runs first (default 5): on two cores the JIT's compiler threads",
            "                      take a core from the kernels for seconds after the first runs",
            "  --context LIST      instead: one decode step's time at each context length (e.g. 256,1024,4096,16384);",
            "                      a DeepSeek-V3.2 model is measured with its sparse attention and attending densely,",
            "                      interleaved (--runs rounds of --decode-tokens steps, medians)",
            "  --dense-attention   attend to every position even where a DeepSeek-V3.2 model's indexer would",
            "                      select (a baseline, not the model's output)");

    private BenchEngineCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse("bench-engine", args, 1, Set.of("--model", "--prompt-len", "--decode-tokens", "--runs", "--warmup", "--context"),
                Set.of("--help", "--dense-attention"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        int promptLen = (int) a.getLong("--prompt-len", 128);
        int decodeTokens = (int) a.getLong("--decode-tokens", 64);
        int runs = (int) a.getLong("--runs", 3);
        int warmup = (int) a.getLong("--warmup", 5);
        if (runs < 1 || warmup < 0) {
            throw new IllegalArgumentException("bench-engine: --runs must be at least 1 and --warmup at least 0, were " + runs + " and " + warmup);
        }
        try (Checkpoint checkpoint = Checkpoint.open(Path.of(a.required("--model"))); CpuWorkers workers = CpuWorkers.perCore()) {
            long loadStarted = System.nanoTime();
            DeepSeekModel model = ModelLoader.load(checkpoint);
            out.printf(java.util.Locale.ROOT, "loaded %s in %.1f s (%.0f MB of weights in the heap)%n", checkpoint.path(),
                    (System.nanoTime() - loadStarted) / 1e9, checkpoint.tensorBytes() / 1e6);
            if (a.has("--context")) {
                ContextSweep.run(model, workers, contexts(a.required("--context")), decodeTokens, runs, out);
                return 0;
            }
            int[] prompt = new SplittableRandom(7).ints(promptLen, 2, model.spec().vocabSize()).toArray();
            Generator generator = new Generator(model, workers);
            generator.denseAttention(a.has("--dense-attention"));
            out.printf("bench-engine: %s, %d threads, prompt %d tokens, decode %d tokens, %d runs%n",
                    checkpoint.path(), workers.threads(), promptLen, decodeTokens, runs);
            double bestPrefill = 0;
            double bestDecode = 0;
            for (int run = 1 - warmup; run <= runs; run++) {
                // No stop tokens: every run decodes exactly decodeTokens tokens.
                Generator.Result result = generator.generate(prompt, decodeTokens, SamplingParams.GREEDY, new int[0], null);
                double prefill = promptLen / (result.prefillNanos() / 1e9);
                double decode = (result.tokens().length - 1) / (result.decodeNanos() / 1e9);
                out.printf("  %s: prefill %.1f tokens/s, decode %.2f tokens/s%n", run <= 0 ? "warm-up" : "run " + run, prefill, decode);
                if (run > 0) {
                    bestPrefill = Math.max(bestPrefill, prefill);
                    bestDecode = Math.max(bestDecode, decode);
                }
            }
            // 1 GiB, or what the heap has left beside a large model's weights (still far beyond any cache).
            Runtime heap = Runtime.getRuntime();
            long probe = Math.max(64L << 20, Math.min(1L << 30, (heap.maxMemory() - (heap.totalMemory() - heap.freeMemory())) / 2));
            double bandwidth = MemoryBandwidth.measureReadBytesPerSecond(probe, workers.threads(), 5);
            long stepBytes = model.decodeBytesPerToken();
            double roofline = bandwidth / stepBytes;
            MlaSpec mla = model.mlaSpec();
            out.println();
            out.printf("prefill:                 %10.1f tokens/s%n", bestPrefill);
            out.printf("decode (batch 1):        %10.2f tokens/s%n", bestDecode);
            out.printf("memory read bandwidth:   %10.2f GB/s (measured, %d threads)%n", bandwidth / 1e9, workers.threads());
            out.printf("bytes per decode step:   %10.1f MB%n", stepBytes / 1e6);
            out.printf("decode roofline:         %10.2f tokens/s%n", roofline);
            out.printf("fraction of roofline:    %10.1f %%%n", 100 * bestDecode / roofline);
            out.printf("latent cache per token:  %10d bytes (f32, all layers); a multi-head cache would hold %d (%.1fx)%n",
                    4L * mla.latentWidth() * model.numLayers(), 4L * mla.multiHeadCacheWidth() * model.numLayers(),
                    (double) mla.multiHeadCacheWidth() / mla.latentWidth());
            if (mla.indexer() != null) {
                out.printf("indexer keys per token:  %10d bytes (f32, all layers), in the same cache rows: %d bytes per token in all%n",
                        4L * mla.indexer().headDim() * model.numLayers(), 4L * mla.cacheRowWidth() * model.numLayers());
            }
            return 0;
        }
    }

    private static int[] contexts(String list) {
        try {
            int[] contexts = java.util.Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            for (int c : contexts) {
                if (c < 1) {
                    throw new NumberFormatException();
                }
            }
            return contexts;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bench-engine: --context must list positive context lengths, e.g. 256,1024,4096, was '"
                    + list + "'");
        }
    }
}
