package io.streamseek.gpu.accounting;

/**
 * What generating one token cost.
 *
 * @param latencyNanos wall time of the engine step that produced it
 * @param batchSize sequences in that step, this one included
 * @param flops FLOPs of this sequence's work in that step (see {@link FlopModel}); for the first
 *     token, the last prefill chunk
 * @param bytesRead weights read in that step times this sequence's share of its tokens, plus the
 *     latent cache rows its attention read
 * @param expertsActivated routed and shared experts the token ran through, over all MoE layers
 */
public record TokenCost(long latencyNanos, int batchSize, long flops, long bytesRead, int expertsActivated) {
}
