package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.LatentKernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.cache.LatentCache;
import io.streamseek.gpu.model.StepBatch;

/**
 * Multi-head latent attention of one layer, with the two paths of the official code side by side:
 *
 * <ul>
 *   <li>{@link Path#NAIVE}: expand every cached latent into per-head keys and values with
 *       {@code kv_b_proj}, then attend as ordinary multi-head attention. The clearer path.</li>
 *   <li>{@link Path#ABSORBED}: fold the key half of {@code kv_b_proj} into the query and its value
 *       half into the output, and attend directly over the cached latent {@code c_kv} + {@code k_pe}.
 *       Reads {@code kv_lora_rank + qk_rope_head_dim} values per cached token instead of
 *       {@code heads × (qk_head_dim + v_head_dim)}: the decode path.</li>
 * </ul>
 *
 * Both write the new tokens' latent rows into the cache first, then attend causally over positions
 * {@code [0, position]} for each token — or, with DeepSeek Sparse Attention (DeepSeek-V3.2), over
 * the {@code index_topk} of them its {@link LightningIndexer} selects, once there are more.
 */
public final class MlaAttention {

    /** Which of the two equivalent attention computations to run. */
    public enum Path { NAIVE, ABSORBED }

    private final MlaSpec spec;
    private final MlaWeights weights;
    private final RotaryEmbedding rope;
    private final int layer;
    private final float[] kvBKeys;   // kv_b_proj's key rows in f32, [heads × nope, kv_lora_rank] row-major: the naive path's transposed keys
    private final Linear kvBValues;  // its value rows in f32, [heads × v, kv_lora_rank]: the naive path's values
    private final Linear[] absorbK;  // [head]: W_k[h]ᵀ [kv_lora_rank, nope], moves a query into latent space
    private final Linear[] absorbV;  // [head]: W_v[h] [v_head_dim, kv_lora_rank]
    private final LightningIndexer indexer; // null: dense attention

    public MlaAttention(MlaSpec spec, MlaWeights weights, RotaryEmbedding rope, int layer) {
        this.spec = spec;
        this.weights = weights;
        this.rope = rope;
        this.layer = layer;
        if ((spec.indexer() == null) != (weights.indexer() == null)) {
            throw new IllegalArgumentException("layer " + layer + ": the attention's shape " + (spec.indexer() == null ? "has no" : "has an")
                    + " indexer but its weights " + (weights.indexer() == null ? "have none" : "have one"));
        }
        this.indexer = spec.indexer() == null ? null : new LightningIndexer(spec.indexer(), weights.indexer(), rope, layer, spec.latentWidth());
        Linear b = weights.kvBProj();
        int lora = spec.kvLoraRank();
        int nope = spec.qkNopeHeadDim();
        int kvRow = nope + spec.vHeadDim();
        float[] kvB = new float[b.rows() * b.cols()];
        for (int r = 0; r < b.rows(); r++) {
            for (int c = 0; c < b.cols(); c++) {
                kvB[r * b.cols() + c] = b.get(r, c);
            }
        }
        int v = spec.vHeadDim();
        float[] keyRows = new float[spec.numHeads() * nope * lora];
        float[] valueRows = new float[spec.numHeads() * v * lora];
        for (int h = 0; h < spec.numHeads(); h++) {
            System.arraycopy(kvB, h * kvRow * lora, keyRows, h * nope * lora, nope * lora);
            System.arraycopy(kvB, (h * kvRow + nope) * lora, valueRows, h * v * lora, v * lora);
        }
        this.kvBKeys = keyRows;
        this.kvBValues = Linear.f32Panels(spec.numHeads() * v, lora, valueRows);
        this.absorbK = new Linear[spec.numHeads()];
        this.absorbV = new Linear[spec.numHeads()];
        // The decode path reads these for every token: kept in the checkpoint's own precision where
        // that loses nothing (bf16 kv_b transposes exactly; a split GGUF stores them ready), else f32.
        Linear[][] stored = weights.kvBHeads();
        boolean bf16 = b.format() == Linear.Format.BF16;
        for (int h = 0; h < spec.numHeads(); h++) {
            if (stored != null) {
                absorbK[h] = stored[0][h];
                absorbV[h] = stored[1][h];
                continue;
            }
            float[] kT = new float[lora * nope];
            for (int d = 0; d < nope; d++) {
                for (int c = 0; c < lora; c++) {
                    kT[c * nope + d] = kvB[(h * kvRow + d) * lora + c];
                }
            }
            if (bf16) {
                absorbK[h] = Linear.bf16(lora, nope, bf16Bits(kT), Linear.Layout.forColumns(nope));
                absorbV[h] = Linear.bf16(v, lora, bf16Bits(java.util.Arrays.copyOfRange(kvB, (h * kvRow + nope) * lora, (h * kvRow + nope + v) * lora)),
                        Linear.Layout.forColumns(lora));
            } else {
                absorbK[h] = Linear.ofFloats(lora, nope, kT);
                absorbV[h] = v % kvBValues.rowGrain() == 0 ? kvBValues.rows(h * v, v)
                        : Linear.ofFloats(v, lora, java.util.Arrays.copyOfRange(valueRows, h * v * lora, (h + 1) * v * lora));
            }
        }
    }

