package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Single-thread throughput of the weight formats' products over a weight of about {@code MB}
 * megabytes (default 32: far past the L2, so decode figures are DRAM-bound where the kernel keeps
 * up): one token ({@link Linear#matvec}) and a batch of {@code tokens} (default 16, a prefill chunk
 * or a crowded decode step; {@link Linear#matmul}), repetitions interleaved across formats, medians printed. GB/s counts weight bytes read once per product;
 * Gw/s counts weights per second (times tokens for "tok·Gw/s").
 *
 * <pre>
 * mvn -q -o -pl gpu-operator test-compile
 * java --add-modules jdk.incubator.vector -cp gpu-operator/target/classes:gpu-operator/target/test-classes \
 *     io.streamseek.gpu.backend.cpu.BlockDotBench [MB] [cols] [repetitions] [tokens]
 * </pre>
 * Add {@code -XX:MaxVectorSize=32} to run the AVX2 shapes on an AVX-512 machine.
 */
public final class BlockDotBench {

    private BlockDotBench() {
    }

    public static void main(String[] args) {
        int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int repetitions = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Format[] formats = {Format.BF16, Format.F16, Format.Q8_0, Format.Q6_K, Format.Q5_K, Format.Q5_0, Format.Q4_K, Format.Q4_0};
        SplittableRandom random = new SplittableRandom(7);
        List<Linear> weights = new ArrayList<>();
        for (Format format : formats) {
            int rows = (int) (((long) megabytes << 20) / format.rowBytes(cols));
            weights.add(Linear.of(format, rows, cols, ByteBuffer.wrap(BlockDotTest.randomBlocks(format, rows, cols, random))));
        }
        float[] x = BlockDotTest.gaussian(random, tokens * cols);
        float[] out = new float[tokens * weights.stream().mapToInt(Linear::rows).max().orElseThrow()];
        double[][] one = new double[formats.length][repetitions];
        double[][] four = new double[formats.length][repetitions];
        for (int warm = 0; warm < 5; warm++) {
            for (Linear w : weights) {
                w.matvec(x, 0, out, 0, 0, w.rows());
                w.matmul(x, 0, cols, out, 0, w.rows(), tokens, 0, w.rows());
            }
        }
        for (int rep = 0; rep < repetitions; rep++) {
            for (int f = 0; f < formats.length; f++) {
                Linear w = weights.get(f);
                long start = System.nanoTime();
                w.matvec(x, 0, out, 0, 0, w.rows());
                one[f][rep] = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                w.matmul(x, 0, cols, out, 0, w.rows(), tokens, 0, w.rows());
                four[f][rep] = (System.nanoTime() - start) / 1e9;
            }
        }
        System.out.printf("%d MB weights, %d columns, %d f32 lanes, 1 thread, median of %d (%s)%n", megabytes, cols,
                VectorDot.F.length(), repetitions, Runtime.version());
        System.out.printf("%-6s %8s %8s %8s | %8s %8s %11s %8s%n", "format", "bits/w", "GB/s", "Gw/s", tokens + "-tok ms", "GB/s", "tok·Gw/s",
                "speedup");
        for (int f = 0; f < formats.length; f++) {
            Linear w = weights.get(f);
            double weightCount = (double) w.rows() * w.cols();
            double t1 = median(one[f]);
            double t4 = median(four[f]);
            System.out.printf("%-6s %8.3f %8.2f %8.2f | %8.2f %8.2f %11.2f %7.2fx%n", formats[f], 8.0 * w.bytes() / weightCount,
                    w.bytes() / t1 / 1e9, weightCount / t1 / 1e9, t4 * 1e3, w.bytes() / t4 / 1e9, tokens * weightCount / t4 / 1e9,
                    tokens * t1 / t4);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
