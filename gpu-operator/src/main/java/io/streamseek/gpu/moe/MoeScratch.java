package io.streamseek.gpu.moe;

import io.streamseek.gpu.backend.cpu.CpuWorkers;

/** Reusable buffers of the MLP and MoE forward of one worker. */
public final class MoeScratch {

    final float[] gate;
    final float[] up;
    final float[] down;
    final float[] logits;
    final int[] chosen;
    final float[] weights;
    final Router router;
    final CpuWorkers workers;

    /**
     * @param maxIntermediate the widest MLP ({@code intermediate_size}, or the shared experts' width)
     * @param hidden {@code hidden_size}
     * @param maxExperts {@code n_routed_experts} (0 for a dense model)
     * @param maxExpertsPerToken {@code num_experts_per_tok}
     * @param workers the cores matrix products run on
     */
    public MoeScratch(int maxIntermediate, int hidden, int maxExperts, int maxExpertsPerToken, CpuWorkers workers) {
        this.workers = workers;
        this.gate = new float[maxIntermediate];
        this.up = new float[maxIntermediate];
        this.down = new float[hidden];
        this.logits = new float[Math.max(1, maxExperts)];
        this.chosen = new int[Math.max(1, maxExpertsPerToken)];
        this.weights = new float[Math.max(1, maxExpertsPerToken)];
        this.router = new Router(Math.max(1, maxExperts), Math.max(1, maxExperts));
    }

    public float[] gateScratch() {
        return gate;
    }

    public float[] upScratch() {
        return up;
    }

    public float[] downScratch() {
        return down;
    }

    public CpuWorkers workers() {
        return workers;
    }

    /** The experts chosen for the last token, in ascending index order. */
    public int chosenExpert(int k) {
        return chosen[k];
    }
}
