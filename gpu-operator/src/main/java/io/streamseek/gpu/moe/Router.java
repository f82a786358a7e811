package io.streamseek.gpu.moe;

/**
 * DeepSeekMoE's gate: from a token's router logits {@code [n_routed_experts]} to the
 * {@code num_experts_per_tok} experts it runs through and their weights.
 *
 * <ol>
 *   <li>Scores: softmax or sigmoid of the logits ({@code scoring_func}).</li>
 *   <li>Selection scores: the scores plus {@code e_score_correction_bias} under {@code noaux_tc}.
 *       The bias steers which experts are chosen (auxiliary-loss-free load balancing) but never
 *       their weights.</li>
 *   <li>Group limit ({@code group_limited_greedy}, {@code noaux_tc}): experts are split into
 *       {@code n_group} groups; only the best {@code topk_group} groups stay eligible, a group
 *       scoring by its best expert ({@code group_limited_greedy}) or the sum of its best two
 *       ({@code noaux_tc}).</li>
 *   <li>Top-k of the eligible selection scores; weights are the chosen experts' plain scores,
 *       normalised to sum 1 when {@code norm_topk_prob}, then times {@code routed_scaling_factor}.</li>
 * </ol>
 *
 * <p>Ties go to the lower expert index, so routing is deterministic. Not thread-safe: one router per
 * worker, serving every layer with its scratch arrays, so routing a token allocates nothing.
 */
public final class Router {

    private final float[] scores;
    private final float[] selection;
    private final float[] groupScores;
    private final boolean[] groupEligible;
    private RouterSpec spec;

    /** A router for layers of up to {@code maxExperts} experts in up to {@code maxGroups} groups. */
    public Router(int maxExperts, int maxGroups) {
        this.scores = new float[maxExperts];
        this.selection = new float[maxExperts];
        this.groupScores = new float[Math.max(1, maxGroups)];
        this.groupEligible = new boolean[Math.max(1, maxGroups)];
    }

    /**
     * Routes one token.
     *
     * @param spec the layer's gate settings
     * @param logits router logits {@code [n_routed_experts]}, read from {@code offset}
     * @param experts receives the chosen expert indices {@code [num_experts_per_tok]}, best first
     * @param weights receives their weights {@code [num_experts_per_tok]}
     */
    public void route(RouterSpec spec, float[] logits, int offset, int[] experts, float[] weights) {
        this.spec = spec;
        int n = spec.numExperts();
        score(logits, offset);
        float[] bias = spec.correctionBias();
        for (int e = 0; e < n; e++) {
            selection[e] = bias == null ? scores[e] : scores[e] + bias[e];
        }
        if (spec.numGroups() > 1) {
            limitToBestGroups();
        }
        int k = spec.expertsPerToken();
        float sum = 0f;
        for (int slot = 0; slot < k; slot++) {
            int best = -1;
            for (int e = 0; e < n; e++) {
                if (selection[e] != Float.NEGATIVE_INFINITY && (best < 0 || selection[e] > selection[best])) {
                    best = e;
                }
            }
            experts[slot] = best;
            weights[slot] = scores[best];
            sum += scores[best];
            selection[best] = Float.NEGATIVE_INFINITY;
        }
        float scale = spec.routedScalingFactor();
        if (spec.normTopkProb() && k > 1) {
            scale /= sum + 1e-20f;
        }
        for (int slot = 0; slot < k; slot++) {
            weights[slot] *= scale;
        }
    }

    private void score(float[] logits, int offset) {
        int n = spec.numExperts();
        if (spec.scoringFunc() == RouterSpec.ScoringFunc.SIGMOID) {
            for (int e = 0; e < n; e++) {
                scores[e] = (float) (1.0 / (1.0 + Math.exp(-logits[offset + e])));
            }
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < n; e++) {
            max = Math.max(max, logits[offset + e]);
        }
        float sum = 0f;
        for (int e = 0; e < n; e++) {
            scores[e] = (float) Math.exp(logits[offset + e] - max);
            sum += scores[e];
        }
        for (int e = 0; e < n; e++) {
            scores[e] /= sum;
        }
    }

    /** Masks (to -inf) every expert outside the {@code topk_group} best groups. */
    private void limitToBestGroups() {
        int groups = spec.numGroups();
        int perGroup = spec.numExperts() / groups;
        boolean sumOfTopTwo = spec.topkMethod() == RouterSpec.TopkMethod.NOAUX_TC;
        for (int g = 0; g < groups; g++) {
            float first = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
                float s = selection[e];
                if (s > first) {
                    second = first;
                    first = s;
                } else if (s > second) {
                    second = s;
                }
            }
            groupScores[g] = sumOfTopTwo ? first + second : first;
            groupEligible[g] = false;
        }
        for (int pick = 0; pick < spec.topkGroup(); pick++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!groupEligible[g] && (best < 0 || groupScores[g] > groupScores[best])) {
                    best = g;
                }
            }
            groupEligible[best] = true;
        }
        for (int g = 0; g < groups; g++) {
            if (!groupEligible[g]) {
                for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
                    selection[e] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }
}
