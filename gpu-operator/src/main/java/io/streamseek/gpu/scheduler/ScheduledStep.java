package io.streamseek.gpu.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * What one step computes: for each sequence, tokens {@code [from, from + count)}; when the segment
 * reaches the sequence's last token, its logits are sampled.
 */
public final class ScheduledStep {

    /** One sequence's share of the step. */
    public record Work(Sequence sequence, int from, int count, boolean naive) {

        /** Whether this segment ends at the sequence's last token, so a new token is sampled from it. */
        public boolean samples() {
            return from + count == sequence.length();
        }
    }

    private final List<Work> work = new ArrayList<>();
    private final List<Sequence> preempted = new ArrayList<>();

    void add(Work w) {
        work.add(w);
    }

    void preempted(Sequence s) {
        preempted.add(s);
    }

    public List<Work> work() {
        return work;
    }

    /** Sequences that lost their blocks this step and will be recomputed later. */
    public List<Sequence> preempted() {
        return preempted;
    }

    public boolean isEmpty() {
        return work.isEmpty();
    }

    void clear() {
        work.clear();
        preempted.clear();
    }
}
