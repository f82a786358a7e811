package io.streamseek.gpu.moe;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.moe.ep.ExpertDispatcher;

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
     * {@code out[outOffset ..] = moe(x[xOffset ..])} for one token on a single rank: the batch-1
     * decode path, where every core takes a share of the rows of all chosen experts at once.
     *
     * @param layer the decoder layer index, for the load counters
     * @param s per-worker scratch
     */
    public void forward(float[] x, int xOffset, float[] out, int outOffset, MoeScratch s, int layer) {
        s.workers.matvec(gate, x, xOffset, s.logits, 0);
        s.router.route(router, s.logits, 0, s.chosen, s.weights);
        int k = router.expertsPerToken();
        // Summed in ascending expert index, not gate order: the order then depends only on which
        // experts were chosen, the same however tokens are grouped or wherever experts run.
        sortChosen(s.chosen, s.weights, k);
        s.dispatcher.routed(layer, s.chosen, k);
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
     * {@link #forward} for {@code tokens} rows at once: route every token on the caller, then hand
     * the tokens to the expert-parallel ranks that own their experts (see {@link ExpertDispatcher}).
     * A token's sum has the same terms in the same order as on the single-token path, so it is
     * bitwise the same for any batch and any number of ranks.
     */
    public void forwardBatch(float[] x, int tokens, float[] out, MoeScratch s, int layer) {
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
        }
        s.dispatcher.run(layer, this, x, tokens, s.batchChosen, s.batchWeights, out);
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