    /** Bit patterns of values that are bf16 already (widened from it): exact. */
    private static short[] bf16Bits(float[] values) {
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = (short) (Float.floatToRawIntBits(values[i]) >>> 16);
        }
        return bits;
    }

    /**
     * Attention for every token of a step: the projections of all tokens at once (each weight row
     * read once per step), then, per sequence segment, the new latent rows written to its cache and
     * each token attending over its own sequence's positions {@code [0, position]}.
     *
     * @param x normalised hidden states {@code [step tokens, hidden]}
     * @param out receives the attention output {@code [step tokens, hidden]} (after {@code o_proj})
     */
    public void forward(float[] x, StepBatch batch, float[] out, MlaScratch s) {
        int heads = spec.numHeads();
        int qk = spec.qkHeadDim();
        int nope = spec.qkNopeHeadDim();
        int ropeDim = spec.qkRopeHeadDim();
        int lora = spec.kvLoraRank();
        int hidden = spec.hiddenSize();
        int latent = spec.latentWidth();
        int qWidth = heads * qk;
        int numTokens = batch.tokens();
        s.ensure(numTokens, batch.maxContext());

        if (weights.qAProj() != null) {
            int qLora = spec.qLoraRank();
            s.workers.matmul(weights.qAProj(), x, 0, hidden, s.qa, 0, qLora, numTokens);
            for (int t = 0; t < numTokens; t++) {
                Kernels.rmsNorm(s.qa, t * qLora, weights.qALayernorm(), spec.rmsNormEps(), s.qa, t * qLora, qLora);
            }
            s.workers.matmul(weights.qBProj(), s.qa, 0, qLora, s.q, 0, qWidth, numTokens);
            if (indexer != null) {
                indexer.project(x, hidden, s.qa, qLora, numTokens, s);
            }
        } else {
            s.workers.matmul(weights.qBProj(), x, 0, hidden, s.q, 0, qWidth, numTokens);
        }
        s.workers.matmul(weights.kvAProjWithMqa(), x, 0, hidden, s.kv, 0, latent, numTokens);

        for (int i = 0; i < batch.segments(); i++) {
            LatentCache cache = batch.cache(i);
            int first = batch.offset(i);
            int startPos = batch.startPosition(i);
            int count = batch.count(i);
            cache.extendTo(startPos + count);
            for (int t = first; t < first + count; t++) {
                int position = startPos + t - first;
                rope.rotate(s.q, t * qWidth + nope, qk, heads, position);
                // Latent row: normalised c_kv, then roped k_pe (one head shared by all).
                float[] row = cache.rowArray(layer, position);
                int ro = cache.rowOffset(layer, position);
                Kernels.rmsNorm(s.kv, t * latent, weights.kvALayernorm(), spec.rmsNormEps(), row, ro, lora);
                System.arraycopy(s.kv, t * latent + lora, row, ro + lora, ropeDim);
                rope.rotate(row, ro + lora, ropeDim, 1, position);
                if (indexer != null) {
                    indexer.rotateAndCache(t, position, s, row, ro);
                }
            }
            if (batch.path(i) == Path.NAIVE) {
                // The expansion belongs to this segment, so its heads run before the next one's.
                expandValues(startPos + count, cache, s);
                s.clearTasks();
                for (int t = first; t < first + count; t++) {
                    s.addTask(t, startPos + t - first + 1, cache);
                }
                s.attend(this, true);
            }
        }
        s.clearTasks();
        for (int i = 0; i < batch.segments(); i++) {
            if (batch.path(i) == Path.ABSORBED) {
                for (int t = batch.offset(i); t < batch.offset(i) + batch.count(i); t++) {
                    s.addTask(t, batch.startPosition(i) + t - batch.offset(i) + 1, batch.cache(i));
                }
            }
        }
        if (s.taskCount > 0) {
            s.attend(this, false);
        }
        s.workers.matmul(weights.oProj(), s.attn, 0, heads * spec.vHeadDim(), out, 0, hidden, numTokens);
    }

    /**
     * The naive path's values, {@code kv_b_proj(c_kv)}'s value rows for every cached position, once
     * per chunk (its keys are built per head, transposed: {@link #attendNaive}); the latents stay
     * gathered in {@code s.latents} for those, and as a weight in {@code s.latentRows} (panels).
     */
    private void expandValues(int context, LatentCache cache, MlaScratch s) {
        int lora = spec.kvLoraRank();
        for (int pos = 0; pos < context; pos++) {
            float[] row = cache.rowArray(layer, pos);
            int ro = cache.rowOffset(layer, pos);
            System.arraycopy(row, ro, s.latents, pos * lora, lora);
            Linear.f32PanelRow(s.latentPanels, lora, pos, row, ro);
        }
        int width = spec.numHeads() * spec.vHeadDim();
        s.workers.matmul(kvBValues, s.latents, 0, lora, s.values, 0, width, context);
    }

    /**
     * One head for every token of the segment (the tasks, in position order, sharing one cache):
     * the head's keys built once, transposed — {@code K_hᵀ [qk_head_dim, context]}, the no-rope rows
     * as the product of the gathered latents with this head's kv_b key rows, the rope rows copied
     * from the cache — so that a token's scores are broadcast-FMAs over positions held in vector
     * lanes ({@link Kernels#transposedScores}) instead of one reduced dot per position. Then softmax and the weighted sum of the expanded values.
     * Each score is one chain over the head's dimensions in order: the same for a token however
     * many others share the segment.
     */
    void attendNaive(int h, MlaScratch s, MlaScratch.Slice b) {
        int heads = spec.numHeads();
        int qk = spec.qkHeadDim();
        int nope = spec.qkNopeHeadDim();
        int ropeDim = spec.qkRopeHeadDim();
        int lora = spec.kvLoraRank();
        int v = spec.vHeadDim();
        int context = 0;
        for (int i = 0; i < s.taskCount; i++) {
            context = Math.max(context, s.taskContext(i));
        }
        LatentCache cache = s.taskCache(0);
        int lanes = Kernels.lanes();
        int width = (context + lanes - 1) / lanes * lanes;
        float[] keys = b.keys;
        s.latentRows.matmul(kvBKeys, h * nope * lora, lora, keys, 0, width, nope, 0, context);
        for (int pos = 0; pos < context; pos++) {
            float[] row = cache.rowArray(layer, pos);
            int ro = cache.rowOffset(layer, pos) + lora;
            for (int r = 0; r < ropeDim; r++) {
                keys[(nope + r) * width + pos] = row[ro + r];
            }
        }
        float[] scores = b.scores;
        for (int i = 0; i < s.taskCount; i++) {
            int t = s.taskToken(i);
            int n = s.taskContext(i);
            Kernels.transposedScores(s.q, t * heads * qk + h * qk, keys, width, qk, n, scores);
            for (int pos = 0; pos < n; pos++) {
                scores[pos] *= spec.softmaxScale();
            }
            int chosen = s.selectedCount(i);
            if (chosen > 0) {
                // Positions the indexer left out weigh exactly zero after the softmax.
                int[] selected = s.selected();
                int next = s.selectedOffset(i);
                int end = next + chosen;
                for (int pos = 0; pos < n; pos++) {
                    if (next < end && selected[next] == pos) {
                        next++;
                    } else {
                        scores[pos] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
            Kernels.softmax(scores, 0, n);
            Kernels.weightedRows(scores, 0, n, s.values, h * v, heads * v, s.attn, t * heads * v + h * v, v);
        }
    }

    /*
     * The absorbed path in three passes over the worker slices. Each score and each latent output
     * element is computed by one fixed sequence of operations per (token, head), whichever slice
     * runs it and whatever else is in the step, so results stay batch-invariant.
     */

    /**
     * Pass 1, one head for every absorbed token: {@code q_lat[t, h] = [W_k[h]ᵀ · q_nope, q_pe]}, the
     * query moved into latent space next to its rotary part, laid out like a cached row so that a
     * score is one dot product.
     */
    void absorbQuery(int h, MlaScratch s, MlaScratch.Slice b) {
        int heads = spec.numHeads();
        int qk = spec.qkHeadDim();
        int nope = spec.qkNopeHeadDim();
        int lora = spec.kvLoraRank();
        int width = spec.latentWidth();
        int n = s.taskCount;
        for (int i = 0; i < n; i++) {
            System.arraycopy(s.q, s.taskToken(i) * heads * qk + h * qk, b.qNope, i * nope, nope);
        }
        absorbK[h].matmul(b.qNope, 0, nope, s.qLatent, h * width, heads * width, n, 0, lora);
        for (int i = 0; i < n; i++) {
            System.arraycopy(s.q, s.taskToken(i) * heads * qk + h * qk + nope, s.qLatent, (i * heads + h) * width + lora,
                    spec.qkRopeHeadDim());
        }
    }

    /**
     * Pass 2, heads {@code [h0, h1)} of one token over its sequence's cached latents: scores,
     * softmax, and {@code o_lat[t, h] = Σ_pos p[h, pos] · c_kv[pos]}. The heads share the latent
     * rows, so each row is loaded once for a tile of heads instead of once per head; {@code h0} is
     * a multiple of 4, so a head lands in the same tile however the heads are split.
     */
    void attendLatent(int i, int h0, int h1, MlaScratch s, MlaScratch.Slice b) {
        int heads = spec.numHeads();
        int lora = spec.kvLoraRank();
        int width = spec.latentWidth();
        int context = s.taskContext(i);
        LatentCache cache = s.taskCache(i);
        float[][] rows = b.rows;
        int[] offsets = b.offsets;
        int chosen = s.selectedCount(i);
        if (chosen > 0) {
            // Sparse: only the rows the indexer selected, in ascending position as densely.
            int[] selected = s.selected();
            int first = s.selectedOffset(i);
            for (int j = 0; j < chosen; j++) {
                int pos = selected[first + j];
                rows[j] = cache.rowArray(layer, pos);
                offsets[j] = cache.rowOffset(layer, pos);
            }
            context = chosen;
        } else {
            for (int pos = 0; pos < context; pos++) {
                rows[pos] = cache.rowArray(layer, pos);
                offsets[pos] = cache.rowOffset(layer, pos);
            }
        }
        float[] scores = b.scores; // [pos, head - h0]
        int n = h1 - h0;
        LatentKernels.scores(s.qLatent, (i * heads + h0) * width, n, rows, offsets, context, width, scores);
        LatentKernels.softmaxPerHead(scores, n, context, spec.softmaxScale());
        LatentKernels.weightedSum(scores, n, rows, offsets, context, lora, s.oLatent, (i * heads + h0) * lora);
        java.util.Arrays.fill(rows, 0, context, null);
    }

    /** Pass 3, one head for every absorbed token: {@code out = W_v[h] · o_lat[t, h]}. */
    void absorbOutput(int h, MlaScratch s, MlaScratch.Slice b) {
        int heads = spec.numHeads();
        int lora = spec.kvLoraRank();
        int v = spec.vHeadDim();
        int n = s.taskCount;
        absorbV[h].matmul(s.oLatent, h * lora, heads * lora, b.out, 0, v, n, 0, v);
        for (int i = 0; i < n; i++) {
            System.arraycopy(b.out, i * v, s.attn, s.taskToken(i) * heads * v + h * v, v);
        }
    }

    /**
     * Bytes of weights one decode step reads in this layer: the projections and the absorbed
     * halves of {@code kv_b_proj}, each in the format it is held in.
     */
    public long decodeWeightBytes() {
        long bytes = weights.kvAProjWithMqa().bytes() + weights.oProj().bytes() + weights.qBProj().bytes();
        for (int h = 0; h < absorbK.length; h++) {
            bytes += absorbK[h].bytes() + absorbV[h].bytes();
        }
        if (indexer != null) {
            bytes += indexer.weights().bytes();
        }
        return weights.qAProj() == null ? bytes : bytes + weights.qAProj().bytes();
    }

    public MlaSpec spec() {
        return spec;
    }

    /** DeepSeek Sparse Attention's indexer of this layer; null for dense attention. */
    public LightningIndexer indexer() {
        return indexer;
    }

    /** The layer's weights as loaded: what a device backend uploads. */
    public MlaWeights weights() {
        return weights;
    }

    /**
     * {@code kv_b_proj} widened to f32 {@code [heads × (nope + v), kv_lora_rank]}, rows in the
     * checkpoint's order: what a device backend uploads. Assembled from the key and value rows on
     * each call (at upload time), so the CPU path holds each value once.
     */
    public Linear kvBF32() {
        int lora = spec.kvLoraRank();
        int nope = spec.qkNopeHeadDim();
        int v = spec.vHeadDim();
        int heads = spec.numHeads();
        float[] rows = new float[heads * (nope + v) * lora];
        float[] valueRows = kvBValues.f32RowMajor();
        for (int h = 0; h < heads; h++) {
            System.arraycopy(kvBKeys, h * nope * lora, rows, h * (nope + v) * lora, nope * lora);
            System.arraycopy(valueRows, h * v * lora, rows, (h * (nope + v) + nope) * lora, v * lora);
        }
        return Linear.ofFloats(heads * (nope + v), lora, rows);
    }

    public RotaryEmbedding rope() {
        return rope;
    }
}
