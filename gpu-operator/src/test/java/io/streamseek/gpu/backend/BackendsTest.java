package io.streamseek.gpu.backend;

import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;
import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backend choice as a user meets it, on whatever machine the tests run: without a usable GPU,
 * {@code auto} runs on the CPU and {@code cuda} fails with the reason; with one, both run on it.
 */
class BackendsTest {

    @TempDir
    static Path dir;
    private static DeepSeekModel model;
    private static String noGpuReason;

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 3, DType.BF16, false, null);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            model = ModelLoader.load(checkpoint);
        }
        try {
            CudaDriver.load();
        } catch (CudaUnavailableException e) {
            noGpuReason = e.getMessage();
        }
    }

    private static PagedLatentStore store(EngineConfig config) {
        return new PagedLatentStore(model.numLayers(), model.mlaSpec().cacheRowWidth(), config.blockSize(), config.cacheBytes());
    }

    private static EngineConfig config(Backend backend) {
        return EngineConfig.builder().backend(backend).cacheBytes(4L << 20).threads(1).build();
    }

    @Test
    void cpuIsAlwaysTheCpu() {
        try (ModelRunner runner = Backends.open(model, config(Backend.CPU), store(config(Backend.CPU)))) {
            assertThat(runner.description()).startsWith("cpu: 1 threads, ");
        }
    }

    @Test
    void autoTakesTheGpuWhenOneIsUsableAndTheCpuOtherwise() {
        try (ModelRunner runner = Backends.open(model, config(Backend.AUTO), store(config(Backend.AUTO)))) {
            assertThat(runner.description()).startsWith(noGpuReason == null ? "cuda: " : "cpu: ");
        }
    }

    @Test
    void cudaWithoutAUsableGpuFailsWithTheReason() {
        if (noGpuReason == null) {
            try (ModelRunner runner = Backends.open(model, config(Backend.CUDA), store(config(Backend.CUDA)))) {
                assertThat(runner.description()).startsWith("cuda: ");
            }
            return;
        }
        assertThatThrownBy(() -> Backends.open(model, config(Backend.CUDA), store(config(Backend.CUDA))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("backend cuda was asked for but ")
                .hasMessageContaining(noGpuReason)
                .hasMessageEndingWith("; use backend auto or cpu to run on the CPU");
    }

    /** Whatever the machine: the CUDA backend refuses sparse attention by name, auto runs it on the CPU. */
    @Test
    void aDeepSeekV32ModelRunsOnTheCpuUnderAutoAndIsRefusedByCuda(@TempDir Path v32Dir) throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY_V32.config(), v32Dir, 3, DType.BF16, false, null);
        DeepSeekModel v32;
        try (Checkpoint checkpoint = Checkpoint.open(v32Dir)) {
            v32 = ModelLoader.load(checkpoint);
        }
        EngineConfig auto = config(Backend.AUTO);
        PagedLatentStore store = new PagedLatentStore(v32.numLayers(), v32.mlaSpec().cacheRowWidth(), auto.blockSize(), auto.cacheBytes());
        try (ModelRunner runner = Backends.open(v32, auto, store)) {
            assertThat(runner.description()).startsWith("cpu: ");
        }
        assertThatThrownBy(() -> Backends.open(v32, config(Backend.CUDA), store))
                .hasMessage("backend cuda was asked for but the CUDA backend does not compute DeepSeek Sparse Attention (deepseek_v32) yet; "
                        + "the CPU backend does; use backend auto or cpu to run on the CPU");
    }

    @Test
    void backendNamesParseAndAnUnknownOneIsNamed() {
        assertThat(Backend.fromName(" CUDA ")).isEqualTo(Backend.CUDA);
        assertThat(Backend.fromName("auto")).isEqualTo(Backend.AUTO);
        assertThatThrownBy(() -> Backend.fromName("rocm")).hasMessage("backend 'rocm' is not one of auto, cpu, cuda");
    }
}
