package io.streamseek.gpu.scheduler;

import io.streamseek.gpu.cache.BlockTable;
import io.streamseek.gpu.cache.PagedLatentCache;

import java.util.Arrays;

/**
 * One request's progress, as the scheduler sees it: integers and a block table, no tensors.
 * {@code tokens} holds the prompt and what was generated; {@code computed} counts the tokens whose
 * cache rows exist. Prompt tokens are always computed with naive attention and generated ones with
 * absorbed attention, in whatever chunks: that is what makes a recompute after preemption, or a
 * different chunking, give bitwise the same tokens.
 */
public final class Sequence {

    private final long id;
    private final String tenantId;
    private final int promptLength;
    private final int maxTokens;
    private final int priority;
    private final long arrivalNanos;
    private final long deadlineNanos; // Long.MAX_VALUE: none
    private int[] tokens;
    private int length;
    int computed;
    BlockTable table;
    PagedLatentCache cache;
    int cachedPromptTokens;
    int admissions;
    /** Whatever the engine keeps with the sequence (its handle, sampler, listener). */
    public final Object attachment;

    public Sequence(long id, String tenantId, int[] prompt, int maxTokens, int priority, long arrivalNanos, long deadlineNanos, Object attachment) {
        this.id = id;
        this.tenantId = tenantId;
        this.promptLength = prompt.length;
        this.maxTokens = maxTokens;
        this.priority = priority;
        this.arrivalNanos = arrivalNanos;
        this.deadlineNanos = deadlineNanos;
        this.tokens = Arrays.copyOf(prompt, prompt.length + Math.min(maxTokens, 64));
        this.length = prompt.length;
        this.attachment = attachment;
    }

    public long id() {
        return id;
    }

    public String tenantId() {
        return tenantId;
    }

    public int promptLength() {
        return promptLength;
    }

    public int length() {
        return length;
    }

    public int generated() {
        return length - promptLength;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int priority() {
        return priority;
    }

    public long arrivalNanos() {
        return arrivalNanos;
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    public int[] tokens() {
        return tokens;
    }

    public int computed() {
        return computed;
    }

    public int cachedPromptTokens() {
        return cachedPromptTokens;
    }

    public PagedLatentCache cache() {
        return cache;
    }

    /** The generated ids. */
    public int[] generatedTokens() {
        return Arrays.copyOfRange(tokens, promptLength, length);
    }

    /** Appends a sampled token. */
    public void append(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.min(promptLength + maxTokens, 2 * tokens.length));
        }
        tokens[length++] = token;
    }

    /** Cache blocks the sequence holds now (shared prefix blocks included). */
    public int blocksHeld() {
        return table == null ? 0 : table.size();
    }

    /** Whether the sequence holds blocks and is being computed. */
    public boolean isRunning() {
        return table != null;
    }
}
