package io.streamseek.gpu.cli;

import io.streamseek.gpu.attention.IndexerSpec;
import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ForwardScratch;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code bench-engine --context 256,1024,...}: the time of one batch-1 decode step at each context
 * length — for a DeepSeek-V3.2 model with its sparse attention and, on the same checkpoint and
 * cache, with every position attended (the indexer switched off), in interleaved rounds, medians.
 *
 * <p>The cache of each length is filled with values drawn at random instead of by a prefill
 * (prefilling 16k tokens takes minutes on two cores, and its attention is quadratic): a decode step
 * reads cached rows the same way whatever they hold, and the indexer's selection is as much work
 * for random scores as for real ones.
 */
final class ContextSweep {

    private ContextSweep() {
    }

    static void run(DeepSeekModel model, CpuWorkers workers, int[] contexts, int steps, int rounds, PrintStream out) {
        IndexerSpec indexer = model.mlaSpec().indexer();
        int vocab = model.spec().vocabSize();
        int width = model.mlaSpec().cacheRowWidth();
        out.printf(Locale.ROOT, "decode step time against context: %d steps per measurement, %d rounds, medians (%s)%n", steps, rounds,
                indexer == null ? "dense attention: the model has no indexer"
                        : "DeepSeek Sparse Attention, index_topk " + indexer.topk() + ", beside the same model attending densely");
        out.printf(Locale.ROOT, "%10s %14s %14s %10s%n", "context", indexer == null ? "dense ms" : "sparse ms", indexer == null ? "" : "dense ms",
                indexer == null ? "" : "dense/sparse");
        ForwardScratch sparse = model.newScratch(workers);
        ForwardScratch dense = model.newScratch(workers);
        dense.denseAttention(true);
        float[] logits = new float[vocab];
        SplittableRandom random = new SplittableRandom(11);
        for (int context : contexts) {
            if (context + 1 > model.spec().maxPositions()) {
                throw new IllegalArgumentException("bench-engine: --context " + context + " exceeds the model's context of "
                        + model.spec().maxPositions() + " tokens (max_position_embeddings)");
            }
            SequenceLatentCache cache = new SequenceLatentCache(model.numLayers(), width, context + 1);
            fill(cache, model.numLayers(), width, context, random);
            double[] sparseMs = new double[rounds];
            double[] denseMs = new double[rounds];
            for (int round = -1; round < rounds; round++) { // round -1: warm-up of both
                boolean denseFirst = round % 2 == 0;
                double first = stepMillis(model, cache, context, steps, denseFirst ? dense : sparse, logits, random);
                double second = indexer == null ? first : stepMillis(model, cache, context, steps, denseFirst ? sparse : dense, logits, random);
                if (round >= 0) {
                    denseMs[round] = denseFirst ? first : second;
                    sparseMs[round] = denseFirst ? second : first;
                }
            }
            if (indexer == null) {
                out.printf(Locale.ROOT, "%10d %14.3f%n", context, median(denseMs));
            } else {
                out.printf(Locale.ROOT, "%10d %14.3f %14.3f %10.2f%n", context, median(sparseMs), median(denseMs),
                        median(denseMs) / median(sparseMs));
            }
        }
    }

    /** Milliseconds per decode step at position {@code context}, the cache cut back after each. */
    private static double stepMillis(DeepSeekModel model, SequenceLatentCache cache, int context, int steps, ForwardScratch scratch,
                                     float[] logits, SplittableRandom random) {
        int[] token = new int[1];
        long started = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            token[0] = 2 + random.nextInt(model.spec().vocabSize() - 2);
            model.forward(token, 0, 1, context, cache, MlaAttention.Path.ABSORBED, false, logits, scratch);
            cache.truncate(context);
        }
        return (System.nanoTime() - started) / 1e6 / steps;
    }

    /** Rows of unit-scale Gaussian values for positions {@code [0, length)} of every layer. */
    private static void fill(SequenceLatentCache cache, int layers, int width, int length, SplittableRandom random) {
        cache.extendTo(length);
        for (int layer = 0; layer < layers; layer++) {
            for (int pos = 0; pos < length; pos++) {
                float[] row = cache.rowArray(layer, pos);
                int offset = cache.rowOffset(layer, pos);
                for (int i = 0; i < width; i++) {
                    row[offset + i] = (float) gaussian(random);
                }
            }
        }
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble(Double.MIN_VALUE, 1);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
