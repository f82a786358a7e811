package io.streamseek.flink.inference;

import io.streamseek.gpu.backend.Backend;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * Everything a TaskManager needs to load and serve one model, shipped with the job graph: where
 * the checkpoint is, the name requests use for it, and the engine's limits and price.
 *
 * @param modelPath a Hugging Face checkpoint directory on every TaskManager
 * @param modelName the name requests give in {@code model}; a request naming another model is rejected
 * @param maxNumSeqs sequences the engine decodes together
 * @param maxWaiting requests in the engine at once, running or waiting: its intake
 * @param cacheBytes the latent cache's byte budget
 * @param threads CPU worker threads of the engine (0: one per core)
 * @param backend the device of the forward pass
 * @param pricePerDeviceHour price of one device-hour, for token costs
 * @param currency ISO 4217 code of that price
 */
public record ModelSettings(String modelPath, String modelName, int maxNumSeqs, int maxWaiting, long cacheBytes, int threads, Backend backend,
                            BigDecimal pricePerDeviceHour, String currency) implements Serializable {

    /** Requests one engine holds at once, running or waiting: the TaskManager's in-flight bound. */
    public int intake() {
        return maxWaiting;
    }
}
