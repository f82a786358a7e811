package io.streamseek.gpu.backend.cuda;

import java.util.Map;

/**
 * The {@code linear} module ({@code linear.cu}) emulated: {@code out[t, r] = W[r, :] · x[t, :]} in
 * f32. The tensor-core kernels ({@code *_mma}) multiply bf16 operands, so their activations are
 * rounded to bf16 (ties to even) first; their weights are bf16 already (an E4M3 weight dequantises
 * to a bf16 value). Products of two bf16 values are exact in f32, so only the sums' order differs
 * from the GPU's.
 */
final class EmulatedLinear {

    private EmulatedLinear() {
    }

    static Map<String, EmulatedKernels.Emulation> emulations() {
        return Map.of(
                "linear_f32", (m, a) -> linear(m, a, EmulatedWeights.F32, false),
                "linear_bf16", (m, a) -> linear(m, a, EmulatedWeights.BF16, false),
                "linear_e4m3", (m, a) -> linear(m, a, EmulatedWeights.E4M3, false),
                "linear_bf16_mma", (m, a) -> linear(m, a, EmulatedWeights.BF16, true),
                "linear_e4m3_mma", (m, a) -> linear(m, a, EmulatedWeights.E4M3, true));
    }

    private static void linear(EmulatedMemory m, EmulatedArgs a, int format, boolean tensorCores) {
        long x = a.ptr("x");
        int xStride = a.i32("x_stride");
        long w = a.ptr("w");
        long scales = format == EmulatedWeights.E4M3 ? a.ptr("scales") : 0;
        long out = a.ptr("out");
        int outStride = a.i32("out_stride");
        int tokens = a.i32("tokens");
        int rows = a.i32("rows");
        int cols = a.i32("cols");
        EmulatedWeights weights = new EmulatedWeights(m, format, w, scales, cols);
        for (int t = 0; t < tokens; t++) {
            long input = x + 4L * t * xStride;
            for (int r = 0; r < rows; r++) {
                m.f32(out, (long) t * outStride + r, weights.dot(r, input, tensorCores));
            }
        }
    }
}
