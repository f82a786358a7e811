package io.streamseek.gpu.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits one matrix-vector product over all cores: the caller takes the first slice of rows and
 * {@code threads - 1} daemon workers the others. The job lives in fields of this object, not in a
 * task object per call, so the per-token loop allocates nothing.
 *
 * <p>One caller thread at a time (the engine's step thread). Rows are split, never the reduction of
 * a row, so results are bitwise the same for any number of threads.
 */
public final class CpuWorkers implements AutoCloseable {

    /** Below this many weights a product runs on the caller alone: waking workers would cost more. */
    private static final long MIN_PARALLEL_WEIGHTS = 1L << 16;
    private static final int SPINS_BEFORE_PARK = 20_000;

    private final Thread[] workers;
    private final int slices;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int epoch;
    private volatile boolean closed;
    private volatile Throwable failure;

    // The current job, published to the workers by the volatile write of epoch.
    private Linear weight;
    private float[] x;
    private int xOffset;
    private float[] out;
    private int outOffset;
    private int rows;

    public CpuWorkers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        this.slices = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int slice = i + 1;
            workers[i] = new Thread(() -> work(slice), "streamseek-cpu-" + slice);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** One worker per available processor. */
    public static CpuWorkers perCore() {
        return new CpuWorkers(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return slices;
    }

    /** {@code out[outOffset + r] = W[r, :] · x[xOffset ..]} for every row, on all cores. */
    public void matvec(Linear w, float[] x, int xOffset, float[] out, int outOffset) {
        int n = w.rows();
        if (workers.length == 0 || (long) n * w.cols() < MIN_PARALLEL_WEIGHTS) {
            w.matvec(x, xOffset, out, outOffset, 0, n);
            return;
        }
        this.weight = w;
        this.x = x;
        this.xOffset = xOffset;
        this.out = out;
        this.outOffset = outOffset;
        this.rows = n;
        failure = null;
        pending.set(workers.length);
        epoch++;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        Throwable error = null;
        try {
            runSlice(0);
        } catch (RuntimeException | Error e) {
            error = e;
        }
        // Every slice must finish before the buffers are reused, failed or not.
        while (pending.get() != 0) {
            Thread.onSpinWait();
        }
        if (error == null) {
            error = failure;
        }
        failure = null;
        if (error instanceof RuntimeException e) {
            throw e;
        }
        if (error != null) {
            throw new IllegalStateException("a CPU worker failed: " + error, error);
        }
    }

    private void runSlice(int slice) {
        int start = (int) ((long) rows * slice / slices);
        int end = (int) ((long) rows * (slice + 1) / slices);
        weight.matvec(x, xOffset, out, outOffset, start, end);
    }

    private void work(int slice) {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (epoch == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = epoch;
            try {
                runSlice(slice);
            } catch (Throwable t) {
                failure = t; // rethrown on the caller, which waits for every slice
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}
