package io.streamseek.gpu.moe.ep;

import java.util.Arrays;

/**
 * Which ranks own each routed expert of each layer: the primary owner from the contiguous
 * partition, then the configured replicas.
 */
public final class ExpertPlacement {

    private final int ranks;
    private final int[][][] owners; // [layer][expert] -> ranks, primary first; null for a dense layer

    /**
     * @param moeLayers which decoder layers are MoE layers
     * @param numExperts {@code n_routed_experts}
     */
    public ExpertPlacement(ExpertParallelConfig config, boolean[] moeLayers, int numExperts) {
        this.ranks = config.size();
        this.owners = new int[moeLayers.length][][];
        for (int layer = 0; layer < moeLayers.length; layer++) {
            if (!moeLayers[layer]) {
                continue;
            }
            owners[layer] = new int[numExperts][];
            for (int e = 0; e < numExperts; e++) {
                owners[layer][e] = new int[] {primaryRank(e, numExperts, ranks)};
            }
        }
        for (ExpertParallelConfig.Replica r : config.redundantExperts()) {
            if (r.expert() >= numExperts) {
                throw new IllegalArgumentException("redundant expert " + r.expert() + " does not exist: the model has "
                        + numExperts + " routed experts (n_routed_experts)");
            }
            if (r.layer() >= moeLayers.length || (r.layer() >= 0 && !moeLayers[r.layer()])) {
                throw new IllegalArgumentException("redundant expert " + r.expert() + " names layer " + r.layer()
                        + ", which is not a MoE layer");
            }
            for (int layer = 0; layer < moeLayers.length; layer++) {
                if (owners[layer] != null && (r.layer() == -1 || r.layer() == layer)) {
                    int[] current = owners[layer][r.expert()];
                    if (Arrays.stream(current).noneMatch(x -> x == r.rank())) {
                        int[] grown = Arrays.copyOf(current, current.length + 1);
                        grown[current.length] = r.rank();
                        owners[layer][r.expert()] = grown;
                    }
                }
            }
        }
    }

    /** The rank whose contiguous share holds expert {@code e}. */
    static int primaryRank(int e, int numExperts, int ranks) {
        return (int) ((long) e * ranks / numExperts);
    }

    public int ranks() {
        return ranks;
    }

    /** The ranks that hold expert {@code expert} of {@code layer}, primary first. */
    public int[] owners(int layer, int expert) {
        return owners[layer][expert];
    }

    /** Copies of routed experts {@code rank} holds in {@code layer}. */
    public int expertsOn(int layer, int rank) {
        int n = 0;
        for (int[] o : owners[layer]) {
            for (int r : o) {
                n += r == rank ? 1 : 0;
            }
        }
        return n;
    }
}
