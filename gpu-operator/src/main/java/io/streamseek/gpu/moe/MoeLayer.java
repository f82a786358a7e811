package io.streamseek.gpu.moe;

import io.streamseek.gpu.backend.cpu.Linear;

/**
 * DeepSeekMoE: each token runs through its {@code num_experts_per_tok} routed experts, weighted by
 * the gate, plus the always-on shared experts: {@code y = Σ_k w_k · expert_k(x) + shared(x)}.
 *
 * @param gate {@code mlp.gate.weight} {@code [n_routed_experts, hidden]}: the router logits
 * @param router turns logits into experts and weights
 * @param experts {@code mlp.experts.J} for J in {@code [0, n_routed_experts)}
 * @param sharedExperts {@code mlp.shared_experts}; null when {@code n_shared_experts} is 0
 */
public record MoeLayer(Linear gate, RouterSpec router, Mlp[] experts, Mlp sharedExperts) {

    /**
     * {@code out[outOffset ..] = moe(x[xOffset ..])} for one token, recording the chosen experts.
     *
     * @param s per-worker scratch
     */
    public void forward(float[] x, int xOffset, float[] out, int outOffset, MoeScratch s) {
        s.workers.matvec(gate, x, xOffset, s.logits, 0);
        s.router.route(router, s.logits, 0, s.chosen, s.weights);
        boolean accumulate = false;
        // Experts are summed in ascending index order, not in gate order: the order then depends
        // only on which experts were chosen, the same for every way of grouping tokens.
        sortChosen(s.chosen, s.weights, router.expertsPerToken());
        for (int k = 0; k < router.expertsPerToken(); k++) {
            experts[s.chosen[k]].forward(x, xOffset, out, outOffset, s.weights[k], accumulate, s.gate, s.up, s.down, s.workers);
            accumulate = true;
        }
        if (sharedExperts != null) {
            sharedExperts.forward(x, xOffset, out, outOffset, 1f, true, s.gate, s.up, s.down, s.workers);
        }
    }

    private static void sortChosen(int[] chosen, float[] weights, int k) {
        for (int i = 1; i < k; i++) {
            int e = chosen[i];
            float w = weights[i];
            int j = i - 1;
            while (j >= 0 && chosen[j] > e) {
                chosen[j + 1] = chosen[j];
                weights[j + 1] = weights[j];
                j--;
            }
            chosen[j + 1] = e;
            weights[j + 1] = w;
        }
    }

    /** Bytes of weights one token reads: the gate, its routed experts (on average) and the shared experts. */
    public long bytesPerToken() {
        long perExpert = experts[0].bytes();
        return gate.bytes() + router.expertsPerToken() * perExpert + (sharedExperts == null ? 0 : sharedExperts.bytes());
    }

    /** Experts one token activates: the routed ones plus the shared block, when there is one. */
    public int expertsActivated() {
        return router.expertsPerToken() + (sharedExperts == null ? 0 : 1);
    }
}
