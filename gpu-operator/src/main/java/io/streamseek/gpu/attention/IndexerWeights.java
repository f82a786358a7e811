package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.Linear;

/**
 * One layer's lightning-indexer weights, under their Hugging Face names
 * ({@code self_attn.indexer.*}).
 *
 * @param wqB {@code wq_b} {@code [index_n_heads × index_head_dim, q_lora_rank]}: queries from the
 *     normalised {@code q_a_proj} output MLA's own queries start from
 * @param wk {@code wk} {@code [index_head_dim, hidden]}: the one key per token
 * @param kNormWeight {@code k_norm.weight} {@code [index_head_dim]}: the key's LayerNorm (eps 1e-6)
 * @param kNormBias {@code k_norm.bias} {@code [index_head_dim]}
 * @param weightsProj {@code weights_proj} {@code [index_n_heads, hidden]}: each head's weight per query token
 */
public record IndexerWeights(Linear wqB, Linear wk, float[] kNormWeight, float[] kNormBias, Linear weightsProj) {

    /** Bytes of weights one token reads through the indexer's projections. */
    public long bytes() {
        return wqB.bytes() + wk.bytes() + weightsProj.bytes() + 8L * kNormWeight.length;
    }
}
