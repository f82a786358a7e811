package io.streamseek.gpu.sampling;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SamplerTest {

    /** Probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 at temperature 1. */
    private static final float[] LOGITS = {
        (float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.125), (float) Math.log(0.0625), (float) Math.log(0.0625)};

    @Test
    void greedyTakesTheLargestAndTiesGoToTheLowestId() {
        Sampler greedy = Sampler.create(SamplingParams.GREEDY, 4);
        assertThat(greedy.sample(new float[] {1, 3, 3, 2}, 0, 4)).isEqualTo(1);
        assertThat(greedy.sample(new float[] {9, 0, 1, 5, 2}, 1, 4)).isEqualTo(2);
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        SamplingParams params = new SamplingParams(1f, 1f, 0, 1234);
        int[] a = draw(Sampler.create(params, 5), 200);
        int[] b = draw(Sampler.create(params, 5), 200);
        int[] c = draw(Sampler.create(new SamplingParams(1f, 1f, 0, 99), 5), 200);
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void frequenciesFollowTheTemperatureScaledDistribution() {
        int[] counts = histogram(new SamplingParams(1f, 1f, 0, 7), 40_000);
        assertThat(counts[0] / 40_000.0).isCloseTo(0.5, within(0.01));
        assertThat(counts[1] / 40_000.0).isCloseTo(0.25, within(0.01));
        assertThat(counts[3] / 40_000.0).isCloseTo(0.0625, within(0.01));
        // Temperature 2 flattens: p ∝ sqrt(p), i.e. 0.354 / 0.25 / 0.177 / 0.125 / 0.125 of 1.03.
        int[] flat = histogram(new SamplingParams(2f, 1f, 0, 7), 40_000);
        assertThat(flat[0] / 40_000.0).isCloseTo(Math.sqrt(0.5) / (Math.sqrt(0.5) + 0.5 + Math.sqrt(0.125) + 0.5), within(0.01));
    }

    @Test
    void topKAndTopPCutTheTail() {
        int[] topK = histogram(new SamplingParams(1f, 1f, 2, 3), 20_000);
        assertThat(topK[2] + topK[3] + topK[4]).isZero();
        assertThat(topK[0] / 20_000.0).isCloseTo(2 / 3.0, within(0.015));
        // top_p 0.7: 0.5 alone is short of 0.7, 0.5 + 0.25 reaches it; renormalised to 2/3, 1/3.
        int[] topP = histogram(new SamplingParams(1f, 0.7f, 0, 3), 20_000);
        assertThat(topP[2] + topP[3] + topP[4]).isZero();
        assertThat(topP[1] / 20_000.0).isCloseTo(1 / 3.0, within(0.015));
        // top_p over a large vocabulary goes through the full sort.
        float[] big = new float[5000];
        big[4321] = 20f;
        Sampler sampler = Sampler.create(new SamplingParams(1f, 0.5f, 0, 3), big.length);
        assertThat(sampler.sample(big, 0, big.length)).isEqualTo(4321);
    }

    @Test
    void invalidParametersNameTheirRange() {
        assertThatThrownBy(() -> new SamplingParams(-1f, 1f, 0, 0)).hasMessage("temperature must be a finite number >= 0, was -1.0");
        assertThatThrownBy(() -> new SamplingParams(1f, 0f, 0, 0)).hasMessage("top_p must be in (0, 1], was 0.0");
        assertThatThrownBy(() -> new SamplingParams(1f, 1f, -3, 0)).hasMessage("top_k must be >= 0 (0 disables it), was -3");
    }

    private static int[] histogram(SamplingParams params, int draws) {
        int[] counts = new int[LOGITS.length];
        for (int token : draw(Sampler.create(params, LOGITS.length), draws)) {
            counts[token]++;
        }
        return counts;
    }

    private static int[] draw(Sampler sampler, int n) {
        int[] tokens = new int[n];
        float[] row = new float[LOGITS.length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(LOGITS, 0, row, 0, row.length);
            tokens[i] = sampler.sample(row, 0, row.length);
        }
        return tokens;
    }
}
