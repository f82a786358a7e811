package io.streamseek.gpu.moe;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;

/**
 * DeepSeekMoE: each token runs through its {@code num_experts_per_tok} routed experts, weighted by
 * the gate, plus the always-on shared experts: {@code y = Σ_k w_k · expert_k(x) + shared(x)}.
 *
 * <p>A token's experts run together: the gate and up projections of all of them in one parallel
 * dispatch, then all down projections in another, so a decode step pays two wake-ups of the cores
 * per layer rather than three per expert.
 *
 * @param gate {@code mlp.gate.weight} {@code [n_routed_experts, hidden]}: the router logits
 * @param router turns logits into experts and weights
 * @param experts {@code mlp.experts.J} for J in {@code [0, n_routed_experts)}
 * @param sharedExperts {@code mlp.shared_experts}; null when {@code n_shared_experts} is 0
 */
public record MoeLayer(Linear gate, RouterSpec router, Mlp[] experts, Mlp sharedExperts) {

    /**
     * {@code out[outOffset ..] = moe(x[xOffset ..])} for one token.
     *
     * @param s per-worker scratch
     */
    public void forward(float[] x, int xOffset, float[] out, int outOffset, MoeScratch s) {
        s.workers.matvec(gate, x, xOffset, s.logits, 0);
        s.router.route(router, s.logits, 0, s.chosen, s.weights);
        int k = router.expertsPerToken();
        // Summed in ascending expert index, not gate order: the order then depends only on which
        // experts were chosen, the same however tokens are grouped.
        sortChosen(s.chosen, s.weights, k);
        int slots = sharedExperts == null ? k : k + 1;
        for (int j = 0; j < slots; j++) {
            Mlp mlp = j < k ? experts[s.chosen[j]] : sharedExperts;
            s.job(2 * j, mlp.gateProj(), x, xOffset, s.gates[j]);
            s.job(2 * j + 1, mlp.upProj(), x, xOffset, s.ups[j]);
        }
        s.runJobs(2 * slots);
        for (int j = 0; j < slots; j++) {
            Mlp mlp = j < k ? experts[s.chosen[j]] : sharedExperts;
            Kernels.siluMul(s.gates[j], 0, s.ups[j], 0, mlp.intermediateSize());
            s.job(j, mlp.downProj(), s.gates[j], 0, s.downs[j]);
        }
        s.runJobs(slots);
        int hidden = gate.cols();
        for (int j = 0; j < slots; j++) {
            float scale = j < k ? s.weights[j] : 1f;
            float[] down = s.downs[j];
            for (int i = 0; i < hidden; i++) {
                out[outOffset + i] = j == 0 ? scale * down[i] : out[outOffset + i] + scale * down[i];
            }
        }
    }

    /**
     * {@link #forward} for {@code tokens} rows at once: route every token, then run each chosen
     * expert once over all the tokens that chose it (grouped by expert) and add its output into those
     * tokens in ascending expert order, then the shared experts over all tokens. A token's sum has
     * the same terms in the same order as on the single-token path, so it is bitwise the same.
     */
    public void forwardBatch(float[] x, int tokens, float[] out, MoeScratch s) {
        int hidden = gate.cols();
        int numExperts = gate.rows();
        int k = router.expertsPerToken();
        s.ensureBatch(tokens);
        s.workers.matmul(gate, x, 0, hidden, s.batchLogits, 0, numExperts, tokens);
        for (int t = 0; t < tokens; t++) {
            s.router.route(router, s.batchLogits, t * numExperts, s.chosen, s.weights);
            sortChosen(s.chosen, s.weights, k);
            System.arraycopy(s.chosen, 0, s.batchChosen, t * k, k);
            System.arraycopy(s.weights, 0, s.batchWeights, t * k, k);
            s.batchAssigned[t] = false;
        }
        for (int e = 0; e < numExperts; e++) {
            int served = 0;
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < k; j++) {
                    if (s.batchChosen[t * k + j] == e) {
                        s.batchTokens[served] = t;
                        s.batchTokenWeights[served] = s.batchWeights[t * k + j];
                        System.arraycopy(x, t * hidden, s.batchIn, served * hidden, hidden);
                        served++;
                    }
                }
            }
            if (served > 0) {
                experts[e].forwardBatch(s.batchIn, 0, served, s.batchOut, 0, s);
                for (int i = 0; i < served; i++) {
                    addInto(out, s.batchTokens[i] * hidden, s.batchTokenWeights[i], s.batchOut, i * hidden, hidden, s.batchAssigned[s.batchTokens[i]]);
                    s.batchAssigned[s.batchTokens[i]] = true;
                }
            }
        }
        if (sharedExperts != null) {
            sharedExperts.forwardBatch(x, 0, tokens, s.batchOut, 0, s);
            for (int t = 0; t < tokens; t++) {
                addInto(out, t * hidden, 1f, s.batchOut, t * hidden, hidden, true);
            }
        }
    }

    /** {@code out = scale·y} for a token's first expert, {@code out + scale·y} after: the single-token path's arithmetic. */
    private static void addInto(float[] out, int outOffset, float scale, float[] y, int yOffset, int n, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = accumulate ? out[outOffset + i] + scale * y[yOffset + i] : scale * y[yOffset + i];
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
