package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaContext;
import io.streamseek.gpu.backend.cuda.driver.CudaDevice;
import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import io.streamseek.gpu.backend.cuda.driver.CudaEvent;
import io.streamseek.gpu.backend.cuda.driver.CudaStream;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;
import io.streamseek.gpu.backend.cuda.driver.DeviceBuffer;
import io.streamseek.gpu.backend.cuda.kernel.MlaKernels;

import java.io.PrintStream;

/**
 * The kernel figures that bound serving speed on a GPU, each against the GPU's own peak, in one
 * run: the MLA decode attention's memory bandwidth at 4k and 32k contexts (DeepSeek-V3's attention
 * shape: 128 heads, kv_lora_rank 512, rope 64), the prefill GEMM's tensor-core TFLOP/s (bf16 and
 * FP8 weights), and the decode GEMV's bandwidth. Inputs are zeros: timing does not depend on values.
 */
public final class KernelBench {

    private static final int HEADS = 128;
    private static final int LORA = 512;
    private static final int ROPE = 64;
    private static final int WIDTH = LORA + ROPE;
    private static final int BLOCK = 64;
    private static final int ITERATIONS = 20;

    private final CudaContext context;
    private final CudaStream stream;
    private final DeviceKernels kernels;
    private final CudaDevice device;
    private final PrintStream out;

    private KernelBench(CudaDevice device, PrintStream out) {
        this.device = device;
        this.out = out;
        this.context = device.openContext();
        context.makeCurrent();
        this.stream = context.newStream();
        this.kernels = new DeviceKernels(context, stream);
    }

    /** Runs every figure on the first supported GPU and prints them. */
    public static void run(PrintStream out) {
        CudaDriver driver = CudaDriver.load();
        for (int i = 0; i < driver.deviceCount(); i++) {
            CudaDevice device = driver.device(i);
            if (device.isSupported()) {
                KernelBench bench = new KernelBench(device, out);
                try {
                    bench.all(driver);
                } finally {
                    bench.stream.close();
                    bench.context.close();
                }
                return;
            }
        }
        throw new CudaUnavailableException("no supported CUDA device among " + driver.deviceCount());
    }

    private void all(CudaDriver driver) {
        double peakBandwidth = device.peakMemoryBandwidth();
        double peakTensor = device.peakBf16TensorFlops();
        out.printf("%s, driver %s%n", device, driver.driverVersionText());
        out.printf("peaks: memory %.0f GB/s (clock x bus width), bf16 tensor cores %.0f TFLOP/s dense (SMs x max clock x FLOP/clock)%n",
                peakBandwidth / 1e9, peakTensor / 1e12);
        streaming(peakBandwidth);
        for (int context : new int[] {4096, 32768}) {
            for (int tasks : new int[] {1, 32}) {
                decodeAttention(false, context, tasks, peakBandwidth);
                decodeAttention(true, context, tasks, peakBandwidth);
            }
        }
        for (int tokens : new int[] {512, 4096}) {
            gemm(tokens, 7168, 2048, false, peakTensor);
            gemm(tokens, 7168, 2048, true, peakTensor);
        }
        gemv(16384, 7168, peakBandwidth);
    }

    /** A plain streaming kernel (h += delta over 1 GiB arrays): what the memory system gives in practice. */
    private void streaming(double peak) {
        long n = 256L << 20;
        try (DeviceBuffer a = context.allocate(4 * n, "stream a"); DeviceBuffer b = context.allocate(4 * n, "stream b")) {
            a.zero();
            b.zero();
            double ms = time(() -> kernels.addInPlace(a.pointer(), b.pointer(), (int) n));
            double bandwidth = 3.0 * 4 * n / (ms / 1e3);
            out.printf("streaming add (read 2, write 1; 3 GiB): %.0f GB/s = %.0f%% of peak%n", bandwidth / 1e9, 100 * bandwidth / peak);
        }
    }

