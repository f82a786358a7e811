package io.streamseek.gpu.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits matrix products over all cores: the caller and {@code threads - 1} daemon workers claim
 * chunks of rows (a quarter of an even share, aligned to the weight's {@link Linear#rowGrain}) until
 * none is left. The job lives in fields of this object, not in a task object per call, so the
 * per-token loop allocates nothing.
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
    /** The next unclaimed chunk of the current products: slices take chunks until none is left. */
    private final AtomicInteger nextChunk = new AtomicInteger();
    private volatile int epoch;
    private volatile boolean closed;
    private volatile Throwable failure;

    // The current job, published to the workers by the volatile write of epoch: {@code count}
    // products, each split by rows over every slice.
    private int count;
    private int tokens = 1;
    private int inputStride;
    private int outputStride;
    private Linear[] weights = new Linear[1];
    private float[][] inputs = new float[1][];
    private int[] inputOffsets = new int[1];
    private float[][] outputs = new float[1][];
    private int[] outputOffsets = new int[1];
    private SliceTask task; // non-null: the job is this task on every slice instead of products
    private int[] chunkRows = new int[1];  // per product: rows per chunk (a multiple of its row grain)
    private int[] chunkEnds = new int[1];  // per product: chunks of it and of the products before it

    /** Work that every slice runs once per {@link #run} call, on its own thread. */
    public interface SliceTask {
        /**
         * @param slice this thread's index in {@code [0, threads())}; slice 0 is the calling thread
         */
        void run(int slice);
    }

    public CpuWorkers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        this.slices = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int slice = i + 1;
            workers[i] = new KernelThread(() -> work(slice), "streamseek-cpu-" + slice);
            workers[i].start();
        }
    }

    /**
     * Fails with the fix when the JVM was started without the Vector API module, which every
     * kernel needs: better at start-up than as a NoClassDefFoundError in the first step.
     */
    public static void requireVectorApi() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("the CPU backend needs the Vector API: start the JVM with --add-modules jdk.incubator.vector "
                    + "(./streamseek does; on Flink, add it to env.java.opts.all)");
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
        matmul(w, x, xOffset, 0, out, outOffset, 0, 1);
    }

    /**
     * The same product for {@code tokens} rows of activations: {@code out[outOffset + t·outStride + r]
     * = W[r, :] · x[xOffset + t·xStride ..]}. Each weight row is read once for all tokens (prefill
     * and batches), and each output is the very dot product a single-token call computes, so
     * results do not depend on how many tokens are computed together.
     */
    public void matmul(Linear w, float[] x, int xOffset, int xStride, float[] out, int outOffset, int outStride, int tokens) {
        if (workers.length == 0 || (long) w.rows() * w.cols() * tokens < MIN_PARALLEL_WEIGHTS) {
            w.matmul(x, xOffset, xStride, out, outOffset, outStride, tokens, 0, w.rows());
            return;
        }
        weights[0] = w;
        inputs[0] = x;
        inputOffsets[0] = xOffset;
        outputs[0] = out;
        outputOffsets[0] = outOffset;
        this.tokens = tokens;
        this.inputStride = xStride;
        this.outputStride = outStride;
        dispatch(1);
    }

    /**
     * {@code count} independent products at once — e.g. the gate and up projections of every expert
     * a token chose — in one dispatch: every core takes its share of the rows of each, so small
     * matrices cost one wake-up in total instead of one each.
     */
    public void matvecs(int count, Linear[] w, float[][] x, int[] xOffsets, float[][] out, int[] outOffsets) {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += (long) w[i].rows() * w[i].cols();
        }
        if (workers.length == 0 || total < MIN_PARALLEL_WEIGHTS) {
            for (int i = 0; i < count; i++) {
                w[i].matvec(x[i], xOffsets[i], out[i], outOffsets[i], 0, w[i].rows());
            }
            return;
        }
        if (weights.length < count) {
            weights = new Linear[count];
            inputs = new float[count][];
            inputOffsets = new int[count];
            outputs = new float[count][];
            outputOffsets = new int[count];
        }
        System.arraycopy(w, 0, weights, 0, count);
        System.arraycopy(x, 0, inputs, 0, count);
        System.arraycopy(xOffsets, 0, inputOffsets, 0, count);
        System.arraycopy(out, 0, outputs, 0, count);
        System.arraycopy(outOffsets, 0, outputOffsets, 0, count);
        this.tokens = 1;
        dispatch(count);
    }

    /**
     * Runs {@code task} once on every slice at the same time and returns when all are done: for
     * work split other than by rows, such as experts spread over expert-parallel ranks. A failure
     * on any slice is rethrown here.
     */
    public void run(SliceTask task) {
        this.task = task;
        try {
            dispatch(0);
        } finally {
            this.task = null;
        }
    }

    /**
     * Rows of each product a slice claims at a time: about a quarter of an even share, so that a
     * slice that starts late or runs slower (a worker waking up, an SMT sibling, a noisy neighbour)
     * leaves the rest to the others instead of making them wait. Which thread computes a row never
     * changes its arithmetic, so results stay bitwise the same.
     */
    private static final int CHUNKS_PER_SLICE = 4;

    private void dispatch(int jobs) {
        this.count = jobs;
        if (chunkRows.length < jobs) {
            chunkRows = new int[jobs];
            chunkEnds = new int[jobs];
        }
        int chunks = 0;
        for (int i = 0; i < jobs; i++) {
            int rows = weights[i].rows();
            int grain = weights[i].rowGrain();
            int share = (rows + slices * CHUNKS_PER_SLICE - 1) / (slices * CHUNKS_PER_SLICE);
            int size = Math.max(grain, (share + grain - 1) / grain * grain);
            chunkRows[i] = size;
            chunks += (rows + size - 1) / size;
            chunkEnds[i] = chunks;
        }
        nextChunk.set(0);
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
        if (task != null) {
            task.run(slice);
            return;
        }
        int product = 0;
        while (true) {
            int chunk = nextChunk.getAndIncrement();
            while (product < count && chunk >= chunkEnds[product]) {
                product++;
            }
            if (product == count) {
                return; // every chunk claimed
            }
            Linear w = weights[product];
            int start = (chunk - (product == 0 ? 0 : chunkEnds[product - 1])) * chunkRows[product];
            int end = Math.min(w.rows(), start + chunkRows[product]);
            w.matmul(inputs[product], inputOffsets[product], inputStride, outputs[product], outputOffsets[product], outputStride, tokens,
                    start, end);
        }
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
