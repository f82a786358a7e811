package io.streamseek.gpu.accounting;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.model.DecoderLayer;
import io.streamseek.gpu.model.DeepSeekModel;

/**
 * The floating-point operations attributed to one token: a function of the model and the token's
 * position only, so a replay or a recompute attributes exactly the same figure (2 per
 * multiply-add). Counted: the attention projections (with {@code kv_b_proj} once, as the absorbed
 * path folds it), attention over the token's context ({@code [0, position]}), the dense MLPs, the
 * gate, the {@code num_experts_per_tok} routed experts and the shared experts of every MoE layer,
 * and {@code lm_head} when the token yields logits. Not counted: norms, RoPE, softmax, and the
 * naive path's re-expansion of the whole context per prefill chunk (an implementation detail,
 * paid for through device time).
 */
public final class FlopModel {

    private final long perToken;          // position-independent part, without lm_head
    private final long lmHead;
    private final long naivePerContext;   // attention per context position, all layers
    private final long absorbedPerContext;
    private final int expertsPerToken;    // routed + shared blocks over all MoE layers

    public FlopModel(DeepSeekModel model) {
        MlaSpec m = model.mlaSpec();
        int hidden = m.hiddenSize();
        int heads = m.numHeads();
        long qProj = m.qLoraRank() > 0
                ? (long) m.qLoraRank() * hidden + (long) heads * m.qkHeadDim() * m.qLoraRank()
                : (long) heads * m.qkHeadDim() * hidden;
        long attention = qProj + (long) m.latentWidth() * hidden + (long) heads * (m.qkNopeHeadDim() + m.vHeadDim()) * m.kvLoraRank()
                + (long) hidden * heads * m.vHeadDim();
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
    }

    /**
     * @param position the token's position (it attends over {@code position + 1} tokens)
     * @param absorbed whether it ran the absorbed attention path (generated tokens) or the naive one (prompt tokens)
     * @param logits whether {@code lm_head} ran for it
     */
    public long tokenFlops(int position, boolean absorbed, boolean logits) {
        long context = position + 1L;
        return perToken + context * (absorbed ? absorbedPerContext : naivePerContext) + (logits ? lmHead : 0);
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
        long n = end - from;
        long contexts = (long) (from + 1 + end) * n / 2; // Σ (pos + 1) for pos in [from, end)
        return n * perToken + contexts * (absorbed ? absorbedPerContext : naivePerContext) + (logits ? lmHead : 0);
    }

    /** Routed and shared experts one token runs through, summed over all MoE layers. */
    public int expertsActivated() {
        return expertsPerToken;
    }
}