    private void decodeAttention(boolean tensorCores, int contextLength, int tasks, double peak) {
        int blocksPerTask = (contextLength + BLOCK - 1) / BLOCK;
        int numBlocks = tasks * blocksPerTask;
        int splits = MlaKernels.splits(contextLength);
        long cacheBytes = (long) numBlocks * BLOCK * WIDTH * 4;
        long partOut = (long) tasks * splits * HEADS * LORA;
        long partStats = (long) tasks * splits * HEADS;
        int[] tables = new int[tasks * blocksPerTask];
        for (int i = 0; i < tables.length; i++) {
            tables[i] = i;
        }
        int[] contexts = new int[tasks];
        java.util.Arrays.fill(contexts, contextLength);
        try (DeviceBuffer cache = context.allocate(cacheBytes, "bench latent cache");
             DeviceBuffer qLatent = context.allocate(4L * tasks * HEADS * WIDTH, "bench latent queries");
             DeviceBuffer partials = context.allocate(4 * (partOut + 2 * partStats), "bench partials");
             DeviceBuffer oLatent = context.allocate(4L * tasks * HEADS * LORA, "bench latent outputs");
             DeviceBuffer blockTables = context.allocate(4L * tables.length, "bench block tables");
             DeviceBuffer contextLens = context.allocate(4L * tasks, "bench context lengths")) {
            cache.zero();
            qLatent.zero();
            blockTables.upload(tables, 0, tables.length, 0);
            contextLens.upload(contexts, 0, tasks, 0);
            double ms = time(() -> {
                kernels.mlaDecodeAttention(tensorCores, qLatent.pointer(), cache.pointer(), blockTables.pointer(), blocksPerTask, contextLens.pointer(),
                        partials.pointer(), partials.at(4 * partOut), partials.at(4 * (partOut + partStats)), tasks, HEADS, LORA, WIDTH,
                        0, 1, BLOCK, splits, 0.07f);
                kernels.mlaDecodeCombine(partials.pointer(), partials.at(4 * partOut), partials.at(4 * (partOut + partStats)),
                        contextLens.pointer(), oLatent.pointer(), tasks, HEADS, LORA, splits);
            });
            double bytes = (double) tasks * contextLength * WIDTH * 4;
            double bandwidth = bytes / (ms / 1e3);
            out.printf("MLA decode attention (%s), %d heads x %d+%d, context %5d, %2d sequences: %8.3f ms, %6.0f GB/s of latent rows"
                    + " = %4.1f%% of peak%n", tensorCores ? "TF32 tensor cores" : "f32 CUDA cores", HEADS, LORA, ROPE, contextLength, tasks,
                    ms, bandwidth / 1e9, 100 * bandwidth / peak);
        }
    }

    private void gemm(int tokens, int rows, int cols, boolean fp8, double peak) {
        long weightBytes = (long) rows * cols * (fp8 ? 1 : 2);
        long scales = (long) ((rows + 127) / 128) * ((cols + 127) / 128);
        try (DeviceBuffer x = context.allocate(4L * tokens * cols, "bench activations");
             DeviceBuffer w = context.allocate(weightBytes, "bench weight");
             DeviceBuffer s = context.allocate(4 * scales, "bench scales");
             DeviceBuffer y = context.allocate(4L * tokens * rows, "bench outputs")) {
            x.zero();
            w.zero();
            s.zero();
            double ms = time(() -> {
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

    private void gemv(int rows, int cols, double peak) {
        try (DeviceBuffer x = context.allocate(4L * cols, "bench activation");
             DeviceBuffer w = context.allocate(2L * rows * cols, "bench weight");
             DeviceBuffer y = context.allocate(4L * rows, "bench output")) {
            x.zero();
            w.zero();
            double ms = time(() -> kernels.linearBf16(x.pointer(), cols, w.pointer(), y.pointer(), rows, 1, rows, cols));
            double bandwidth = 2.0 * rows * cols / (ms / 1e3);
            out.printf("decode GEMV, bf16 weight [%d, %d], 1 token: %8.3f ms, %6.0f GB/s = %4.1f%% of peak%n", rows, cols, ms,
                    bandwidth / 1e9, 100 * bandwidth / peak);
        }
    }

    /** Milliseconds per run of {@code work}, averaged over {@value #ITERATIONS} runs after one warm-up, timed by events on the stream. */
    private double time(Runnable work) {
        work.run();
        try (CudaEvent start = context.newEvent(); CudaEvent end = context.newEvent()) {
            start.record(stream);
            for (int i = 0; i < ITERATIONS; i++) {
                work.run();
            }
            end.record(stream);
            return start.elapsedMillis(end) / ITERATIONS;
        }
    }
}
