package io.streamseek.gpu.backend;

import io.streamseek.gpu.backend.cpu.CpuRunner;
import io.streamseek.gpu.backend.cuda.CudaRunner;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;
import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.model.DeepSeekModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the {@link ModelRunner} an engine's {@link EngineConfig#backend()} asks for, and says
 * which in one log line.
 */
public final class Backends {

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private Backends() {
    }

    /**
     * @param store the paged cache's geometry (blocks, block size), which a device backend mirrors in its own memory
     * @throws IllegalStateException when {@code cuda} was asked for and no usable GPU is present, with the reason
     */
    public static ModelRunner open(DeepSeekModel model, EngineConfig config, PagedLatentStore store) {
        if (config.backend() == Backend.AUTO) {
            return auto(model, config, store);
        }
        ModelRunner runner = config.backend() == Backend.CPU ? cpu(model, config) : cuda(model, config, store);
        LOG.info("Backend {}: {}", config.backend().optionName(), runner.description());
        return runner;
    }

    private static ModelRunner cpu(DeepSeekModel model, EngineConfig config) {
        return new CpuRunner(model, config.threadsPerRank() * config.expertParallel().size(), config.expertParallel());
    }

    private static ModelRunner cuda(DeepSeekModel model, EngineConfig config, PagedLatentStore store) {
        try {
            return CudaRunner.open(model, config, store);
        } catch (CudaUnavailableException e) {
            throw new IllegalStateException("backend cuda was asked for but " + e.getMessage()
                    + "; use backend auto or cpu to run on the CPU", e);
        }
    }

    /** CUDA when a GPU is usable for the model; otherwise the CPU, with the reason in the same log line. */
    private static ModelRunner auto(DeepSeekModel model, EngineConfig config, PagedLatentStore store) {
        ModelRunner runner;
        try {
            runner = CudaRunner.open(model, config, store);
            LOG.info("Backend auto: {}", runner.description());
        } catch (CudaUnavailableException e) {
            runner = cpu(model, config);
            LOG.info("Backend auto: {} (not CUDA: {})", runner.description(), e.getMessage());
        }
        return runner;
    }
}
