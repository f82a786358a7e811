package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The element-wise and linear kernel checks ({@link ElementwiseAndLinearKernelChecks}) on device 0
 * of a real GPU, through the runner's {@code DeviceKernels} and {@code CudaMemory}: a failing
 * {@code -Pgpu} run names the kernel. Same inputs as {@link EmulatedKernelsTest} (same seed).
 *
 * <p>Exact on the GPU as on the emulator: the embeddings (copies; bf16 and E4M3 decoded as the
 * CPU does), RoPE (its products and sums rounded separately, so nvcc cannot contract them into
 * FMAs), the residual add (one rounding). Relaxed: see {@link #tolerance}.
 */
@RequiresGpu
class ElementwiseAndLinearKernelsGpuTest extends ElementwiseAndLinearKernelChecks {

    @RegisterExtension
    static final GpuKernelTestDevice GPU = new GpuKernelTestDevice();

    @Override
    KernelTestDevice device() {
        return GPU.device(SEED);
    }

    @Override
    double tolerance(KernelSignature kernel, double emulated) {
        return switch (kernel.name()) {
            // The sum of squares is a 256-thread block reduction (per-thread FMA chains, warp
            // butterflies, warps in order), not the CPU's order: ~1e-6 relative on a row's norm.
            // sqrtf and the division are IEEE (no fast math), so the order is all that differs.
            // latent_cache_write's roped k_pe part is exact, its c_kv part is this norm.
            case "rms_norm", "rms_norm_gather", "latent_cache_write" -> 1e-4;
            // expf (within 2 ulp, CUDA programming guide) against Java's Math.exp (within 1 ulp):
            // a few ulps on silu(g), so the emulator's bitwise check becomes ~1e-5.
            case "silu_mul" -> 1e-5;
            // CUDA cores: per-lane FMA chains over column chunks, then a warp tree, instead of the
            // CPU's vector lanes: 200 columns agree to ~1e-6 relative.
            case "linear_f32", "linear_bf16", "linear_e4m3" -> 1e-4;
            // Tensor cores: the same exact bf16 products, but each mma adds its 16 products and the
            // accumulator with its own alignment and truncation, not IEEE round-to-nearest per add.
            case "linear_bf16_mma", "linear_e4m3_mma" -> 1e-3;
            default -> emulated;
        };
    }
}
