package io.streamseek.gpu.backend;

import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.moe.ep.ExpertLoad;

/**
 * The one bridge between the engine's control plane (scheduler, block tables, sampling, cost
 * accounting — integers and lists) and a device that runs the model's forward pass. The engine
 * hands a step's tokens and their sequences' caches to {@link #forward} and reads logits back;
 * everything above stays the same whichever backend runs the step.
 */
public interface ModelRunner extends AutoCloseable {

    /**
     * Runs one forward step: writes the new tokens' latent rows into their sequences' caches and
     * fills {@link StepBatch#logitRows()} rows of {@code [vocab]} logits, segment by segment.
     */
    void forward(StepBatch batch, float[] logits);

    /** Routed experts whose weights the last step read, summed over layers: its weight traffic. */
    int lastStepExperts();

    /** Work done per routed expert and per expert-parallel rank so far. */
    ExpertLoad.Snapshot expertLoad();

    /** The backend and its device, as one log line ("cpu: 16 threads, AVX-512", "cuda: NVIDIA H100 ..."). */
    String description();

    /** Releases the device's memory and threads. */
    @Override
    void close();
}
