package io.streamseek.gpu.moe.ep;

import java.util.ArrayList;
import java.util.List;

/**
 * How routed experts are spread over expert-parallel ranks.
 *
 * <p>Each rank owns a contiguous share of every MoE layer's experts ({@code experts · r / size} up
 * to {@code experts · (r+1) / size}, as DeepSeek's {@code ep_size} partitions them) and its own worker
 * threads; on a GPU backend a rank is a device. Shared experts are held by every rank. A redundant
 * replica gives a hot expert a second (third…) owner, EPLB-style, and its tokens are split between
 * the owners. Results do not depend on any of this: every expert output is the same fixed-order
 * computation wherever it runs, and is combined in a fixed order.
 *
 * @param size expert-parallel degree (DeepSeek's {@code ep_size}); 1 runs every expert on one rank
 * @param redundantExperts extra owners of hot experts
 */
public record ExpertParallelConfig(int size, List<Replica> redundantExperts) {

    /** One rank, no replicas: the default. */
    public static final ExpertParallelConfig SINGLE = new ExpertParallelConfig(1, List.of());

    /**
     * A redundant copy of one expert.
     *
     * @param layer the decoder layer index, or -1 for every MoE layer
     * @param expert the routed expert index
     * @param rank the rank that holds the copy
     */
    public record Replica(int layer, int expert, int rank) {
    }

    public ExpertParallelConfig {
        if (size < 1) {
            throw new IllegalArgumentException("the expert-parallel size must be at least 1, was " + size);
        }
        for (Replica r : redundantExperts) {
            if (r.rank() < 0 || r.rank() >= size) {
                throw new IllegalArgumentException("redundant expert " + r.expert() + " is placed on rank " + r.rank()
                        + ", but the expert-parallel ranks are 0.." + (size - 1));
            }
            if (r.expert() < 0 || r.layer() < -1) {
                throw new IllegalArgumentException("invalid redundant expert " + r);
            }
        }
        redundantExperts = List.copyOf(redundantExperts);
    }

    /**
     * Parses {@code --ep-replicas}: comma-separated {@code EXPERT@RANK} (every MoE layer) or
     * {@code LAYER:EXPERT@RANK} (one layer), e.g. {@code 3@1,5:17@0}.
     */
    public static ExpertParallelConfig parse(int size, String replicas) {
        List<Replica> list = new ArrayList<>();
        if (replicas != null && !replicas.isBlank()) {
            for (String item : replicas.split(",")) {
                String spec = item.trim();
                try {
                    int at = spec.indexOf('@');
                    int colon = spec.indexOf(':');
                    int layer = colon < 0 ? -1 : Integer.parseInt(spec.substring(0, colon));
                    int expert = Integer.parseInt(spec.substring(colon + 1, at));
                    list.add(new Replica(layer, expert, Integer.parseInt(spec.substring(at + 1))));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("'" + spec + "' is not a replica; write EXPERT@RANK or LAYER:EXPERT@RANK");
                }
            }
        }
        return new ExpertParallelConfig(size, list);
    }
}
