package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MLA kernel checks ({@link MlaKernelChecks}) on device 0 of a real GPU, through the runner's
 * {@code DeviceKernels} and {@code CudaMemory}: a failing {@code -Pgpu} run names the kernel. Same
 * inputs as {@link EmulatedMlaKernelsTest} (same seed).
 *
 * <p>Exact on the GPU as on the emulator: the latent gather (a copy) and the -inf / 0 partials of
 * splits past a context. Relaxed: see {@link #tolerance}.
 */
@RequiresGpu
class MlaKernelsGpuTest extends MlaKernelChecks {

    @RegisterExtension
    static final GpuKernelTestDevice GPU = new GpuKernelTestDevice();

    @Override
    KernelTestDevice device() {
        return GPU.device(SEED);
    }

    @Override
    double tolerance(KernelSignature kernel, double emulated) {
        return switch (kernel.name()) {
            // Per-head dot products over kv_b_proj's rows summed by lanes and a warp tree, not in
            // the CPU's order: ~1e-6 relative.
            case "mla_absorb_query", "mla_absorb_output" -> 1e-4;
            // f32 decode: scores summed across lanes, an online softmax over position tiles with
            // expf (within 2 ulp) where the CPU takes Math.exp over the whole context, then the
            // combine's expf rescaling: ~1e-6 relative on partials and outputs.
            case "mla_decode_attention" -> 1e-4;
            // TF32 tensor cores: queries, latent rows and probabilities rounded to a 10-bit mantissa
            // (2^-11 each), so scores and outputs are ~1e-3 relative off the f32 result, as
            // mla_decode_tc.cuh states; also the absolute bound on a split's max score (scaled
            // scores here are of order 1).
            case "mla_decode_attention_tc" -> 5e-3;
            // Online softmax over 16-position tiles with expf, and keys/values from linear_f32 on
            // the GPU (another reduction order than Linear.dot): ~1e-6 relative.
            case "mla_prefill_attention" -> 1e-4;
            default -> emulated;
        };
    }
}
