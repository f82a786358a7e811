package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaDevice;
import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import io.streamseek.gpu.backend.cuda.driver.CudaEvent;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;
import io.streamseek.gpu.backend.cuda.kernel.MlaKernels;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The kernel figures that bound serving speed on a GPU, each against the GPU's own peak, in one
 * run: the MLA decode attention's memory bandwidth at 4k and 32k contexts (DeepSeek-V3's attention
 * shape: 128 heads, kv_lora_rank 512, rope 64), the prefill GEMM's tensor-core TFLOP/s (bf16 and
 * FP8 weights), and the decode GEMV's bandwidth. Inputs are zeros: timing does not depend on values.
 */
public final class KernelBench {

    /** The problem sizes of one run. */
    record Shapes(int heads, int lora, int rope, long streamFloats, List<Integer> contexts, List<Integer> sequences, List<Integer> gemmTokens,
                  int gemmRows, int gemmCols, int gemvRows, int gemvCols) {

        /** What {@code bench-gpu} measures: DeepSeek-V3's attention, a V3-sized GEMM, 1 GiB streams. */
        static final Shapes FULL = new Shapes(128, 512, 64, 256L << 20, List.of(4096, 32768), List.of(1, 32), List.of(512, 4096),
                7168, 2048, 16384, 7168);
    }

    /** Milliseconds one run of some launches takes on the device. */
    @FunctionalInterface
    interface Timer {
        double millis(Runnable launches);
    }

    private static final int BLOCK = 64;
    private static final int ITERATIONS = 20;

    private final DeviceMemory memory;
    private final DeviceKernels kernels;
    private final Timer timer;
    private final PrintStream out;
    private final Shapes shapes;

    KernelBench(DeviceMemory memory, DeviceKernels kernels, Timer timer, PrintStream out, Shapes shapes) {
        this.memory = memory;
        this.kernels = kernels;
        this.timer = timer;
        this.out = out;
        this.shapes = shapes;
    }

    /** Runs every figure on the first supported GPU and prints them. */
    public static void run(PrintStream out) {
        CudaDriver driver = CudaDriver.load();
        for (int i = 0; i < driver.deviceCount(); i++) {
            CudaDevice device = driver.device(i);
            if (device.isSupported()) {
                try (CudaMemory memory = new CudaMemory(device)) {
                    out.printf("%s, driver %s%n", device, driver.driverVersionText());
                    new KernelBench(memory, new DeviceKernels(memory.context(), memory.stream()), events(memory), out, Shapes.FULL)
                            .all(device.peakMemoryBandwidth(), device.peakBf16TensorFlops());
                }
                return;
            }
        }
        throw new CudaUnavailableException("no supported CUDA device among " + driver.deviceCount());
    }

    /** Averages {@value #ITERATIONS} runs after one warm-up, timed by events on the stream. */
    private static Timer events(CudaMemory memory) {
        return launches -> {
            launches.run();
            try (CudaEvent start = memory.context().newEvent(); CudaEvent end = memory.context().newEvent()) {
                start.record(memory.stream());
                for (int i = 0; i < ITERATIONS; i++) {
                    launches.run();
                }
                end.record(memory.stream());
                return start.elapsedMillis(end) / ITERATIONS;
            }
        };
    }

    void all(double peakBandwidth, double peakTensor) {
        out.printf("peaks: memory %.0f GB/s (clock x bus width), bf16 tensor cores %.0f TFLOP/s dense (SMs x max clock x FLOP/clock)%n",
                peakBandwidth / 1e9, peakTensor / 1e12);
        streaming(peakBandwidth);
        for (int context : shapes.contexts()) {
            for (int tasks : shapes.sequences()) {
                decodeAttention(false, context, tasks, peakBandwidth);
                decodeAttention(true, context, tasks, peakBandwidth);
            }
        }
        for (int tokens : shapes.gemmTokens()) {
            gemm(tokens, false, peakTensor);
            gemm(tokens, true, peakTensor);
        }
        gemv(peakBandwidth);
    }

    private DeviceArray zeros(long bytes, String purpose) {
        DeviceArray array = memory.allocate(bytes, purpose);
        array.zero(bytes);
        return array;
    }

    /** A plain streaming kernel (h += delta): what the memory system gives in practice. */
    private void streaming(double peak) {
        long n = shapes.streamFloats();
        try (DeviceArray a = zeros(4 * n, "stream a"); DeviceArray b = zeros(4 * n, "stream b")) {
            double ms = timer.millis(() -> kernels.addInPlace(a.pointer(), b.pointer(), (int) n));
            double bandwidth = 3.0 * 4 * n / (ms / 1e3);
            out.printf("streaming add (read 2, write 1; %.2f GiB): %.0f GB/s = %.0f%% of peak%n", 3.0 * 4 * n / (1L << 30), bandwidth / 1e9,
                    100 * bandwidth / peak);
        }
    }

