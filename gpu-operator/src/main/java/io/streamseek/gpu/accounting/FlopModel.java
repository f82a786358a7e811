package io.streamseek.gpu.accounting;

import io.streamseek.gpu.attention.IndexerSpec;
import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.model.DecoderLayer;
import io.streamseek.gpu.model.DeepSeekModel;

/**
 * The floating-point operations attributed to one token: a function of the model and the token's
 * position only, so a replay or a recompute attributes exactly the same figure (2 per
 * multiply-add). Counted: the attention projections (with {@code kv_b_proj} once, as the absorbed
 * path folds it), attention over the token's context ({@code [0, position]}), the dense MLPs, the
 * gate, the {@code num_experts_per_tok} routed experts and the shared experts of every MoE layer,
 * and {@code lm_head} when the token yields logits. With DeepSeek Sparse Attention (V3.2) also the
 * indexer's projections, and, once the context is longer than {@code index_topk}, its scoring of
 * every cached position while attention covers only {@code index_topk} of them (DeepSeek's own
 * code also scores shorter contexts, where every position is selected anyway). Not counted: norms,
 * RoPE, softmax, the top-k selection, and the naive path's re-expansion of the whole context per
 * prefill chunk and its scores at positions the indexer left out (implementation details, paid for
 * through device time).
 */
public final class FlopModel {

    private final long perToken;          // position-independent part, without lm_head
    private final long lmHead;
    private final long naivePerContext;   // attention per context position, all layers
    private final long absorbedPerContext;
    private final int expertsPerToken;    // routed + shared blocks over all MoE layers
    private final long topk;              // index_topk; 0 for dense attention
    private final long indexerPerContext; // indexer scoring per context position, all layers
    private final long latentBytesPerContext; // cache bytes attention reads per position, all layers
    private final long keyBytesPerContext;    // cache bytes the indexer reads per position, all layers

    public FlopModel(DeepSeekModel model) {
        MlaSpec m = model.mlaSpec();
        int hidden = m.hiddenSize();
        int heads = m.numHeads();
        long qProj = m.qLoraRank() > 0
                ? (long) m.qLoraRank() * hidden + (long) heads * m.qkHeadDim() * m.qLoraRank()
                : (long) heads * m.qkHeadDim() * hidden;
        long attention = qProj + (long) m.latentWidth() * hidden + (long) heads * (m.qkNopeHeadDim() + m.vHeadDim()) * m.kvLoraRank()
                + (long) hidden * heads * m.vHeadDim();
        IndexerSpec indexer = m.indexer();
        if (indexer != null) {
            attention += (long) indexer.numHeads() * indexer.headDim() * m.qLoraRank() + (long) indexer.headDim() * hidden
                    + (long) indexer.numHeads() * hidden;
        }
        long total = 0;
        int experts = 0;
        for (int l = 0; l < model.numLayers(); l++) {
            DecoderLayer layer = model.layer(l);
            total += 2 * attention;
            if (layer.isMoe()) {
                int k = layer.moe().router().expertsPerToken();
                total += 2L * hidden * layer.moe().gate().rows();
                total += k * 6L * hidden * layer.moe().experts()[0].intermediateSize();
                experts += k;
                if (layer.moe().sharedExperts() != null) {
                    total += 6L * hidden * layer.moe().sharedExperts().intermediateSize();
                    experts++;
                }
            } else {
                total += 6L * hidden * layer.denseMlp().intermediateSize();
            }
        }
        this.perToken = total;
        this.lmHead = 2L * hidden * model.spec().vocabSize();
        this.naivePerContext = 2L * heads * (m.qkHeadDim() + m.vHeadDim()) * model.numLayers();
        this.absorbedPerContext = 2L * heads * (2L * m.kvLoraRank() + m.qkRopeHeadDim()) * model.numLayers();
        this.expertsPerToken = experts;
        this.topk = indexer == null ? 0 : indexer.topk();
        this.indexerPerContext = indexer == null ? 0 : 2L * indexer.numHeads() * (indexer.headDim() + 1) * model.numLayers();
        this.latentBytesPerContext = 4L * m.latentWidth() * model.numLayers();
        this.keyBytesPerContext = indexer == null ? 0 : 4L * indexer.headDim() * model.numLayers();
    }

    /**
     * @param position the token's position (it attends over {@code position + 1} tokens)
     * @param absorbed whether it ran the absorbed attention path (generated tokens) or the naive one (prompt tokens)
     * @param logits whether {@code lm_head} ran for it
     */
    public long tokenFlops(int position, boolean absorbed, boolean logits) {
        return rangeFlops(position, position + 1, absorbed, logits);
    }

    /**
     * {@link #tokenFlops} summed over positions {@code [from, end)}, in closed form: the context
     * term is an arithmetic series.
     *
     * @param logits whether the last position ({@code end - 1}) yields logits
     */
    public long rangeFlops(int from, int end, boolean absorbed, boolean logits) {
        if (end <= from) {
            return 0;
        }
        long perContext = absorbed ? absorbedPerContext : naivePerContext;
        return (end - from) * perToken + contextCost(from, end, perContext, indexerPerContext) + (logits ? lmHead : 0);
    }

    /**
     * Bytes of cache that positions {@code [from, end)} read: each the latent rows it attends over
     * (all of its context, or {@code index_topk} of them) and, where the indexer selects, every
     * cached indexer key.
     */
    public long contextBytes(int from, int end) {
        if (end <= from) {
            return 0;
        }
        return contextCost(from, end, latentBytesPerContext, keyBytesPerContext);
    }

    /**
     * Over positions {@code [from, end)} (position {@code p} has context {@code p + 1}): the
     * positions each attends to (its context, or {@code index_topk} once the indexer selects) times
     * {@code perAttended}, plus the positions the indexer scores (its whole context, where it
     * selects) times {@code perScored}. In closed form: arithmetic series.
     */
    private long contextCost(int from, int end, long perAttended, long perScored) {
        long denseLast = topk == 0 ? end : Math.min(end, topk);
        long firstSparse = Math.max(from + 1, denseLast + 1);
        long sparse = Math.max(0, end - firstSparse + 1);
        return contextSum(from + 1, denseLast) * perAttended + sparse * topk * perAttended + contextSum(firstSparse, end) * perScored;
    }

    /** {@code Σ c} for c in {@code [first, last]}; 0 when empty. */
    private static long contextSum(long first, long last) {
        return last < first ? 0 : (first + last) * (last - first + 1) / 2;
    }

    /** Routed and shared experts one token runs through, summed over all MoE layers. */
    public int expertsActivated() {
        return expertsPerToken;
    }
}
