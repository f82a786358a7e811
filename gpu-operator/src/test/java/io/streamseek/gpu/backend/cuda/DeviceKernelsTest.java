package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.driver.KernelArguments;
import io.streamseek.gpu.backend.cuda.kernel.CudaKernels;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LaunchGeometry;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every launch the forward pass makes, without a GPU: each operation's arguments are checked and
 * packed against its kernel's signature (the one the PTX is checked against), and its geometry is
 * computed for a DeepSeek-V3-sized step. A wrong argument count or type fails here, not on a GPU.
 */
class DeviceKernelsTest {

    private final Set<KernelSignature> launched = new LinkedHashSet<>();
    private final DeviceKernels kernels = new DeviceKernels((KernelSignature kernel, LaunchGeometry geometry, Object... args) -> {
        KernelArguments.pack(kernel, args);
        assertThat(geometry.threads()).isPositive();
        launched.add(kernel);
    });
    private final DevicePointer p = new DevicePointer(0x7f00_0000_0000L);

    @Test
    void everyKernelIsLaunchedWithArgumentsMatchingItsSignature() {
        int tokens = 512;
        int hidden = 7168;
        int heads = 128;
        int nope = 128;
        int rope = 64;
        int v = 128;
        int lora = 512;
        int width = lora + rope;
        for (Linear.Format format : new Linear.Format[] {Linear.Format.F32, Linear.Format.BF16, Linear.Format.E4M3}) {
            kernels.embedding(format, p, p, hidden, p, p, tokens);
        }
        kernels.rmsNorm(p, hidden, p, 1e-6f, p, hidden, tokens, hidden);
        kernels.rmsNormGather(p, hidden, p, p, 1e-6f, p, hidden, tokens, hidden);
        kernels.rope(p, heads * (nope + rope), nope, nope + rope, heads, p, p, p, rope / 2, tokens);
        kernels.latentCacheWrite(p, width, p, 1e-6f, lora, rope, p, p, p, p, p, p, 3, 61, 64, tokens);
        kernels.addInPlace(p, p, tokens * hidden);
        kernels.siluMul(p, 18432, p, 18432, tokens, 18432);
        kernels.linearF32(p, hidden, p, p, 1536, tokens, 1536, hidden);
        kernels.linearBf16(p, hidden, p, p, 1536, 1, 1536, hidden);
        kernels.linearE4m3(p, hidden, p, p, p, 1536, 1, 1536, hidden);
        kernels.linearBf16Mma(p, hidden, p, p, 1536, tokens, 1536, hidden);
        kernels.linearE4m3Mma(p, hidden, p, p, p, 1536, tokens, 1536, hidden);
        kernels.mlaAbsorbQuery(p, heads * (nope + rope), p, p, p, 64, heads, nope, rope, v, lora);
        for (boolean tensorCores : new boolean[] {false, true}) {
            kernels.mlaDecodeAttention(tensorCores, p, p, p, 2560, p, p, p, p, 64, heads, lora, width, 3, 61, 64, 640, 0.1f);
        }
        kernels.mlaDecodeCombine(p, p, p, p, p, 64, heads, lora, 640);
        kernels.mlaAbsorbOutput(p, p, p, p, heads * v, 64, heads, nope, v, lora);
        kernels.mlaGatherLatent(p, p, 4000, 3, 61, 64, width, p);
        kernels.mlaPrefillAttention(p, heads * (nope + rope), p, p, p, heads * v, tokens, 3488, heads, nope, rope, v, lora, width, 0.1f);
        kernels.moeRoute(p, p, p, p, tokens, 256, 8, MoeKernels.TOPK_NOAUX_TC, MoeKernels.SCORING_SIGMOID, 8, 4, true, 2.5f);
        kernels.moeRoute(p, DevicePointer.NULL, p, p, tokens, 64, 6, MoeKernels.TOPK_GREEDY, MoeKernels.SCORING_SOFTMAX, 1, 1, false, 1f);
        kernels.moeSort(p, tokens, 8, 256, p, p);
        kernels.moeGateUp(p, p, p, p, p, MoeKernels.FORMAT_E4M3, p, p, 8, p, 256, 2048, hidden);
        kernels.moeDown(p, p, p, MoeKernels.FORMAT_E4M3, p, p, p, 256, 2048, hidden);
        kernels.moeCombine(p, p, p, p, tokens, 8, hidden);
        kernels.moeCombine(p, p, DevicePointer.NULL, p, tokens, 8, hidden);

        assertThat(launched).containsExactlyInAnyOrderElementsOf(CudaKernels.all());
    }

    @Test
    void aShapeAKernelCannotRunIsRefusedBeforeLaunch() {
        assertThatThrownBy(() -> kernels.mlaDecodeAttention(true, p, p, p, 1, p, p, p, p, 1, 128, 500, 564, 0, 1, 64, 1, 0.1f))
                .hasMessageContaining("kv_lora_rank = 500");
        assertThat(launched).isEmpty();
    }
}
