package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaScratch;
import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.moe.MoeScratch;

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

    public ForwardScratch(ModelSpec spec, MlaSpec mla, CpuWorkers workers) {
        this.spec = spec;
        this.workers = workers;
        this.mla = new MlaScratch(mla, workers);
        this.moe = new MoeScratch(spec.maxIntermediateSize(), spec.hiddenSize(), spec.numRoutedExperts(), spec.expertsPerToken(), workers);
        this.hidden = new float[0];
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
