package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.Linear;

/**
 * One layer's attention weights, under their Hugging Face names.
 *
 * @param qAProj {@code q_a_proj} {@code [q_lora_rank, hidden]}; null with a plain {@code q_proj}
 * @param qALayernorm {@code q_a_layernorm} {@code [q_lora_rank]}; null with a plain {@code q_proj}
 * @param qBProj {@code q_b_proj} {@code [heads × qk_head_dim, q_lora_rank]}, or {@code q_proj} {@code [heads × qk_head_dim, hidden]}
 * @param kvAProjWithMqa {@code kv_a_proj_with_mqa} {@code [kv_lora_rank + qk_rope_head_dim, hidden]}
 * @param kvALayernorm {@code kv_a_layernorm} {@code [kv_lora_rank]}
 * @param kvBProj {@code kv_b_proj} {@code [heads × (qk_nope_head_dim + v_head_dim), kv_lora_rank]}
 * @param oProj {@code o_proj} {@code [hidden, heads × v_head_dim]}
 * @param kvBHeads {@code kv_b_proj} per head as a split-layout GGUF stores it ({@code [0][h]}:
 *     {@code W_k[h]ᵀ [kv_lora_rank, nope]}, {@code [1][h]}: {@code W_v[h] [v_head_dim, kv_lora_rank]}),
 *     which the absorbed path then reads in their stored format; null otherwise
 * @param indexer {@code indexer.*}, DeepSeek Sparse Attention's lightning indexer; null for dense attention
 */
public record MlaWeights(Linear qAProj, float[] qALayernorm, Linear qBProj, Linear kvAProjWithMqa,
                         float[] kvALayernorm, Linear kvBProj, Linear oProj, Linear[][] kvBHeads, IndexerWeights indexer) {

    public MlaWeights(Linear qAProj, float[] qALayernorm, Linear qBProj, Linear kvAProjWithMqa, float[] kvALayernorm, Linear kvBProj,
                      Linear oProj) {
        this(qAProj, qALayernorm, qBProj, kvAProjWithMqa, kvALayernorm, kvBProj, oProj, null, null);
    }
}
