package io.streamseek.gpu.moe;

/**
 * The gate's settings, in the checkpoint's terms.
 *
 * @param numExperts {@code n_routed_experts}
 * @param expertsPerToken {@code num_experts_per_tok}
 * @param topkMethod {@code topk_method}
 * @param scoringFunc {@code scoring_func}
 * @param numGroups {@code n_group} (1: no group limit)
 * @param topkGroup {@code topk_group}
 * @param normTopkProb {@code norm_topk_prob}
 * @param routedScalingFactor {@code routed_scaling_factor}
 * @param correctionBias {@code mlp.gate.e_score_correction_bias} {@code [n_routed_experts]}, only for {@code noaux_tc}
 */
public record RouterSpec(int numExperts, int expertsPerToken, TopkMethod topkMethod, ScoringFunc scoringFunc,
                         int numGroups, int topkGroup, boolean normTopkProb, float routedScalingFactor,
                         float[] correctionBias) {

    public RouterSpec {
        if (expertsPerToken < 1 || expertsPerToken > numExperts) {
            throw new IllegalArgumentException("num_experts_per_tok must be in 1.." + numExperts + ", was " + expertsPerToken);
        }
        if (topkMethod == TopkMethod.GREEDY) {
            numGroups = 1; // greedy ignores n_group, as the reference does
        }
        if (numGroups < 1 || numExperts % numGroups != 0) {
            throw new IllegalArgumentException("n_routed_experts (" + numExperts + ") must divide into n_group (" + numGroups + ") equal groups");
        }
        if (numGroups > 1 && (topkGroup < 1 || topkGroup > numGroups)) {
            throw new IllegalArgumentException("topk_group must be in 1.." + numGroups + ", was " + topkGroup);
        }
        if (numGroups > 1 && topkGroup * (numExperts / numGroups) < expertsPerToken) {
            throw new IllegalArgumentException("topk_group (" + topkGroup + ") groups of " + numExperts / numGroups
                    + " experts cannot hold num_experts_per_tok (" + expertsPerToken + ") experts");
        }
        if ((topkMethod == TopkMethod.NOAUX_TC) != (correctionBias != null)) {
            throw new IllegalArgumentException(topkMethod == TopkMethod.NOAUX_TC
                    ? "topk_method noaux_tc needs mlp.gate.e_score_correction_bias"
                    : "e_score_correction_bias is only used by topk_method noaux_tc, not " + topkMethod.configName());
        }
        if (correctionBias != null && correctionBias.length != numExperts) {
            throw new IllegalArgumentException("e_score_correction_bias has " + correctionBias.length + " values, expected n_routed_experts = " + numExperts);
        }
    }

    /** {@code topk_method}. */
    public enum TopkMethod {
        GREEDY("greedy"), GROUP_LIMITED_GREEDY("group_limited_greedy"), NOAUX_TC("noaux_tc");

        private final String configName;

        TopkMethod(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public static TopkMethod fromConfig(String name) {
            for (TopkMethod method : values()) {
                if (method.configName.equals(name)) {
                    return method;
                }
            }
            throw new IllegalArgumentException("topk_method '" + name + "' is not supported; use greedy, group_limited_greedy or noaux_tc");
        }
    }

    /** {@code scoring_func}. */
    public enum ScoringFunc {
        SOFTMAX, SIGMOID;

        public static ScoringFunc fromConfig(String name) {
            return switch (name) {
                case "softmax" -> SOFTMAX;
                case "sigmoid" -> SIGMOID;
                default -> throw new IllegalArgumentException("scoring_func '" + name + "' is not supported; use softmax or sigmoid");
            };
        }
    }
}
