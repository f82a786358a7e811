package io.streamseek.gpu.attention;

/**
 * The shape of multi-head latent attention, in the checkpoint's terms.
 *
 * @param hiddenSize {@code hidden_size}
 * @param numHeads {@code num_attention_heads}
 * @param qLoraRank {@code q_lora_rank}; 0 when the query uses a plain {@code q_proj}
 * @param kvLoraRank {@code kv_lora_rank}: width of the cached latent {@code c_kv}
 * @param qkNopeHeadDim {@code qk_nope_head_dim}: per-head query/key dims without rotary embedding
 * @param qkRopeHeadDim {@code qk_rope_head_dim}: per-head query dims, and the one shared key part, with rotary embedding
 * @param vHeadDim {@code v_head_dim}
 * @param rmsNormEps {@code rms_norm_eps} of {@code q_a_layernorm} and {@code kv_a_layernorm}
 * @param softmaxScale {@code qk_head_dim^-0.5}, YaRN-corrected (see {@link RotaryEmbedding#softmaxScale})
 * @param indexer DeepSeek Sparse Attention's indexer (DeepSeek-V3.2); null for dense attention
 */
public record MlaSpec(int hiddenSize, int numHeads, int qLoraRank, int kvLoraRank, int qkNopeHeadDim,
                      int qkRopeHeadDim, int vHeadDim, float rmsNormEps, float softmaxScale, IndexerSpec indexer) {

    /** Dense MLA (DeepSeek-V2/V3). */
    public MlaSpec(int hiddenSize, int numHeads, int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim,
                   float rmsNormEps, float softmaxScale) {
        this(hiddenSize, numHeads, qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim, rmsNormEps, softmaxScale, null);
    }

    /** {@code qk_nope_head_dim + qk_rope_head_dim}. */
    public int qkHeadDim() {
        return qkNopeHeadDim + qkRopeHeadDim;
    }

    /** Values per token per layer in the latent cache: {@code kv_lora_rank + qk_rope_head_dim}. */
    public int latentWidth() {
        return kvLoraRank + qkRopeHeadDim;
    }

    /**
     * Values per token per layer in a cache row: the latent, then, with DeepSeek Sparse Attention,
     * the indexer's key ({@code index_head_dim} values at {@link #latentWidth()}). One row, so the
     * indexer keys share the latent's blocks, block tables, prefix cache and byte budget.
     */
    public int cacheRowWidth() {
        return indexer == null ? latentWidth() : latentWidth() + indexer.headDim();
    }

    /** Values per token per layer a conventional multi-head cache would hold: {@code heads × (qk_head_dim + v_head_dim)}. */
    public int multiHeadCacheWidth() {
        return numHeads * (qkHeadDim() + vHeadDim);
    }
}
