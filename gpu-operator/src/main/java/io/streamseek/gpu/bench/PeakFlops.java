package io.streamseek.gpu.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's f32 FMA peak, measured rather than taken from a data sheet: every thread runs
 * independent vector FMA chains that never touch memory, so nothing but the FMA units bounds it.
 */
public final class PeakFlops {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private PeakFlops() {
    }

    /** GFLOP/s of {@code threads} threads for about {@code millis} ms (2 FLOPs per lane per FMA). */
    public static double measureGflops(int threads, long millis) throws InterruptedException {
        double[] perThread = new double[threads];
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            workers[t] = new Thread(() -> {
                chains(100); // warm-up: compiled before it counts
                perThread[index] = chains(millis);
            });
            workers[t].start();
        }
        double total = 0;
        for (int t = 0; t < threads; t++) {
            workers[t].join();
            total += perThread[t];
        }
        return total;
    }

    private static double chains(long millis) {
        float[] state = new float[8 * F.length()];
        java.util.Arrays.fill(state, 1f);
        long fmas = 0;
        long start = System.nanoTime();
        long end = start + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 64; i++) {
                burst(state);
            }
            fmas += 64L * 8 * 4096;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return 2.0 * fmas * F.length() / seconds / 1e9;
    }

    /** 8 independent chains of 4096 FMAs: enough in flight to cover the FMA latency on any core. */
    private static void burst(float[] state) {
        int l = F.length();
        FloatVector a0 = FloatVector.fromArray(F, state, 0), a1 = FloatVector.fromArray(F, state, l);
        FloatVector a2 = FloatVector.fromArray(F, state, 2 * l), a3 = FloatVector.fromArray(F, state, 3 * l);
        FloatVector a4 = FloatVector.fromArray(F, state, 4 * l), a5 = FloatVector.fromArray(F, state, 5 * l);
        FloatVector a6 = FloatVector.fromArray(F, state, 6 * l), a7 = FloatVector.fromArray(F, state, 7 * l);
        FloatVector m = FloatVector.broadcast(F, 0.999999f);
        FloatVector c = FloatVector.broadcast(F, 1e-7f);
        for (int i = 0; i < 4096; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
        }
        a0.intoArray(state, 0);
        a1.intoArray(state, l);
        a2.intoArray(state, 2 * l);
        a3.intoArray(state, 3 * l);
        a4.intoArray(state, 4 * l);
        a5.intoArray(state, 5 * l);
        a6.intoArray(state, 6 * l);
        a7.intoArray(state, 7 * l);
    }
}
