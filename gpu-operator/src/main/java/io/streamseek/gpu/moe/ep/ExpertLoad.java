package io.streamseek.gpu.moe.ep;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Running counts of how much work each routed expert and each expert-parallel rank did: the input
 * of the imbalance metrics and of choosing which experts deserve a redundant replica. Written by
 * the step thread and the rank workers, readable from any thread.
 */
public final class ExpertLoad {

    private final int layers;
    private final int experts;
    private final int ranks;
    private final AtomicLongArray tokensPerExpert; // [layer, expert]: token-expert assignments routed to it
    private final AtomicLongArray tokensPerRank;   // [rank]: assignments computed there
    private final AtomicLongArray busyNanosPerRank;

    public ExpertLoad(int layers, int experts, int ranks) {
        this.layers = layers;
        this.experts = experts;
        this.ranks = ranks;
        this.tokensPerExpert = new AtomicLongArray(Math.max(1, layers * experts));
        this.tokensPerRank = new AtomicLongArray(ranks);
        this.busyNanosPerRank = new AtomicLongArray(ranks);
    }

    /** Counts {@code tokens} token-expert assignments routed to {@code expert} of {@code layer}. */
    public void routed(int layer, int expert, int tokens) {
        tokensPerExpert.addAndGet(layer * experts + expert, tokens);
    }

    /** Counts {@code tokens} assignments computed on {@code rank} in {@code nanos}. */
    public void computed(int rank, int tokens, long nanos) {
        tokensPerRank.addAndGet(rank, tokens);
        busyNanosPerRank.addAndGet(rank, nanos);
    }

    /** A consistent-enough copy for metrics. */
    public Snapshot snapshot() {
        long[][] perExpert = new long[layers][experts];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                perExpert[l][e] = tokensPerExpert.get(l * experts + e);
            }
        }
        long[] perRank = new long[ranks];
        long[] busy = new long[ranks];
        for (int r = 0; r < ranks; r++) {
            perRank[r] = tokensPerRank.get(r);
            busy[r] = busyNanosPerRank.get(r);
        }
        return new Snapshot(perExpert, perRank, busy);
    }

    /**
     * @param tokensPerExpert {@code [layer][expert]} token-expert assignments; all zero in dense layers
     * @param tokensPerRank assignments computed on each rank (a replicated expert's tokens split between its owners)
     * @param busyNanosPerRank time each rank's workers spent computing experts
     */
    public record Snapshot(long[][] tokensPerExpert, long[] tokensPerRank, long[] busyNanosPerRank) {

        /** The work done since {@code earlier} was taken: what the engine reports after its warm-up. */
        public Snapshot minus(Snapshot earlier) {
            long[][] perExpert = new long[tokensPerExpert.length][];
            for (int l = 0; l < perExpert.length; l++) {
                perExpert[l] = new long[tokensPerExpert[l].length];
                for (int e = 0; e < perExpert[l].length; e++) {
                    perExpert[l][e] = tokensPerExpert[l][e] - earlier.tokensPerExpert[l][e];
                }
            }
            long[] perRank = new long[tokensPerRank.length];
            long[] busy = new long[busyNanosPerRank.length];
            for (int r = 0; r < perRank.length; r++) {
                perRank[r] = tokensPerRank[r] - earlier.tokensPerRank[r];
                busy[r] = busyNanosPerRank[r] - earlier.busyNanosPerRank[r];
            }
            return new Snapshot(perExpert, perRank, busy);
        }

        /**
         * Hottest expert over the mean expert, averaged over the layers that routed anything: 1.0 is
         * perfect balance; with {@code E} experts it can reach {@code E / num_experts_per_tok}.
         */
        public double expertImbalance() {
            double sum = 0;
            int counted = 0;
            for (long[] layer : tokensPerExpert) {
                long total = 0;
                long max = 0;
                for (long t : layer) {
                    total += t;
                    max = Math.max(max, t);
                }
                if (total > 0) {
                    sum += max / ((double) total / layer.length);
                    counted++;
                }
            }
            return counted == 0 ? 1.0 : sum / counted;
        }

        /** Busiest rank over the mean rank, by assignments computed: what EP balancing is judged by. */
        public double rankImbalance() {
            long total = 0;
            long max = 0;
            for (long t : tokensPerRank) {
                total += t;
                max = Math.max(max, t);
            }
            return total == 0 ? 1.0 : max / ((double) total / tokensPerRank.length);
        }
    }
}
