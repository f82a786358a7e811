package io.streamseek.gpu.attention;

/**
 * The shape of DeepSeek Sparse Attention's lightning indexer in one layer (DeepSeek-V3.2), in the
 * config's terms. Per token it caches one key of {@code index_head_dim} values beside the MLA
 * latent; a query's {@code index_n_heads} heads score every cached key, and MLA attends to the
 * {@code index_topk} best.
 *
 * @param numHeads {@code index_n_heads}
 * @param headDim {@code index_head_dim}: query head and key width; the first {@code ropeDim} values
 *     carry rotary embedding, rotated in halves (not interleaved as MLA's)
 * @param topk {@code index_topk}: positions each query attends to once its context is longer
 * @param ropeDim {@code qk_rope_head_dim}
 */
public record IndexerSpec(int numHeads, int headDim, int topk, int ropeDim) {

    public IndexerSpec {
        if (numHeads < 1 || topk < 1 || ropeDim < 0 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("indexer of " + numHeads + " heads × " + headDim + " dims, top " + topk
                    + ", rope " + ropeDim + " is not a valid shape");
        }
    }

    /** {@code index_head_dim^-0.5}: scales a head's query-key product before its ReLU. */
    public float scoreScale() {
        return (float) (1 / Math.sqrt(headDim));
    }

    /** {@code index_n_heads^-0.5}: scales the per-head weights of {@code weights_proj}. */
    public float weightScale() {
        return (float) (1 / Math.sqrt(numHeads));
    }
}
