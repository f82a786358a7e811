package io.streamseek.gpu.moe;

import io.streamseek.gpu.moe.RouterSpec.ScoringFunc;
import io.streamseek.gpu.moe.RouterSpec.TopkMethod;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Each gate variant on a small case worked out by hand. */
class RouterTest {

    private final int[] experts = new int[2];
    private final float[] weights = new float[2];

    @Test
    void greedySoftmaxTakesTheTopScoresUnnormalised() {
        RouterSpec spec = new RouterSpec(4, 2, TopkMethod.GREEDY, ScoringFunc.SOFTMAX, 1, 1, false, 1f, null);
        Router router = new Router(8, 8);
        router.route(spec, new float[] {1, 2, 3, 0}, 0, experts, weights);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(0);
        assertThat(experts).containsExactly(2, 1);
        assertThat(weights[0]).isCloseTo((float) (Math.exp(3) / z), within(1e-6f));
        assertThat(weights[1]).isCloseTo((float) (Math.exp(2) / z), within(1e-6f));
    }

    @Test
    void greedyScalesByRoutedScalingFactorWithoutNormalising() {
        RouterSpec spec = new RouterSpec(4, 2, TopkMethod.GREEDY, ScoringFunc.SOFTMAX, 1, 1, false, 16f, null);
        Router router = new Router(8, 8);
        router.route(spec, new float[] {0, 0, 0, 0}, 0, experts, weights);
        assertThat(experts).containsExactly(0, 1); // ties go to the lower index
        assertThat(weights).containsExactly(4f, 4f); // 0.25 × 16
    }

    @Test
    void groupLimitedGreedyKeepsOnlyTheBestGroupsByTheirBestExpert() {
        // Groups of two: g0 = {0,1}, g1 = {2,3}, g2, g3. The global top two (0 and 2) span two groups,
        // but with topk_group 1 only g0 (best expert 5.0 > 4.9) stays eligible.
        float[] logits = {5f, 0f, 4.9f, 4.8f, 0f, 0f, 0f, 0f};
        RouterSpec spec = new RouterSpec(8, 2, TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, 4, 1, true, 1f, null);
        Router router = new Router(8, 8);
        router.route(spec, logits, 0, experts, weights);
        assertThat(experts).containsExactly(0, 1);
        float p0 = (float) Math.exp(5f);
        float p1 = 1f;
        assertThat(weights[0]).isCloseTo(p0 / (p0 + p1), within(1e-6f));
        assertThat(weights[1]).isCloseTo(p1 / (p0 + p1), within(1e-6f));
    }

    @Test
    void noauxTcBiasChoosesExpertsButNeverWeighsThem() {
        float[] bias = {0f, 0f, 0f, 0.3f, 0f, 0f, 0.2f, 0f};
        RouterSpec spec = new RouterSpec(8, 2, TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, 1, 1, true, 2.5f, bias);
        Router router = new Router(8, 8);
        float[] logits = {0.1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f};
        router.route(spec, logits, 0, experts, weights);
        assertThat(experts).containsExactly(3, 6); // 0.5 + 0.3 and 0.5 + 0.2 beat sigmoid(0.1) ≈ 0.525
        assertThat(weights).containsExactly(1.25f, 1.25f); // 0.5 / (0.5 + 0.5) × 2.5
    }

    @Test
    void noauxTcRanksGroupsByTheSumOfTheirTopTwo() {
        // Groups of four. By best expert g0 (0.5 + 0.4) wins; by the sum of the top two g1 wins
        // (0.5 + 0.25 twice = 1.5 against 0.9 + 0.5 = 1.4).
        float[] bias = {0.4f, 0f, 0f, 0f, 0.25f, 0.25f, 0f, 0f};
        float[] logits = new float[8];
        RouterSpec spec = new RouterSpec(8, 2, TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, 2, 1, true, 1f, bias);
        Router router = new Router(8, 8);
        router.route(spec, logits, 0, experts, weights);
        assertThat(experts).containsExactly(4, 5);
        assertThat(weights).containsExactly(0.5f, 0.5f);
    }

    @Test
    void readsLogitsAtAnOffset() {
        RouterSpec spec = new RouterSpec(4, 2, TopkMethod.GREEDY, ScoringFunc.SIGMOID, 1, 1, false, 1f, null);
        Router router = new Router(8, 8);
        router.route(spec, new float[] {9, 9, 9, 0, 1, 2, 3}, 3, experts, weights);
        assertThat(experts).containsExactly(3, 2);
    }

    @Test
    void inconsistentSettingsAreRejectedByName() {
        assertThatThrownBy(() -> new RouterSpec(8, 2, TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, 4, 2, true, 1f, null))
                .hasMessage("topk_method noaux_tc needs mlp.gate.e_score_correction_bias");
        assertThatThrownBy(() -> new RouterSpec(8, 2, TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, 3, 1, false, 1f, null))
                .hasMessage("n_routed_experts (8) must divide into n_group (3) equal groups");
        assertThatThrownBy(() -> new RouterSpec(8, 6, TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, 4, 2, false, 1f, null))
                .hasMessage("topk_group (2) groups of 2 experts cannot hold num_experts_per_tok (6) experts");
        assertThatThrownBy(() -> RouterSpec.TopkMethod.fromConfig("top2"))
                .hasMessage("topk_method 'top2' is not supported; use greedy, group_limited_greedy or noaux_tc");
    }
}
