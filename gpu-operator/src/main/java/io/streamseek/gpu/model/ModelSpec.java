package io.streamseek.gpu.model;

/**
 * The sizes the forward pass allocates by.
 *
 * @param hiddenSize {@code hidden_size}
 * @param vocabSize {@code vocab_size}
 * @param maxPositions {@code max_position_embeddings}: the context length
 * @param rmsNormEps {@code rms_norm_eps}
 * @param maxIntermediateSize the widest MLP: {@code intermediate_size} or {@code n_shared_experts × moe_intermediate_size}
 * @param numRoutedExperts {@code n_routed_experts}, 0 for a dense model
 * @param expertsPerToken {@code num_experts_per_tok}, 0 for a dense model
 */
public record ModelSpec(int hiddenSize, int vocabSize, int maxPositions, float rmsNormEps, int maxIntermediateSize,
                        int numRoutedExperts, int expertsPerToken) {
}
