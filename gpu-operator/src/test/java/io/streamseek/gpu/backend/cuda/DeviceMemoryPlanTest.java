package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DecoderLayer;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.moe.Mlp;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceMemoryPlanTest {

    @TempDir
    static Path dir;
    private static DeepSeekModel model;
    private static StepSizes sizes;

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 7, DType.BF16, false, null);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            model = ModelLoader.load(checkpoint);
        }
        sizes = StepSizes.of(model.spec(), model.mlaSpec(), 64, 16, 64);
    }

    private static long routedExpertBytes() {
        long bytes = 0;
        for (int l = 0; l < model.numLayers(); l++) {
            DecoderLayer layer = model.layer(l);
            if (layer.isMoe()) {
                for (Mlp expert : layer.moe().experts()) {
                    bytes += expert.gateProj().bytes() + expert.upProj().bytes() + expert.downProj().bytes();
                }
            }
        }
        return bytes;
    }

    @Test
    void oneDeviceHoldsWeightsCacheAndActivations() {
        DeviceMemoryPlan plan = new DeviceMemoryPlan(model, ExpertParallelConfig.SINGLE, 1L << 20, sizes, 1);

        assertThat(plan.items(0)).containsEntry("latent cache", 1L << 20)
                .containsEntry("routed experts", routedExpertBytes())
                .containsEntry("embed_tokens", model.embedTokens().bytes())
                .containsKeys("attention weights", "hidden states", "decode attention partials", "logits");
        assertThat(plan.total(0)).isEqualTo(plan.items(0).values().stream().mapToLong(Long::longValue).sum());
        assertThat(plan.describe()).startsWith("GPU 0: ").contains("latent cache 1.0 MiB");
    }

    @Test
    void expertParallelRanksPutTheirRoutedExpertsOnTheirOwnDevices() {
        DeviceMemoryPlan plan = new DeviceMemoryPlan(model, new ExpertParallelConfig(2, List.of()), 1L << 20, sizes, 2);

        long onFirst = plan.items(0).get("routed experts");
        long onSecond = plan.items(1).get("routed experts");
        assertThat(onFirst + onSecond).isEqualTo(routedExpertBytes());
        assertThat(onFirst).isEqualTo(onSecond);
        assertThat(plan.items(1)).doesNotContainKeys("latent cache", "embed_tokens", "attention weights")
                .containsKeys("expert inputs", "expert activations", "expert outputs");
    }

    @Test
    void aDeviceTooSmallIsRefusedWithTheFigures() {
        DeviceMemoryPlan plan = new DeviceMemoryPlan(model, ExpertParallelConfig.SINGLE, 8L << 30, sizes, 1);

        assertThatThrownBy(() -> plan.check(new long[] {4L << 30}, new String[] {"NVIDIA L4"}))
                .hasMessageStartingWith("GPU 0 (NVIDIA L4) has 4.00 GiB free but the model needs 8.")
                .hasMessageContaining("latent cache 8.00 GiB")
                .hasMessageContaining("lower the latent cache (cacheBytes / streamseek.engine.cache-bytes)");
        plan.check(new long[] {16L << 30}, new String[] {"NVIDIA H100"});
    }

    @Test
    void longContextsAreBoundedByBudgetsNotByTheContext() {
        StepSizes v3Like = StepSizes.of(new io.streamseek.gpu.model.ModelSpec(7168, 129280, 163840, 1e-6f, 18432, 256, 8),
                new io.streamseek.gpu.attention.MlaSpec(7168, 128, 1536, 512, 128, 64, 128, 1e-6f, 0.1f), 512, 64, 256);

        // 128 heads × (128 + 128) + 576 f32 values per position: 512 MiB hold 4,025 positions.
        assertThat(v3Like.naiveMaxContext()).isEqualTo(4025);
        // One task at the full 163,840-token context has 640 splits; the partials buffer holds at least that one task.
        assertThat(v3Like.splits(163840)).isEqualTo(640);
        assertThat(v3Like.partialElements() * 4).isGreaterThanOrEqualTo(v3Like.partialBytesPerTask(640));
        assertThat(v3Like.tasksPerLaunch(640)).isEqualTo(1);
        assertThat(v3Like.tasksPerLaunch(1)).isEqualTo(512);
    }
}
