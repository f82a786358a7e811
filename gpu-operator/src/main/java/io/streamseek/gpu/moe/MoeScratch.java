package io.streamseek.gpu.moe;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.moe.ep.ExpertDispatcher;

/** Reusable buffers of the MLP and MoE forward of one worker: a token allocates nothing. */
public final class MoeScratch {

    final float[][] gates;   // [experts per token + shared, intermediate]
    final float[][] ups;     // [experts per token + shared, intermediate]
    final float[][] downs;   // [experts per token + shared, hidden]
    final float[] logits;    // [n_routed_experts]
    final int[] chosen;      // [num_experts_per_tok]
    final float[] weights;   // [num_experts_per_tok]
    final Router router;
    final CpuWorkers workers;
    final ExpertDispatcher dispatcher;
    // Batched (prefill) buffers, grown to the largest chunk seen.
    float[] batchGate = new float[0];   // [tokens, intermediate]
    float[] batchUp = new float[0];     // [tokens, intermediate]
    float[] batchLogits = new float[0]; // [tokens, n_routed_experts]
    int[] batchChosen = new int[0];     // [tokens, num_experts_per_tok]
    float[] batchWeights = new float[0];
    private int batchCapacity;
    private final int maxIntermediate;
    private final int maxExperts;
    private final int maxExpertsPerToken;
    private final Linear[] jobWeights;
    private final float[][] jobInputs;
    private final int[] jobInputOffsets;
    private final float[][] jobOutputs;
    private final int[] jobOutputOffsets;

    /**
     * @param maxIntermediate the widest MLP ({@code intermediate_size}, or the shared experts' width)
     * @param hidden {@code hidden_size}
     * @param maxExperts {@code n_routed_experts} (0 for a dense model)
     * @param maxExpertsPerToken {@code num_experts_per_tok}
     * @param workers the cores matrix products run on
     * @param dispatcher spreads a batch's experts over the expert-parallel ranks
     */
    public MoeScratch(int maxIntermediate, int hidden, int maxExperts, int maxExpertsPerToken, CpuWorkers workers,
                      ExpertDispatcher dispatcher) {
        int slots = Math.max(1, maxExpertsPerToken) + 1;
        this.gates = new float[slots][maxIntermediate];
        this.ups = new float[slots][maxIntermediate];
        this.downs = new float[slots][hidden];
        this.logits = new float[Math.max(1, maxExperts)];
        this.chosen = new int[Math.max(1, maxExpertsPerToken)];
        this.weights = new float[Math.max(1, maxExpertsPerToken)];
        this.router = new Router(Math.max(1, maxExperts), Math.max(1, maxExperts));
        this.workers = workers;
        this.dispatcher = dispatcher;
        this.maxIntermediate = maxIntermediate;
        this.maxExperts = Math.max(1, maxExperts);
        this.maxExpertsPerToken = Math.max(1, maxExpertsPerToken);
        this.jobWeights = new Linear[2 * slots];
        this.jobInputs = new float[2 * slots][];
        this.jobInputOffsets = new int[2 * slots];
        this.jobOutputs = new float[2 * slots][];
        this.jobOutputOffsets = new int[2 * slots];
    }

    void ensureBatch(int tokens) {
        if (batchCapacity < tokens) {
            batchCapacity = tokens;
            batchGate = new float[tokens * maxIntermediate];
            batchUp = new float[tokens * maxIntermediate];
            batchLogits = new float[tokens * maxExperts];
            batchChosen = new int[tokens * maxExpertsPerToken];
            batchWeights = new float[tokens * maxExpertsPerToken];
        }
    }

    void job(int index, Linear weight, float[] input, int inputOffset, float[] output) {
        jobWeights[index] = weight;
        jobInputs[index] = input;
        jobInputOffsets[index] = inputOffset;
        jobOutputs[index] = output;
        jobOutputOffsets[index] = 0;
    }

    void runJobs(int count) {
        workers.matvecs(count, jobWeights, jobInputs, jobInputOffsets, jobOutputs, jobOutputOffsets);
    }

    public ExpertDispatcher dispatcher() {
        return dispatcher;
    }

    public CpuWorkers workers() {
        return workers;
    }

    /** The experts chosen for the last token, in ascending index order. */
    public int chosenExpert(int k) {
        return chosen[k];
    }
}
