package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One weight format's kernels alone in a JVM, on one thread: decode ({@link Linear#matvec}) over a
 * weight of {@code rows × cols} (default 32,768 × 1,024: far past the L2) and a batch of
 * {@code tokens} (default 36) over a weight that stays in cache ({@code 2,816 × cols}, a dense MLP's
 * projection), medians of 20 after a warm-up. {@link BlockDotBench} interleaves every format in one
 * JVM; this one shows what a kernel does when C2 compiles it with no other format's profile around.
 *
 * <pre>
 * mvn -q -o -pl gpu-operator test-compile
 * java --add-modules jdk.incubator.vector -cp gpu-operator/target/classes:gpu-operator/target/test-classes \
 *     io.streamseek.gpu.backend.cpu.FormatBench Q4_K [rows] [cols] [tokens]
 * </pre>
 */
public final class FormatBench {

    private FormatBench() {
    }

    public static void main(String[] args) {
        Format format = Format.valueOf(args[0]);
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 32768;
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 36;
        int batchRows = 2816;
        SplittableRandom random = new SplittableRandom(1);
        Linear big = Linear.of(format, rows, cols, ByteBuffer.wrap(BlockDotTest.randomBlocks(format, rows, cols, random)));
        Linear small = Linear.of(format, batchRows, cols, ByteBuffer.wrap(BlockDotTest.randomBlocks(format, batchRows, cols, random)));
        float[] x = BlockDotTest.gaussian(random, tokens * cols);
        float[] out = new float[Math.max(rows, tokens * batchRows)];
        double[] decode = new double[20];
        double[] batch = new double[20];
        for (int rep = -10; rep < 20; rep++) {
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                big.matvec(x, 0, out, 0, 0, rows);
            }
            long middle = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                small.matmul(x, 0, cols, out, 0, batchRows, tokens, 0, batchRows);
            }
            long end = System.nanoTime();
            if (rep >= 0) {
                decode[rep] = 5.0 * rows * cols / (middle - start);
                batch[rep] = 2.0 * 5 * batchRows * cols * tokens / (end - middle);
            }
        }
        System.out.printf("%s, 1 thread (%s): decode %.2f G weights/s (%d x %d); %d tokens %.1f GFLOP/s (%d x %d); medians of 20%n",
                format, Runtime.version(), median(decode), rows, cols, tokens, median(batch), batchRows, cols);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
