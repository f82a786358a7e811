package io.streamseek.gpu.scheduler;

import io.streamseek.gpu.cache.BlockManager;
import io.streamseek.gpu.cache.PagedLatentCache;
import io.streamseek.gpu.cache.PagedLatentStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Continuous (iteration-level) batching: every step takes one token from each running sequence
 * that is decoding, then fills the rest of the token budget with prefill chunks of running and
 * newly admitted sequences, highest priority and oldest first. When blocks run out the youngest
 * running sequence is preempted — its blocks freed, its tokens kept — and recomputed later. The
 * control plane: it counts blocks and tokens, and never touches a tensor.
 */
public final class Scheduler {

    private static final Comparator<Sequence> ORDER = Comparator.comparingInt(Sequence::priority).reversed()
            .thenComparingLong(Sequence::arrivalNanos).thenComparingLong(Sequence::id);

    private final BlockManager blocks;
    private final PagedLatentStore store;
    private final int maxNumSeqs;
    private final int maxTokensPerStep;
    private final PriorityQueue<Sequence> waiting = new PriorityQueue<>(ORDER);
    private final List<Sequence> running = new ArrayList<>();
    private final ScheduledStep step = new ScheduledStep();

    public Scheduler(BlockManager blocks, PagedLatentStore store, int maxNumSeqs, int maxTokensPerStep) {
        this.blocks = blocks;
        this.store = store;
        this.maxNumSeqs = maxNumSeqs;
        this.maxTokensPerStep = maxTokensPerStep;
    }

    /**
     * Why a sequence can never be served under these limits, or null. Checked at submission, so a
     * request that cannot fit is rejected at once instead of waiting forever.
     */
    public String rejection(int promptLength, int maxTokens, int maxPositions) {
        if (promptLength >= maxPositions) {
            return "the prompt has " + promptLength + " tokens but the model's context holds " + maxPositions
                    + " (max_position_embeddings), leaving no room to generate";
        }
        int needed = Math.min(promptLength + maxTokens, maxPositions);
        int blocksNeeded = blocks.blocksFor(needed);
        if (blocksNeeded > blocks.allocator().numBlocks()) {
            return "the request needs up to " + needed + " cached tokens (" + blocksNeeded + " blocks) but the latent cache holds "
                    + blocks.allocator().numBlocks() * blocks.allocator().blockSize() + " tokens; lower max_tokens or raise the cache budget";
        }
        return null;
    }

    /** Blocks that can be handed out now. */
    public int availableBlocks() {
        return blocks.allocator().available();
    }

    public void add(Sequence sequence) {
        waiting.add(sequence);
    }

    public int waitingCount() {
        return waiting.size();
    }

    public int runningCount() {
        return running.size();
    }

    public boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    /** All sequences, waiting and running, e.g. to expire or cancel them. */
    public List<Sequence> all() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        return all;
    }

    /** Plans the next step. */
    public ScheduledStep schedule() {
        step.clear();
        int budget = maxTokensPerStep;
        running.sort(ORDER);
        // Decoding sequences first: one token each, keeping their pace.
        for (int i = 0; i < running.size() && budget > 0; i++) {
            Sequence s = running.get(i);
            if (s.length() - s.computed != 1) {
                continue;
            }
            while (!blocks.canGrow(s.table, s.length()) && preemptYoungestOtherThan(s)) {
                // freed the youngest; try again
            }
            if (!blocks.canGrow(s.table, s.length())) {
                preempt(s);
                i--;
                continue;
            }
            blocks.grow(s.table, s.length());
            step.add(new ScheduledStep.Work(s, s.computed, 1, s.computed < s.promptLength()));
            budget--;
        }
        // Prefill chunks of running sequences, then admissions, within what budget remains.
        for (Sequence s : running) {
            if (budget == 0) {
                break;
            }
            if (s.length() - s.computed > 1 && !scheduled(s)) {
                budget -= planPrefill(s, budget);
            }
        }
        while (budget > 0 && !waiting.isEmpty() && running.size() < maxNumSeqs) {
            Sequence next = waiting.peek();
            if (!blocks.canAdmit(next.length())) {
                break; // keeps FCFS within priority: nobody overtakes the head for lack of blocks
            }
            waiting.poll();
            next.table = blocks.admit(next.tenantId(), next.tokens(), next.length());
            // Only prompt tokens are ever reused: generated ones were computed with the other attention path.
            next.computed = Math.min(next.table.cachedTokens(), next.promptLength() - 1);
            // Reported (and not billed) from the first admission only: after a preemption, hits on
            // the sequence's own blocks are not the tenant's cache saving the request work.
            if (next.admissions++ == 0) {
                next.cachedPromptTokens = next.computed;
            }
            next.cache = new PagedLatentCache(store, next.table, next.computed);
            running.add(next);
            budget -= planPrefill(next, budget);
        }
        return step;
    }

    /** Plans the next chunk of {@code s}; returns the tokens it takes. Prompt and generated tokens never share a segment. */
    private int planPrefill(Sequence s, int budget) {
        int from = s.computed;
        boolean naive = from < s.promptLength();
        int end = naive ? Math.min(s.promptLength(), s.length()) : s.length();
        int count = Math.min(end - from, budget);
        if (count <= 0) {
            return 0;
        }
        step.add(new ScheduledStep.Work(s, from, count, naive));
        return count;
    }

    private boolean scheduled(Sequence s) {
        for (ScheduledStep.Work w : step.work()) {
            if (w.sequence() == s) {
                return true;
            }
        }
        return false;
    }

    /** Records that a step computed a segment. */
    public void computed(ScheduledStep.Work work) {
        work.sequence().computed = work.from() + work.count();
        if (work.naive()) {
            blocks.publishFull(work.sequence().tenantId(), work.sequence().table, work.sequence().tokens(),
                    Math.min(work.sequence().computed, work.sequence().promptLength()));
        }
    }

    /** Removes a finished, cancelled or expired sequence and frees its blocks. */
    public void finish(Sequence s) {
        if (s.table != null) {
            blocks.free(s.table);
            s.table = null;
            s.cache = null;
        }
        running.remove(s);
        waiting.remove(s);
    }

    private boolean preemptYoungestOtherThan(Sequence keep) {
        Sequence youngest = null;
        for (Sequence s : running) {
            if (s != keep && !scheduled(s) && (youngest == null || ORDER.compare(s, youngest) > 0)) {
                youngest = s;
            }
        }
        if (youngest == null) {
            return false;
        }
        preempt(youngest);
        return true;
    }

    private void preempt(Sequence s) {
        blocks.free(s.table);
        s.table = null;
        s.cache = null;
        s.computed = 0;
        running.remove(s);
        waiting.add(s);
        step.preempted(s);
    }
}
