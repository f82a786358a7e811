package io.streamseek.gpu.attention;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.cache.SequenceLatentCache;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The absorbed path (decode) against the naive one (prefill), on random weights. */
class MlaAttentionTest {

    private static final int HIDDEN = 48;
    private static final io.streamseek.gpu.backend.cpu.CpuWorkers WORKERS = new io.streamseek.gpu.backend.cpu.CpuWorkers(2);
    private static final MlaSpec WITH_Q_LORA = new MlaSpec(HIDDEN, 4, 24, 16, 8, 4, 12, 1e-6f, 0.3f);
    private static final MlaSpec PLAIN_Q = new MlaSpec(HIDDEN, 3, 0, 16, 8, 4, 12, 1e-6f, 0.3f);

    @Test
    void absorbedAgreesWithNaiveWithQLora() {
        assertPathsAgree(WITH_Q_LORA, 1);
    }

    @Test
    void absorbedAgreesWithNaiveWithPlainQProj() {
        assertPathsAgree(PLAIN_Q, 2);
    }

    @Test
    void tokenByTokenEqualsOneChunk() {
        MlaSpec spec = WITH_Q_LORA;
        MlaAttention attention = new MlaAttention(spec, randomWeights(spec, new SplittableRandom(3)), rope(spec), 0);
        int tokens = 9;
        float[] x = random(new SplittableRandom(4), tokens * HIDDEN);
        float[] chunk = new float[tokens * HIDDEN];
        run(attention, x, tokens, 0, new SequenceLatentCache(1, spec.latentWidth(), 32), chunk, Path.NAIVE, new MlaScratch(spec, WORKERS));

        SequenceLatentCache cache = new SequenceLatentCache(1, spec.latentWidth(), 32);
        MlaScratch scratch = new MlaScratch(spec, WORKERS);
        float[] one = new float[HIDDEN];
        float[] step = new float[tokens * HIDDEN];
        for (int t = 0; t < tokens; t++) {
            float[] xt = java.util.Arrays.copyOfRange(x, t * HIDDEN, (t + 1) * HIDDEN);
            run(attention, xt, 1, t, cache, one, Path.ABSORBED, scratch);
            System.arraycopy(one, 0, step, t * HIDDEN, HIDDEN);
        }
        assertClose(step, chunk);
    }

    /**
     * One sequence decoding on two threads runs the absorbed path as one pass per group of heads
     * (fewer tokens than threads); on one thread, as three passes over all heads. Nine heads: two
     * whole groups and a short one, an odd head left over in the score tiles. The values must be
     * the same bits.
     */
    @Test
    void headGroupsOfOneDecodingSequenceEqualTheThreePasses() {
        MlaSpec spec = new MlaSpec(HIDDEN, 9, 24, 16, 8, 4, 12, 1e-6f, 0.3f);
        MlaAttention attention = new MlaAttention(spec, randomWeights(spec, new SplittableRandom(6)), rope(spec), 0);
        int tokens = 11;
        float[] x = random(new SplittableRandom(7), tokens * HIDDEN);
        try (io.streamseek.gpu.backend.cpu.CpuWorkers one = new io.streamseek.gpu.backend.cpu.CpuWorkers(1)) {
            float[][] outputs = new float[2][tokens * HIDDEN];
            io.streamseek.gpu.backend.cpu.CpuWorkers[] workers = {one, WORKERS};
            for (int w = 0; w < 2; w++) {
                SequenceLatentCache cache = new SequenceLatentCache(1, spec.latentWidth(), 16);
                MlaScratch scratch = new MlaScratch(spec, workers[w]);
                float[] out = new float[HIDDEN];
                for (int t = 0; t < tokens; t++) {
                    run(attention, java.util.Arrays.copyOfRange(x, t * HIDDEN, (t + 1) * HIDDEN), 1, t, cache, out, Path.ABSORBED, scratch);
                    System.arraycopy(out, 0, outputs[w], t * HIDDEN, HIDDEN);
                }
            }
            assertThat(outputs[1]).containsExactly(outputs[0]);
        }
    }

