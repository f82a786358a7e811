package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DeepSeekMoE kernel checks ({@link MoeKernelChecks}) on device 0 of a real GPU, through the
 * runner's {@code DeviceKernels} and {@code CudaMemory}: a failing {@code -Pgpu} run names the
 * kernel. Same inputs as {@link EmulatedMoeKernelsTest} (same seed).
 *
 * <p>Exact on the GPU as on the emulator: the routing choices and the sort (integers), the pairs of
 * an expert not on the device staying NaN, and the combine (its products and sums rounded
 * separately, in slot order, as Java does). The routing weights keep the emulator's 1e-6: moe_route
 * takes exp in double and sums the scores on one lane in expert order, as {@code Router} does, so
 * only an ulp of difference between CUDA's and Java's double exp could survive the cast to float.
 * Relaxed: see {@link #tolerance}.
 */
@RequiresGpu
class MoeKernelsGpuTest extends MoeKernelChecks {

    @RegisterExtension
    static final GpuKernelTestDevice GPU = new GpuKernelTestDevice();

    @Override
    KernelTestDevice device() {
        return GPU.device(SEED);
    }

    @Override
    double tolerance(KernelSignature kernel, double emulated) {
        return switch (kernel.name()) {
            // Each output is a chain over float4 column chunks per lane, then a warp transpose-sum
            // tree, not Linear.dot's order (~1e-6 relative); gate/up also take silu with expf
            // (within 2 ulp) where the CPU uses Math.exp.
            case "moe_expert_gate_up", "moe_expert_down" -> 1e-4;
            default -> emulated;
        };
    }
}
