package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;

/**
 * {@code moe_route} emulated: DeepSeekMoE's gate as {@code moe.Router.route} computes it, then each
 * token's choices sorted by ascending expert index, their weights with them.
 *
 * <ol>
 *   <li>scores: sigmoid, or softmax (exp of logit − max, summed in expert order), exp in double;</li>
 *   <li>selection = score (+ correction_bias when not NULL);</li>
 *   <li>groups &gt; 1: each group scores by its best selection (its best two summed under
 *       noaux_tc); the topk_group best groups (ties to the lower group, a plain '&gt;' so a -inf
 *       group can still win) stay, every other expert's selection becomes -inf;</li>
 *   <li>k times: the largest selection not -inf (ties to the lower index) is picked with its plain
 *       score as weight, then masked; nothing left picks expert -1 with weight 0;</li>
 *   <li>weights × routed_scaling_factor, divided by (Σ picked scores + 1e-20) when norm_topk_prob
 *       and k &gt; 1.</li>
 * </ol>
 */
final class EmulatedRoute {

    private EmulatedRoute() {
    }

    static void route(EmulatedMemory m, EmulatedArgs a) {
        long logits = a.ptr("logits");
        long correctionBias = a.ptr("correction_bias");
        long chosen = a.ptr("chosen");
        long weights = a.ptr("weights");
        int tokens = a.i32("tokens");
        int experts = a.i32("experts");
        int k = a.i32("k");
        int topkMethod = a.i32("topk_method");
        int scoring = a.i32("scoring");
        int groups = a.i32("groups");
        int topkGroup = a.i32("topk_group");
        boolean normTopkProb = a.i32("norm_topk_prob") != 0;
        float routedScalingFactor = a.f32("routed_scaling_factor");
        for (int t = 0; t < tokens; t++) {
            long row = logits + 4L * t * experts;
            float[] scores = scores(m, row, experts, scoring);
            float[] selection = new float[experts];
            for (int e = 0; e < experts; e++) {
                selection[e] = correctionBias == 0 ? scores[e] : scores[e] + m.f32(correctionBias, e);
            }
            if (groups > 1) {
                limitToBestGroups(selection, groups, topkGroup, topkMethod == MoeKernels.TOPK_NOAUX_TC);
            }
            int[] picked = new int[k];
            float[] pickedWeight = new float[k];
            float sum = 0f;
            for (int slot = 0; slot < k; slot++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (selection[e] != Float.NEGATIVE_INFINITY && (best < 0 || selection[e] > selection[best])) {
                        best = e;
                    }
                }
                picked[slot] = best;
                if (best >= 0) {
                    pickedWeight[slot] = scores[best];
                    sum += scores[best];
                    selection[best] = Float.NEGATIVE_INFINITY;
                }
            }
            float scale = routedScalingFactor;
            if (normTopkProb && k > 1) {
                scale /= sum + 1e-20f;
            }
            sortByExpert(picked, pickedWeight);
            for (int slot = 0; slot < k; slot++) {
                m.i32(chosen, (long) t * k + slot, picked[slot]);
                m.f32(weights, (long) t * k + slot, pickedWeight[slot] * scale);
            }
        }
    }

    private static float[] scores(EmulatedMemory m, long row, int experts, int scoring) {
        float[] scores = new float[experts];
        if (scoring == MoeKernels.SCORING_SIGMOID) {
            for (int e = 0; e < experts; e++) {
                scores[e] = (float) (1.0 / (1.0 + Math.exp(-m.f32(row, e))));
            }
            return scores;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
            max = Math.max(max, m.f32(row, e));
        }
        float sum = 0f;
        for (int e = 0; e < experts; e++) {
            scores[e] = (float) Math.exp(m.f32(row, e) - max);
            sum += scores[e];
        }
        for (int e = 0; e < experts; e++) {
            scores[e] /= sum;
        }
        return scores;
    }

    private static void limitToBestGroups(float[] selection, int groups, int topkGroup, boolean sumOfTopTwo) {
        int perGroup = selection.length / groups;
        float[] groupScores = new float[groups];
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
        }
        boolean[] eligible = new boolean[groups];
        for (int pick = 0; pick < topkGroup; pick++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!eligible[g] && (best < 0 || groupScores[g] > groupScores[best])) {
                    best = g;
                }
            }
            if (best < 0) {
                throw new IllegalArgumentException("moe_route: topk_group = " + topkGroup + " exceeds n_group = " + groups);
            }
            eligible[best] = true;
        }
        for (int e = 0; e < selection.length; e++) {
            if (!eligible[e / perGroup]) {
                selection[e] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Insertion sort by expert index (stable; the kernel's order for k ≤ 16), weights moved along. */
    private static void sortByExpert(int[] picked, float[] weights) {
        for (int i = 1; i < picked.length; i++) {
            for (int j = i; j > 0 && picked[j - 1] > picked[j]; j--) {
                int e = picked[j];
                picked[j] = picked[j - 1];
                picked[j - 1] = e;
                float w = weights[j];
                weights[j] = weights[j - 1];
                weights[j - 1] = w;
            }
        }
    }
}
