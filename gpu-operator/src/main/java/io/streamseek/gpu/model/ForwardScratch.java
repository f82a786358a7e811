package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaScratch;
import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.moe.MoeScratch;
import io.streamseek.gpu.moe.ep.ExpertDispatcher;
import io.streamseek.gpu.moe.ep.ExpertLoad;

/** Every buffer one forward pass needs, reused across steps: a decode step allocates nothing. */
public final class ForwardScratch {

    final ModelSpec spec;
    final MlaScratch mla;
    final MoeScratch moe;
    float[] hidden;  // [tokens, hidden]
    float[] normed;  // [tokens, hidden]
    float[] branch;  // [tokens, hidden]
    final StepBatch single = new StepBatch(); // the one-sequence step of the single-sequence forward

    final CpuWorkers workers;
    final boolean singleRank; // batch-1 MoE may then take the row-split path

    ForwardScratch(ModelSpec spec, MlaSpec mla, CpuWorkers workers, ExpertDispatcher dispatcher) {
        this.spec = spec;
        this.workers = workers;
        this.singleRank = dispatcher.ranks() == 1;
        this.mla = new MlaScratch(mla, workers);
        this.moe = new MoeScratch(spec.maxIntermediateSize(), spec.hiddenSize(), spec.numRoutedExperts(), spec.expertsPerToken(), workers,
                dispatcher);
        this.hidden = new float[0];
    }

    /**
     * Attend densely even where a DeepSeek-V3.2 model's indexer would select (benchmarks' baseline;
     * not the model's output). No effect on dense-attention models.
     */
    public void denseAttention(boolean dense) {
        mla.denseAttention(dense);
    }

    /** What the expert-parallel ranks did so far with this scratch. */
    public ExpertLoad.Snapshot expertLoad() {
        return moe.dispatcher().load().snapshot();
    }

    /** Routed experts whose weights the last forward step read, summed over layers. */
    public int lastStepExperts() {
        return moe.dispatcher().stepExperts();
    }

    void ensure(int tokens) {
        int size = tokens * spec.hiddenSize();
        if (hidden.length < size) {
            hidden = new float[size];
            normed = new float[size];
            branch = new float[size];
        }
    }
}
