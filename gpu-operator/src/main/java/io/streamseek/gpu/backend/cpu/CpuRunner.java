package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.ModelRunner;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ForwardScratch;
import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.moe.ep.ExpertLoad;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;

/** The CPU backend: the model's forward pass on the Vector API, over this JVM's worker threads. */
public final class CpuRunner implements ModelRunner {

    private final DeepSeekModel model;
    private final CpuWorkers workers;
    private final ForwardScratch scratch;

    /** @param threads worker threads in all: {@code ep.size() × n}, {@code n} per expert-parallel rank */
    public CpuRunner(DeepSeekModel model, int threads, ExpertParallelConfig ep) {
        CpuWorkers.requireVectorApi();
        this.model = model;
        this.workers = new CpuWorkers(threads);
        this.scratch = model.newScratch(workers, ep);
    }

    @Override
    public void forward(StepBatch batch, float[] logits) {
        model.forward(batch, logits, scratch);
    }

    @Override
    public int lastStepExperts() {
        return scratch.lastStepExperts();
    }

    @Override
    public ExpertLoad.Snapshot expertLoad() {
        return scratch.expertLoad();
    }

    @Override
    public String description() {
        return "cpu: " + workers.threads() + " threads, " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors";
    }

    @Override
    public void close() {
        workers.close();
    }
}
