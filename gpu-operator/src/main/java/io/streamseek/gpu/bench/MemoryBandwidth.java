package io.streamseek.gpu.bench;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CountDownLatch;

/**
 * Measures this machine's memory read bandwidth the way decode reads weights: every core streams
 * its own slice of a buffer far larger than the caches through vector loads. The roofline of
 * batch-1 decode is this figure divided by the bytes a step must read.
 */
public final class MemoryBandwidth {

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {
    }

    /**
     * The best of {@code rounds} full passes over a {@code bytes}-sized off-heap buffer, in bytes/s.
     */
    public static double measureReadBytesPerSecond(long bytes, int threads, int rounds) throws InterruptedException {
        int sliceBytes = (int) Math.min(Integer.MAX_VALUE - 64, bytes / threads) / B.length() * B.length();
        ByteBuffer[] slices = new ByteBuffer[threads];
        for (int t = 0; t < threads; t++) {
            slices[t] = ByteBuffer.allocateDirect(sliceBytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < sliceBytes; i += 4096) {
                slices[t].put(i, (byte) i); // touch every page so the pass measures memory, not page faults
            }
        }
        double best = 0;
        long[] sink = new long[threads];
        for (int round = 0; round < rounds; round++) {
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(threads);
            Thread[] readers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int slice = t;
                readers[t] = new Thread(() -> {
                    try {
                        start.await();
                        sink[slice] += sum(slices[slice]);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                });
                readers[t].start();
            }
            long begin = System.nanoTime();
            start.countDown();
            done.await();
            double seconds = (System.nanoTime() - begin) / 1e9;
            best = Math.max(best, (double) sliceBytes * threads / seconds);
        }
        if (sink[0] == 42) {
            System.out.print(""); // keeps the sums alive
        }
        return best;
    }

    private static long sum(ByteBuffer buffer) {
        IntVector acc = IntVector.zero(IntVector.SPECIES_PREFERRED);
        int step = B.length();
        for (int i = 0; i + step <= buffer.capacity(); i += step) {
            acc = acc.add(ByteVector.fromByteBuffer(B, buffer, i, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts());
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
