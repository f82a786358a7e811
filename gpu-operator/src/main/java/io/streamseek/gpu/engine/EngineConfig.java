package io.streamseek.gpu.engine;

import io.streamseek.gpu.accounting.Pricing;
import io.streamseek.gpu.backend.Backend;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;

import java.security.SecureRandom;

/**
 * Limits and settings of one engine. Build with {@link #builder()}; every option has a default.
 *
 * @param blockSize tokens per cache block (default 64)
 * @param cacheBytes memory budget of the paged latent cache (default 1 GiB)
 * @param maxNumSeqs most sequences in one step (default 64)
 * @param maxTokensPerStep token budget of one step: decode tokens plus prefill chunks (default 512)
 * @param maxWaiting most requests in flight (waiting or running) before submit answers busy: the
 *     backpressure bound (default 256)
 * @param threads CPU threads of the matrix products (default: one per core); with expert
 *     parallelism, rounded down to a multiple of the ranks, at least one per rank
 * @param prefixSecret key of the tenant salts of prefix-cache hashes; keep it private (default:
 *     random per engine, so prefix hashes mean nothing outside it)
 * @param expertParallel how routed experts are spread over ranks (default: one rank)
 * @param pricing the price of a device-hour that request costs are computed with (default
 *     {@link Pricing#DEFAULT}, a placeholder)
 * @param backend the device that runs the forward pass (default {@link Backend#AUTO}: CUDA when a
 *     usable NVIDIA GPU is present, otherwise the CPU); with CUDA, {@code cacheBytes} is device memory
 *     and expert-parallel rank {@code r} runs on GPU {@code r mod device count}
 * @param warmup whether the engine runs its kernels at every step shape it will use before it takes
 *     requests (default true), so that no request pays for JIT compilation in its latency and cost;
 *     off where start-up time matters more than the first requests' latency
 */
public record EngineConfig(int blockSize, long cacheBytes, int maxNumSeqs, int maxTokensPerStep, int maxWaiting, int threads,
                           byte[] prefixSecret, ExpertParallelConfig expertParallel, Pricing pricing, Backend backend,
                           boolean warmup) {

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
        if (backend == null) {
            throw new IllegalArgumentException("backend must be one of auto, cpu, cuda, was null");
        }
    }

    /** Threads per expert-parallel rank. */
    public int threadsPerRank() {
        return Math.max(1, threads / expertParallel.size());
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
    }

    /** Defaults as documented on {@link EngineConfig}. */
    public static final class Builder {
        private int blockSize = 64;
        private long cacheBytes = 1L << 30;
        private int maxNumSeqs = 64;
        private int maxTokensPerStep = 512;
        private int maxWaiting = 256;
        private int threads = Runtime.getRuntime().availableProcessors();
        private byte[] prefixSecret;
        private ExpertParallelConfig expertParallel = ExpertParallelConfig.SINGLE;
        private Pricing pricing = Pricing.DEFAULT;
        private Backend backend = Backend.AUTO;
        private boolean warmup = true;

        public Builder blockSize(int v) {
            blockSize = v;
            return this;
        }

        public Builder cacheBytes(long v) {
            cacheBytes = v;
            return this;
        }

        public Builder maxNumSeqs(int v) {
            maxNumSeqs = v;
            return this;
        }

        public Builder maxTokensPerStep(int v) {
            maxTokensPerStep = v;
            return this;
        }

        public Builder maxWaiting(int v) {
            maxWaiting = v;
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public Builder prefixSecret(byte[] v) {
            prefixSecret = v;
            return this;
        }

        public Builder expertParallel(ExpertParallelConfig v) {
            expertParallel = v;
            return this;
        }

        public Builder pricing(Pricing v) {
            pricing = v;
            return this;
        }

        public Builder backend(Backend v) {
            backend = v;
            return this;
        }

        public Builder warmup(boolean v) {
            warmup = v;
            return this;
        }

        public EngineConfig build() {
            byte[] secret = prefixSecret;
            if (secret == null) {
                secret = new byte[32];
                new SecureRandom().nextBytes(secret);
            }
            return new EngineConfig(blockSize, cacheBytes, maxNumSeqs, maxTokensPerStep, maxWaiting, threads, secret, expertParallel, pricing, backend,
                    warmup);
        }
    }
}
