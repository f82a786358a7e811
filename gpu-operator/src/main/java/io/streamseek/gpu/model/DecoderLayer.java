package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.moe.MoeLayer;
import io.streamseek.gpu.moe.Mlp;

/**
 * One transformer block: {@code h += attn(input_layernorm(h)); h += ffn(post_attention_layernorm(h))},
 * where the feed-forward part is a dense MLP or DeepSeekMoE.
 *
 * @param inputLayernorm {@code input_layernorm} {@code [hidden]}
 * @param attention the layer's MLA
 * @param postAttentionLayernorm {@code post_attention_layernorm} {@code [hidden]}
 * @param denseMlp the MLP of a dense layer; null in a MoE layer
 * @param moe the MoE of a MoE layer; null in a dense layer
 */
public record DecoderLayer(float[] inputLayernorm, MlaAttention attention, float[] postAttentionLayernorm,
                           Mlp denseMlp, MoeLayer moe) {

    public DecoderLayer {
        if ((denseMlp == null) == (moe == null)) {
            throw new IllegalArgumentException("a decoder layer has either a dense MLP or a MoE, not " + (denseMlp == null ? "neither" : "both"));
        }
    }

    public boolean isMoe() {
        return moe != null;
    }
}
