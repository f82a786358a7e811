package io.streamseek.gpu.moe.ep;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.moe.Mlp;
import io.streamseek.gpu.moe.MoeLayer;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The hot path of expert parallelism: after the gate, dispatch each token to the ranks that own
 * its experts, compute there grouped by expert, combine back with the gate weights.
 *
 * <p>The worker slices are split into ranks ({@code threads / ranks} each). One
 * {@link CpuWorkers#run} per layer: every slice pulls tasks from its own rank's list — a group of
 * up to {@value #GROUP} tokens of one expert the rank owns, or a block of tokens through the
 * shared experts, which every rank holds — so experts never cross ranks and a rank's threads
 * balance among themselves. Every expert output is computed by single-threaded fixed-order dot
 * products into its own slot; the caller then sums a token's slots in ascending expert order, the
 * shared experts last: the same arithmetic, in the same order, as one token alone on one rank.
 */
public final class ExpertDispatcher implements CpuWorkers.SliceTask {

    /** Most tokens of one expert in one task: bounds the per-slice buffers and splits hot experts over threads. */
    static final int GROUP = 32;

    private final CpuWorkers workers;
    private final ExpertPlacement placement;
    private final ExpertLoad load;
    private final int ranks;
    private final int slicesPerRank;
    private final int hidden;
    private final int numExperts;
    private final int k;
    private final Slice[] slices;
    private final AtomicIntegerArray nextTask;
    private final int[] taskCount;
    private int[][] taskExpert = new int[0][]; // [rank][task]: expert, or -1 for the shared experts
    private int[][] taskFrom = new int[0][];   // assignment index (routed) or token index (shared)
    private int[][] taskTo = new int[0][];
    private final int[] perExpert;             // [expert]: assignments this layer
    private final int[] expertStart;           // [expert]: first index into the sorted assignments
    private int[] assignToken = new int[0];    // assignments sorted by expert, tokens ascending within one
    private int[] assignSlot = new int[0];     // the slot t·k + j each assignment fills
    private float[] expertOut = new float[0];  // [tokens·k, hidden]
    private float[] sharedOut = new float[0];  // [tokens, hidden]
    private int capacity;
    private int stepExperts; // routed experts whose weights were read since beginStep, summed over layers

    // The layer being dispatched, published to the slices by CpuWorkers.run.
    private MoeLayer moe;
    private float[] x;

    /** One slice's buffers: a task allocates nothing. */
    private static final class Slice {
        final float[] in;
        final float[] gate;
        final float[] up;
        final float[] out;

        Slice(int hidden, int maxIntermediate) {
            in = new float[GROUP * hidden];
            gate = new float[GROUP * maxIntermediate];
            up = new float[GROUP * maxIntermediate];
            out = new float[GROUP * hidden];
        }
    }

    /**
     * @param workers {@code ranks × n} threads; slices {@code [r·n, (r+1)·n)} are rank {@code r}
     * @param maxIntermediate the widest expert: {@code moe_intermediate_size} or the shared experts' width
     */
    public ExpertDispatcher(CpuWorkers workers, ExpertPlacement placement, ExpertLoad load, int hidden, int maxIntermediate,
                            int numExperts, int expertsPerToken) {
        if (workers.threads() % placement.ranks() != 0) {
            throw new IllegalArgumentException(workers.threads() + " worker threads do not divide into " + placement.ranks()
                    + " expert-parallel ranks");
        }
        this.workers = workers;
        this.placement = placement;
        this.load = load;
        this.ranks = placement.ranks();
        this.slicesPerRank = workers.threads() / ranks;
        this.hidden = hidden;
        this.numExperts = numExperts;
        this.k = expertsPerToken;
        this.slices = new Slice[workers.threads()];
        for (int i = 0; i < slices.length; i++) {
            slices[i] = new Slice(hidden, maxIntermediate);
        }
        this.nextTask = new AtomicIntegerArray(ranks);
        this.taskCount = new int[ranks];
        this.perExpert = new int[numExperts];
        this.expertStart = new int[numExperts];
    }

    public ExpertLoad load() {
        return load;
    }

    public int ranks() {
        return ranks;
    }

    /** Starts counting the routed experts one forward step reads. */
    public void beginStep() {
        stepExperts = 0;
    }

    /** Routed experts whose weights the step read, summed over the MoE layers: what it paid for in memory traffic. */
    public int stepExperts() {
        return stepExperts;
    }

    /** Counts a token's routing done outside {@link #run} (the batch-1 path of a single rank). */
    public void routed(int layer, int[] chosen, int count) {
        stepExperts += count;
        for (int j = 0; j < count; j++) {
            load.routed(layer, chosen[j], 1);
        }
        load.computed(0, count, 0);
    }

    /**
     * {@code out[t] = Σ_j weights[t·k+j] · expert_{chosen[t·k+j]}(x[t]) + shared(x[t])} for
     * {@code tokens} rows, where each token's {@code chosen} are in ascending expert order.
     */
    public void run(int layer, MoeLayer moe, float[] x, int tokens, int[] chosen, float[] weights, float[] out) {
        ensure(tokens);
        plan(layer, moe, tokens, chosen);
        this.moe = moe;
        this.x = x;
        try {
            workers.run(this);
        } finally {
            this.moe = null;
            this.x = null;
        }
        for (int t = 0; t < tokens; t++) {
            int base = t * hidden;
            for (int j = 0; j < k; j++) {
                int slot = t * k + j;
                float w = weights[slot];
                int y = slot * hidden;
                if (j == 0) {
                    for (int i = 0; i < hidden; i++) {
                        out[base + i] = w * expertOut[y + i];
                    }
                } else {
                    for (int i = 0; i < hidden; i++) {
                        out[base + i] = out[base + i] + w * expertOut[y + i];
                    }
                }
            }
            if (moe.sharedExperts() != null) {
                for (int i = 0; i < hidden; i++) {
                    out[base + i] = out[base + i] + 1f * sharedOut[base + i];
                }
            }
        }
    }

    /** Sorts the assignments by expert and deals them out to the owning ranks as tasks. */
    private void plan(int layer, MoeLayer moe, int tokens, int[] chosen) {
        java.util.Arrays.fill(perExpert, 0);
        int assignments = tokens * k;
        for (int a = 0; a < assignments; a++) {
            perExpert[chosen[a]]++;
        }
        int start = 0;
        for (int e = 0; e < numExperts; e++) {
            expertStart[e] = start;
            start += perExpert[e];
        }
        for (int a = 0; a < assignments; a++) {
            int e = chosen[a];
            int at = expertStart[e]++;
            assignToken[at] = a / k;
            assignSlot[at] = a;
        }
        java.util.Arrays.fill(taskCount, 0);
        int from = 0;
        for (int e = 0; e < numExperts; e++) {
            int n = perExpert[e];
            if (n == 0) {
                continue;
            }
            load.routed(layer, e, n);
            stepExperts++;
            int[] owners = placement.owners(layer, e);
            // A replicated expert's tokens are split evenly, in order, between its owners.
            for (int o = 0; o < owners.length; o++) {
                int partFrom = from + (int) ((long) n * o / owners.length);
                int partTo = from + (int) ((long) n * (o + 1) / owners.length);
                for (int g = partFrom; g < partTo; g += GROUP) {
                    addTask(owners[o], e, g, Math.min(partTo, g + GROUP));
                }
            }
            from += n;
        }
        if (moe.sharedExperts() != null) {
            int block = 0;
            for (int t = 0; t < tokens; t += GROUP, block++) {
                addTask(block % ranks, -1, t, Math.min(tokens, t + GROUP));
            }
        }
        for (int r = 0; r < ranks; r++) {
            largestFirst(r, moe);
            nextTask.set(r, 0);
        }
    }

    /**
     * Orders a rank's tasks by work, largest first, so that its threads, pulling tasks in turn, end
     * together instead of one waiting while another finishes a 32-token shared-expert block picked
     * last. Every task fills its own output slots, so the order never changes a result.
     */
    private void largestFirst(int rank, MoeLayer moe) {
        int[] expert = taskExpert[rank];
        int[] from = taskFrom[rank];
        int[] to = taskTo[rank];
        for (int i = 1; i < taskCount[rank]; i++) {
            int e = expert[i], f = from[i], t = to[i];
            long work = work(moe, e, t - f);
            int j = i - 1;
            for (; j >= 0 && work(moe, expert[j], to[j] - from[j]) < work; j--) {
                expert[j + 1] = expert[j];
                from[j + 1] = from[j];
                to[j + 1] = to[j];
            }
            expert[j + 1] = e;
            from[j + 1] = f;
            to[j + 1] = t;
        }
    }

    private static long work(MoeLayer moe, int expert, int tokens) {
        Mlp mlp = expert < 0 ? moe.sharedExperts() : moe.experts()[expert];
        return (long) tokens * mlp.intermediateSize();
    }

    private void addTask(int rank, int expert, int from, int to) {
        int i = taskCount[rank]++;
        taskExpert[rank][i] = expert;
        taskFrom[rank][i] = from;
        taskTo[rank][i] = to;
    }

    @Override
    public void run(int slice) {
        int rank = slice / slicesPerRank;
        Slice s = slices[slice];
        long started = System.nanoTime();
        int computed = 0;
        for (int i = nextTask.getAndIncrement(rank); i < taskCount[rank]; i = nextTask.getAndIncrement(rank)) {
            int expert = taskExpert[rank][i];
            int from = taskFrom[rank][i];
            int n = taskTo[rank][i] - from;
            if (expert < 0) {
                mlp(moe.sharedExperts(), x, from * hidden, n, s);
                System.arraycopy(s.out, 0, sharedOut, from * hidden, n * hidden);
            } else {
                for (int g = 0; g < n; g++) {
                    System.arraycopy(x, assignToken[from + g] * hidden, s.in, g * hidden, hidden);
                }
                mlp(moe.experts()[expert], s.in, 0, n, s);
                for (int g = 0; g < n; g++) {
                    System.arraycopy(s.out, g * hidden, expertOut, assignSlot[from + g] * hidden, hidden);
                }
                computed += n;
            }
        }
        if (computed > 0) {
            load.computed(rank, computed, System.nanoTime() - started);
        }
    }

    /** {@code s.out[0 .. n·hidden) = mlp(in rows)} on this thread alone: the same dot products as anywhere else. */
    private void mlp(Mlp mlp, float[] in, int inOffset, int n, Slice s) {
        int inter = mlp.intermediateSize();
        mlp.gateProj().matmul(in, inOffset, hidden, s.gate, 0, inter, n, 0, inter);
        mlp.upProj().matmul(in, inOffset, hidden, s.up, 0, inter, n, 0, inter);
        for (int t = 0; t < n; t++) {
            Kernels.siluMul(s.gate, t * inter, s.up, t * inter, inter);
        }
        mlp.downProj().matmul(s.gate, 0, inter, s.out, 0, hidden, n, 0, hidden);
    }

    private void ensure(int tokens) {
        if (tokens <= capacity) {
            return;
        }
        capacity = tokens;
        assignToken = new int[tokens * k];
        assignSlot = new int[tokens * k];
        expertOut = new float[tokens * k * hidden];
        sharedOut = new float[tokens * hidden];
        // Per rank: at most every expert split into groups, plus every shared block.
        int maxTasks = numExperts + 2 * (tokens * k / GROUP + 1) + tokens / GROUP + 1;
        taskExpert = new int[ranks][maxTasks];
        taskFrom = new int[ranks][maxTasks];
        taskTo = new int[ranks][maxTasks];
    }
}
