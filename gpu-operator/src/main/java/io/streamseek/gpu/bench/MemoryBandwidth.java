package io.streamseek.gpu.bench;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.CountDownLatch;

/**
 * Measures this machine's memory read bandwidth the way decode reads weights: every core streams
 * its own slice of an array far larger than the caches through vector loads (weights live in Java
 * arrays too). The roofline of
 * batch-1 decode is this figure divided by the bytes a step must read.
 */
public final class MemoryBandwidth {

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {
    }

    /**
     * The best of {@code rounds} full passes over {@code bytes} of int arrays, in bytes/s.
     */
    public static double measureReadBytesPerSecond(long bytes, int threads, int rounds) throws InterruptedException {
        int sliceInts = (int) Math.min(Integer.MAX_VALUE - 64, bytes / threads / 4) / I.length() * I.length();
        long sliceBytes = 4L * sliceInts;
        int[][] slices = new int[threads][];
        for (int t = 0; t < threads; t++) {
            slices[t] = new int[sliceInts];
            for (int i = 0; i < sliceInts; i += 1024) {
                slices[t][i] = i; // touch every page so the pass measures memory, not page faults
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

    private static long sum(int[] values) {
        IntVector acc = IntVector.zero(I);
        int step = I.length();
        for (int i = 0; i + step <= values.length; i += step) {
            acc = acc.add(IntVector.fromArray(I, values, i));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
