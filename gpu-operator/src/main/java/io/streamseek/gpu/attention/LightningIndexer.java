package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.cache.LatentCache;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * DeepSeek Sparse Attention's lightning indexer for one layer (DeepSeek-V3.2): it chooses the
 * {@code index_topk} cached positions each query's MLA attends to.
 *
 * <p>As DeepSeek's inference code defines it, per token {@code t} and cached position {@code s}:
 * <pre>
 *   q[t, h] = rope_halves(wq_b(q_resid[t]))[h]          q_resid: MLA's normalised q_a_proj output
 *   k[s]    = rope_halves(LayerNorm(wk(x[s])))            one key per token, cached beside the latent
 *   w[t, h] = weights_proj(x[t])[h] · index_n_heads^-½
 *   I[t, s] = Σ_h w[t, h] · ReLU(q[t, h] · k[s] · index_head_dim^-½)
 * </pre>
 * and MLA attends over the {@code index_topk} positions {@code s ≤ t} with the largest {@code I[t, s]}
 * (all of them while there are no more). Rotary embedding covers each head's first
 * {@code qk_rope_head_dim} values, paired in halves. DeepSeek's kernel also rotates {@code q} and
 * {@code k} by a Hadamard matrix and scores them in FP8: the rotation is orthogonal, so in f32 the
 * products are the same without it (Hugging Face's implementation omits both, as this one does).
 *
 * <p>Ties in {@code I} go to the earlier position, so the choice is a function of the values alone;
 * each {@code I[t, s]} is one fixed sequence of operations (see {@link #scores}), whatever else is in
 * the step, so the selection is batch-invariant like everything else.
 */
public final class LightningIndexer {

    /** torch.nn.LayerNorm's default, which DeepSeek's indexer keeps for its key norm. */
    private static final float KEY_NORM_EPS = 1e-6f;

    private final IndexerSpec spec;
    private final IndexerWeights weights;
    private final RotaryEmbedding rope;
    private final int layer;
    private final int keyOffset; // where a cache row holds the indexer key: after the latent

    public LightningIndexer(IndexerSpec spec, IndexerWeights weights, RotaryEmbedding rope, int layer, int latentWidth) {
        this.spec = spec;
        this.weights = weights;
        this.rope = rope;
        this.layer = layer;
        this.keyOffset = latentWidth;
    }

    public IndexerSpec spec() {
        return spec;
    }

    public IndexerWeights weights() {
        return weights;
    }

    /**
     * The step's queries, keys and head weights, before rotary embedding: {@code s.indexQ},
     * {@code s.indexK} (LayerNorm applied) and {@code s.indexW} (scaled by {@code index_n_heads^-½}).
     *
     * @param x the normalised hidden states {@code [tokens, hidden]}
     * @param qResid MLA's normalised {@code q_a_proj} output {@code [tokens, q_lora_rank]}
     */
    void project(float[] x, int hidden, float[] qResid, int qLora, int tokens, MlaScratch s) {
        int heads = spec.numHeads();
        int dim = spec.headDim();
        s.ensureIndexer(tokens, heads * dim, dim, heads);
        s.workers.matmul(weights.wqB(), qResid, 0, qLora, s.indexQ, 0, heads * dim, tokens);
        s.workers.matmul(weights.wk(), x, 0, hidden, s.indexK, 0, dim, tokens);
        s.workers.matmul(weights.weightsProj(), x, 0, hidden, s.indexW, 0, heads, tokens);
        float weightScale = spec.weightScale();
        for (int t = 0; t < tokens; t++) {
            Kernels.layerNorm(s.indexK, t * dim, weights.kNormWeight(), weights.kNormBias(), KEY_NORM_EPS, dim);
            for (int h = 0; h < heads; h++) {
                s.indexW[t * heads + h] *= weightScale;
            }
        }
    }

    /** Rotates token {@code t}'s queries and key for {@code position} and caches the key in {@code row}. */
    void rotateAndCache(int t, int position, MlaScratch s, float[] row, int rowOffset) {
        int heads = spec.numHeads();
        int dim = spec.headDim();
        if (spec.ropeDim() > 0) {
            rope.rotateHalves(s.indexQ, t * heads * dim, dim, heads, position);
            rope.rotateHalves(s.indexK, t * dim, dim, 1, position);
        }
        System.arraycopy(s.indexK, t * dim, row, rowOffset + keyOffset, dim);
    }

    /**
     * Whether a query attending over {@code context} positions attends sparsely: only beyond
     * {@code index_topk} positions does the selection leave any out.
     */
    boolean sparse(int context) {
        return context > spec.topk();
    }

    /**
     * {@code I[t, s]} for positions {@code [from, to)} of the task's sequence into
     * {@code scores[scoresOffset + s]}.
     *
     * <p>Heads in vector lanes: the query is transposed to {@code [index_head_dim, heads padded to
     * whole vectors]} (scaled by {@code index_head_dim^-½} on the way, the padding zero, weighted
     * zero), so that each key value is one broadcast multiply-add into vectors of head scores — no
     * reduction per head — and four positions run as independent chains. The vectors are the
     * preferred species, as every other kernel's: a second float shape in the same JVM would leave
     * the Vector API's shared code with two receiver types, and the other kernels boxing. A
     * position's score is the same sequence of operations whichever chunk, slice or group of four
     * it falls in.
     *
     * @param qT scratch of at least {@link #paddedQueryWidth()} floats
     * @param w scratch of at least {@link #paddedHeads()} floats
     */
    void scores(MlaScratch s, int task, int from, int to, float[] scores, int scoresOffset, float[] qT, float[] w) {
        int heads = spec.numHeads();
        int dim = spec.headDim();
        int padded = paddedHeads();
        int t = s.taskToken(task);
        LatentCache cache = s.taskCache(task);
        int q0 = t * heads * dim;
        float scale = spec.scoreScale();
        java.util.Arrays.fill(qT, 0, dim * padded, 0f);
        for (int h = 0; h < heads; h++) {
            for (int d = 0; d < dim; d++) {
                qT[d * padded + h] = s.indexQ[q0 + h * dim + d] * scale;
            }
        }
        java.util.Arrays.fill(w, 0, padded, 0f);
        System.arraycopy(s.indexW, t * heads, w, 0, heads);
        java.util.Arrays.fill(scores, scoresOffset + from, scoresOffset + to, 0f);
        for (int h0 = 0; h0 < padded; h0 += F.length()) {
            headGroup(w, qT, h0, padded, dim, cache, from, to, scores, scoresOffset);
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** {@code index_n_heads} rounded up to whole vectors. */
    int paddedHeads() {
        return (spec.numHeads() + F.length() - 1) / F.length() * F.length();
    }

    int paddedQueryWidth() {
        return paddedHeads() * spec.headDim();
    }

    /** One vector of heads {@code [h0, h0 + lanes)} for every position, added into {@code scores}. */
    private void headGroup(float[] w, float[] qT, int h0, int heads, int dim, LatentCache cache, int from, int to,
                           float[] scores, int scoresOffset) {
        FloatVector weight = FloatVector.fromArray(F, w, h0);
        int pos = from;
        for (; pos + 4 <= to; pos += 4) {
            float[] ra = cache.rowArray(layer, pos);
            float[] rb = cache.rowArray(layer, pos + 1);
            float[] rc = cache.rowArray(layer, pos + 2);
            float[] re = cache.rowArray(layer, pos + 3);
            int ka = cache.rowOffset(layer, pos) + keyOffset;
            int kb = cache.rowOffset(layer, pos + 1) + keyOffset;
            int kc = cache.rowOffset(layer, pos + 2) + keyOffset;
            int ke = cache.rowOffset(layer, pos + 3) + keyOffset;
            FloatVector a = FloatVector.zero(F);
            FloatVector b = FloatVector.zero(F);
            FloatVector c = FloatVector.zero(F);
            FloatVector e = FloatVector.zero(F);
            for (int d = 0; d < dim; d++) {
                FloatVector q = FloatVector.fromArray(F, qT, d * heads + h0);
                a = q.fma(FloatVector.broadcast(F, ra[ka + d]), a);
                b = q.fma(FloatVector.broadcast(F, rb[kb + d]), b);
                c = q.fma(FloatVector.broadcast(F, rc[kc + d]), c);
                e = q.fma(FloatVector.broadcast(F, re[ke + d]), e);
            }
            scores[scoresOffset + pos] += a.max(0f).mul(weight).reduceLanes(VectorOperators.ADD);
            scores[scoresOffset + pos + 1] += b.max(0f).mul(weight).reduceLanes(VectorOperators.ADD);
            scores[scoresOffset + pos + 2] += c.max(0f).mul(weight).reduceLanes(VectorOperators.ADD);
            scores[scoresOffset + pos + 3] += e.max(0f).mul(weight).reduceLanes(VectorOperators.ADD);
        }
        for (; pos < to; pos++) {
            float[] ra = cache.rowArray(layer, pos);
            int ka = cache.rowOffset(layer, pos) + keyOffset;
            FloatVector a = FloatVector.zero(F);
            for (int d = 0; d < dim; d++) {
                a = FloatVector.fromArray(F, qT, d * heads + h0).fma(FloatVector.broadcast(F, ra[ka + d]), a);
            }
            scores[scoresOffset + pos] += a.max(0f).mul(weight).reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * The {@code index_topk} positions of {@code [0, context)} with the largest scores, ties to the
     * earlier position, into {@code selected} in ascending order (the order attention sums them in).
     *
     * @param heap scratch of at least {@code index_topk} ints
     * @return how many were selected: {@code index_topk}
     */
    int topk(float[] scores, int scoresOffset, int context, int[] selected, int selectedOffset, int[] heap) {
        int k = spec.topk();
        int size = 0;
        // A min-heap of the k best so far, the worst (lowest score, then latest position) at the root.
        for (int pos = 0; pos < context; pos++) {
            float score = scores[scoresOffset + pos];
            if (size < k) {
                int i = size++;
                heap[i] = pos;
                while (i > 0) {
                    int parent = (i - 1) >>> 1;
                    if (!worse(scores, scoresOffset, heap[i], heap[parent])) {
                        break;
                    }
                    int swap = heap[i];
                    heap[i] = heap[parent];
                    heap[parent] = swap;
                    i = parent;
                }
            } else if (score > scores[scoresOffset + heap[0]]) {
                // Positions come in ascending order: an equal score later on never displaces one.
                heap[0] = pos;
                int i = 0;
                while (true) {
                    int left = 2 * i + 1;
                    if (left >= k) {
                        break;
                    }
                    int child = left + 1 < k && worse(scores, scoresOffset, heap[left + 1], heap[left]) ? left + 1 : left;
                    if (!worse(scores, scoresOffset, heap[child], heap[i])) {
                        break;
                    }
                    int swap = heap[i];
                    heap[i] = heap[child];
                    heap[child] = swap;
                    i = child;
                }
            }
        }
        System.arraycopy(heap, 0, selected, selectedOffset, size);
        java.util.Arrays.sort(selected, selectedOffset, selectedOffset + size);
        return size;
    }

    /** Whether position {@code a} ranks below {@code b}: a lower score, or the same score and later. */
    private static boolean worse(float[] scores, int offset, int a, int b) {
        float sa = scores[offset + a];
        float sb = scores[offset + b];
        return sa < sb || (sa == sb && a > b);
    }

    /** Multiply-adds per token per cached position: every head's query against the key. */
    public long scoreMacsPerPosition() {
        return (long) spec.numHeads() * spec.headDim();
    }
}
