package io.streamseek.gpu.cli;

import io.streamseek.gpu.backend.cuda.KernelBench;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;

import java.io.PrintStream;
import java.util.Set;

/** {@code bench-gpu}: the CUDA kernels' figures against the GPU's peaks (see {@link KernelBench}). */
final class BenchGpuCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek bench-gpu",
            "  On the first supported NVIDIA GPU, prints in one run: a streaming kernel's bandwidth, the MLA decode attention's",
            "  bandwidth at 4k and 32k contexts (DeepSeek-V3's shape, f32 and TF32 tensor-core kernels, 1 and 32 sequences),",
            "  the prefill GEMM's TFLOP/s on tensor cores (bf16 and FP8 weights) and the decode GEMV's bandwidth, each as a",
            "  fraction of the GPU's peak. Serving figures per concurrency level: ./streamseek bench --backend cuda --model DIR.");

    private BenchGpuCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Args a = Args.parse("bench-gpu", args, 1, Set.of(), Set.of("--help"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        try {
            KernelBench.run(out);
            return 0;
        } catch (CudaUnavailableException e) {
            err.println("bench-gpu needs an NVIDIA GPU: " + e.getMessage());
            return 3;
        }
    }
}
