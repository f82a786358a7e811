package io.streamseek.gpu.sampling;

/**
 * How tokens are chosen.
 *
 * @param temperature softmax temperature; 0 is greedy (the most likely token, ties to the lowest id)
 * @param topP nucleus sampling: keep the fewest most likely tokens whose probability reaches top_p; in (0, 1], 1 disables it
 * @param topK keep only the k most likely tokens; 0 disables it
 * @param seed seed of the sampler: the same logits and seed give the same tokens
 */
public record SamplingParams(float temperature, float topP, int topK, long seed) {

    public static final SamplingParams GREEDY = new SamplingParams(0f, 1f, 0, 0L);

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, was " + temperature);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], was " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 disables it), was " + topK);
        }
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