    /**
     * DeepSeek Sparse Attention at the layer: 20 tokens with an index_topk of 6, so most attend
     * sparsely. The naive and absorbed paths select alike and agree; an indexer of 4 heads equals
     * the same indexer as 8 heads whose last 4 weigh zero (the scoring kernel pads heads to whole
     * vectors: a wrong padding or transposition changes the selection); and attending densely differs.
     */
    @Test
    void sparseAttentionAgreesOnBothPathsAndForPaddedHeads() {
        MlaSpec base = new MlaSpec(HIDDEN, 4, 24, 16, 8, 4, 12, 1e-6f, 0.3f);
        SplittableRandom random = new SplittableRandom(12);
        MlaWeights mla = randomWeights(base, random);
        int dim = 12;
        Linear wq4 = linear(random, 4 * dim, 24);
        Linear wk = linear(random, dim, HIDDEN);
        Linear proj4 = linear(random, 4, HIDDEN);
        float[] kNorm = norm(random, dim);
        float[] kBias = random(random, dim);
        // The same indexer with 8 heads: 4 more query heads, weighted zero.
        float[] wq8 = new float[8 * dim * 24];
        float[] proj8 = new float[8 * HIDDEN];
        for (int r = 0; r < 8 * dim; r++) {
            for (int c = 0; c < 24; c++) {
                wq8[r * 24 + c] = r < 4 * dim ? wq4.get(r, c) : (float) random.nextGaussian();
            }
        }
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < HIDDEN; c++) {
                proj8[r * HIDDEN + c] = proj4.get(r, c);
            }
        }
        int tokens = 20;
        float[] x = random(random, tokens * HIDDEN);
        float[][] outputs = new float[5][tokens * HIDDEN];
        int run = 0;
        for (int heads : new int[] {4, 8}) {
            // The real heads weighted by sqrt(2): 8 heads' index_n_heads^-0.5 then equals 4 heads'.
            IndexerSpec indexer = new IndexerSpec(heads, dim, 6, base.qkRopeHeadDim());
            MlaSpec spec = new MlaSpec(HIDDEN, 4, 24, 16, 8, 4, 12, 1e-6f, 0.3f, indexer);
            IndexerWeights iw = heads == 4 ? new IndexerWeights(wq4, wk, kNorm, kBias, proj4)
                    : new IndexerWeights(Linear.ofFloats(8 * dim, 24, wq8), wk, kNorm, kBias, Linear.ofFloats(8, HIDDEN, scaled(proj8, (float) Math.sqrt(2))));
            MlaAttention attention = new MlaAttention(spec, withIndexer(mla, iw), rope(spec), 0);
            for (Path path : Path.values()) {
                run(attention, x, tokens, 0, new SequenceLatentCache(1, spec.cacheRowWidth(), 32), outputs[run++], path, new MlaScratch(spec, WORKERS));
            }
            if (heads == 4) {
                MlaScratch dense = new MlaScratch(spec, WORKERS);
                dense.denseAttention(true);
                run(attention, x, tokens, 0, new SequenceLatentCache(1, spec.cacheRowWidth(), 32), outputs[4], Path.ABSORBED, dense);
            }
        }
        assertClose(outputs[1], outputs[0]); // 4 heads: absorbed vs naive
        assertClose(outputs[2], outputs[0]); // 8 heads (vector kernel) vs 4 (scalar kernel)
        assertClose(outputs[3], outputs[0]);
        float worst = 0f;
        for (int i = 0; i < outputs[0].length; i++) {
            worst = Math.max(worst, Math.abs(outputs[4][i] - outputs[0][i]));
        }
        assertThat(worst).as("dense attention differs from sparse").isGreaterThan(1e-2f);
    }

    private static float[] scaled(float[] values, float scale) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return out;
    }

    private static MlaWeights withIndexer(MlaWeights w, IndexerWeights indexer) {
        return new MlaWeights(w.qAProj(), w.qALayernorm(), w.qBProj(), w.kvAProjWithMqa(), w.kvALayernorm(), w.kvBProj(), w.oProj(), null,
                indexer);
    }

    private static void assertPathsAgree(MlaSpec spec, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        MlaAttention attention = new MlaAttention(spec, randomWeights(spec, random), rope(spec), 0);
        int tokens = 7;
        float[] x = random(random, tokens * HIDDEN);
        float[] naive = new float[tokens * HIDDEN];
        float[] absorbed = new float[tokens * HIDDEN];
        run(attention, x, tokens, 0, new SequenceLatentCache(1, spec.latentWidth(), 16), naive, Path.NAIVE, new MlaScratch(spec, WORKERS));
        run(attention, x, tokens, 0, new SequenceLatentCache(1, spec.latentWidth(), 16), absorbed, Path.ABSORBED, new MlaScratch(spec, WORKERS));
        assertClose(absorbed, naive);
    }

    /** One segment of {@code tokens} tokens at {@code start}. */
    private static void run(MlaAttention attention, float[] x, int tokens, int start, io.streamseek.gpu.cache.LatentCache cache,
                            float[] out, Path path, MlaScratch scratch) {
        int[] ids = new int[tokens];
        attention.forward(x, new io.streamseek.gpu.model.StepBatch().add(ids, 0, tokens, start, cache, path, false), out, scratch);
    }

    static void assertClose(float[] actual, float[] expected) {
        float max = 0f;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i])).as("index %d: %s vs %s", i, actual[i], expected[i]).isLessThanOrEqualTo(1e-5f * max);
        }
    }

    static RotaryEmbedding rope(MlaSpec spec) {
        return RotaryEmbedding.yarn(spec.qkRopeHeadDim(), 10000, 64, new RotaryEmbedding.Yarn(4, 16, 32, 1, 1, 1));
    }

    static MlaWeights randomWeights(MlaSpec spec, SplittableRandom random) {
        int heads = spec.numHeads();
        Linear qA = spec.qLoraRank() == 0 ? null : linear(random, spec.qLoraRank(), HIDDEN);
        float[] qNorm = spec.qLoraRank() == 0 ? null : norm(random, spec.qLoraRank());
        Linear qB = linear(random, heads * spec.qkHeadDim(), spec.qLoraRank() == 0 ? HIDDEN : spec.qLoraRank());
        return new MlaWeights(qA, qNorm, qB,
                linear(random, spec.latentWidth(), HIDDEN), norm(random, spec.kvLoraRank()),
                linear(random, heads * (spec.qkNopeHeadDim() + spec.vHeadDim()), spec.kvLoraRank()),
                linear(random, HIDDEN, heads * spec.vHeadDim()));
    }

    private static Linear linear(SplittableRandom random, int rows, int cols) {
        float[] values = new float[rows * cols];
        float scale = (float) (1 / Math.sqrt(cols));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return Linear.ofFloats(rows, cols, values);
    }

    private static float[] norm(SplittableRandom random, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = 1f + 0.1f * (float) random.nextGaussian();
        }
        return w;
    }

    private static float[] random(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
