package io.streamseek.gpu.engine;

/**
 * Limits of one engine.
 *
 * @param blockSize tokens per cache block (64 is a good default)
 * @param cacheBytes memory budget of the paged latent cache
 * @param maxNumSeqs most sequences in one step
 * @param maxTokensPerStep token budget of one step (decode tokens plus prefill chunks)
 * @param maxWaiting most requests in flight (waiting or running) before submit answers busy: the backpressure bound
 * @param threads CPU threads of the matrix products
 * @param prefixSecret key of the tenant salts of prefix-cache hashes; keep it private
 */
public record EngineConfig(int blockSize, long cacheBytes, int maxNumSeqs, int maxTokensPerStep, int maxWaiting, int threads,
                           byte[] prefixSecret) {

    public EngineConfig {
        positive("blockSize", blockSize);
        positive("maxNumSeqs", maxNumSeqs);
        positive("maxTokensPerStep", maxTokensPerStep);
        positive("maxWaiting", maxWaiting);
        positive("threads", threads);
        if (cacheBytes <= 0) {
            throw new IllegalArgumentException("cacheBytes must be positive, was " + cacheBytes);
        }
        if (maxTokensPerStep < maxNumSeqs) {
            throw new IllegalArgumentException("maxTokensPerStep (" + maxTokensPerStep + ") must be at least maxNumSeqs ("
                    + maxNumSeqs + "): every running sequence needs a token per step");
        }
        prefixSecret = prefixSecret.clone();
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
    }
}
