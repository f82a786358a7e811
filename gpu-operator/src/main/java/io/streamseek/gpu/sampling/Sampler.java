package io.streamseek.gpu.sampling;

/**
 * Chooses the next token of one sequence from its logits row {@code [vocab]}. Stateful: a seeded
 * sampler draws a fixed sequence of random numbers, so the same logits in the same order give the
 * same tokens. May reorder {@code logits} in place; allocates nothing per token.
 */
@FunctionalInterface
public interface Sampler {

    int sample(float[] logits, int offset, int vocab);

    /** The sampler for {@code params}, with scratch buffers sized for {@code vocab}. */
    static Sampler create(SamplingParams params, int vocab) {
        return params.isGreedy() ? Sampler::argmax : new StochasticSampler(params, vocab);
    }

    /** Index of the largest logit; the lowest index among equals. */
    static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        float bestValue = logits[offset];
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > bestValue) {
                bestValue = logits[offset + i];
                best = i;
            }
        }
        return best;
    }
}