    private void decodeAttention(boolean tensorCores, int context, int tasks, double peak) {
        int heads = shapes.heads();
        int lora = shapes.lora();
        int width = lora + shapes.rope();
        int blocksPerTask = (context + BLOCK - 1) / BLOCK;
        int splits = MlaKernels.splits(context);
        long partOut = (long) tasks * splits * heads * lora;
        long partStats = (long) tasks * splits * heads;
        int[] tables = new int[tasks * blocksPerTask];
        Arrays.setAll(tables, i -> i);
        int[] contexts = new int[tasks];
        Arrays.fill(contexts, context);
        try (DeviceArray cache = zeros((long) tables.length * BLOCK * width * 4, "bench latent cache");
             DeviceArray qLatent = zeros(4L * tasks * heads * width, "bench latent queries");
             DeviceArray partials = memory.allocate(4 * (partOut + 2 * partStats), "bench partials");
             DeviceArray oLatent = memory.allocate(4L * tasks * heads * lora, "bench latent outputs");
             DeviceArray blockTables = memory.allocate(4L * tables.length, "bench block tables");
             DeviceArray contextLens = memory.allocate(4L * tasks, "bench context lengths")) {
            blockTables.upload(tables, tables.length);
            contextLens.upload(contexts, tasks);
            double ms = timer.millis(() -> {
                kernels.mlaDecodeAttention(tensorCores, qLatent.pointer(), cache.pointer(), blockTables.pointer(), blocksPerTask,
                        contextLens.pointer(), partials.pointer(), partials.at(4 * partOut), partials.at(4 * (partOut + partStats)), tasks,
                        heads, lora, width, 0, 1, BLOCK, splits, 0.07f);
                kernels.mlaDecodeCombine(partials.pointer(), partials.at(4 * partOut), partials.at(4 * (partOut + partStats)),
                        contextLens.pointer(), oLatent.pointer(), tasks, heads, lora, splits);
            });
            double bandwidth = (double) tasks * context * width * 4 / (ms / 1e3);
            out.printf("MLA decode attention (%s), %d heads x %d+%d, context %5d, %2d sequences: %8.3f ms, %6.0f GB/s of latent rows"
                    + " = %4.1f%% of peak%n", tensorCores ? "TF32 tensor cores" : "f32 CUDA cores", heads, lora, shapes.rope(), context, tasks,
                    ms, bandwidth / 1e9, 100 * bandwidth / peak);
        }
    }

    private void gemm(int tokens, boolean fp8, double peak) {
        int rows = shapes.gemmRows();
        int cols = shapes.gemmCols();
        long scales = (long) ((rows + 127) / 128) * ((cols + 127) / 128);
        try (DeviceArray x = zeros(4L * tokens * cols, "bench activations");
             DeviceArray w = zeros((long) rows * cols * (fp8 ? 1 : 2), "bench weight");
             DeviceArray s = zeros(4 * scales, "bench scales");
             DeviceArray y = memory.allocate(4L * tokens * rows, "bench outputs")) {
            double ms = timer.millis(() -> {
                if (fp8) {
                    kernels.linearE4m3Mma(x.pointer(), cols, w.pointer(), s.pointer(), y.pointer(), rows, tokens, rows, cols);
                } else {
                    kernels.linearBf16Mma(x.pointer(), cols, w.pointer(), y.pointer(), rows, tokens, rows, cols);
                }
            });
            double flops = 2.0 * tokens * rows * cols / (ms / 1e3);
            out.printf("prefill GEMM, %s weight [%d, %d] x %4d tokens on tensor cores: %8.3f ms, %6.1f TFLOP/s = %4.1f%% of peak%n",
                    fp8 ? "FP8 " : "bf16", rows, cols, tokens, ms, flops / 1e12, 100 * flops / peak);
        }
    }

    private void gemv(double peak) {
        int rows = shapes.gemvRows();
        int cols = shapes.gemvCols();
        try (DeviceArray x = zeros(4L * cols, "bench activation");
             DeviceArray w = zeros(2L * rows * cols, "bench weight");
             DeviceArray y = memory.allocate(4L * rows, "bench output")) {
            double ms = timer.millis(() -> kernels.linearBf16(x.pointer(), cols, w.pointer(), y.pointer(), rows, 1, rows, cols));
            double bandwidth = 2.0 * rows * cols / (ms / 1e3);
            out.printf("decode GEMV, bf16 weight [%d, %d], 1 token: %8.3f ms, %6.0f GB/s = %4.1f%% of peak%n", rows, cols, ms,
                    bandwidth / 1e9, 100 * bandwidth / peak);
        }
    }
}
