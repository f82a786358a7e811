package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.cache.LatentCache;

import java.util.Arrays;

/**
 * The tokens of one forward step, from any number of sequences: each sequence contributes a
 * segment of consecutive positions over its own cache — a prefill chunk (naive attention) or one
 * decode token (absorbed attention). Weights are read once for all tokens; attention stays per
 * sequence. Reused across steps: {@link #clear} and {@link #add} allocate only to grow.
 */
public final class StepBatch {

    int segments;
    int tokens;
    int[] tokenIds = new int[16];
    int[] segmentOffset = new int[4];
    int[] segmentCount = new int[4];
    int[] segmentStart = new int[4];
    boolean[] segmentAllLogits = new boolean[4];
    LatentCache[] segmentCache = new LatentCache[4];
    MlaAttention.Path[] segmentPath = new MlaAttention.Path[4];

    public void clear() {
        segments = 0;
        tokens = 0;
    }

    /**
     * Adds {@code count} tokens of one sequence at positions {@code [startPos, startPos + count)}.
     *
     * @param allLogits logits for every token of the segment rather than its last one only
     */
    public StepBatch add(int[] ids, int offset, int count, int startPos, LatentCache cache, MlaAttention.Path path, boolean allLogits) {
        if (count < 1) {
            throw new IllegalArgumentException("a segment needs at least one token, got " + count);
        }
        if (segments == segmentOffset.length) {
            int grown = 2 * segments;
            segmentOffset = Arrays.copyOf(segmentOffset, grown);
            segmentCount = Arrays.copyOf(segmentCount, grown);
            segmentStart = Arrays.copyOf(segmentStart, grown);
            segmentAllLogits = Arrays.copyOf(segmentAllLogits, grown);
            segmentCache = Arrays.copyOf(segmentCache, grown);
            segmentPath = Arrays.copyOf(segmentPath, grown);
        }
        if (tokens + count > tokenIds.length) {
            tokenIds = Arrays.copyOf(tokenIds, Math.max(2 * tokenIds.length, tokens + count));
        }
        System.arraycopy(ids, offset, tokenIds, tokens, count);
        segmentOffset[segments] = tokens;
        segmentCount[segments] = count;
        segmentStart[segments] = startPos;
        segmentAllLogits[segments] = allLogits;
        segmentCache[segments] = cache;
        segmentPath[segments] = path;
        segments++;
        tokens += count;
        return this;
    }

    public int tokens() {
        return tokens;
    }

    public int segments() {
        return segments;
    }

    /** Rows of logits the step produces: every token of all-logits segments, the last token of the others. */
    public int logitRows() {
        int rows = 0;
        for (int i = 0; i < segments; i++) {
            rows += segmentAllLogits[i] ? segmentCount[i] : 1;
        }
        return rows;
    }

    /** Where segment {@code i}'s tokens start in the step. */
    public int offset(int i) {
        return segmentOffset[i];
    }

    public int count(int i) {
        return segmentCount[i];
    }

    public int startPosition(int i) {
        return segmentStart[i];
    }

    public LatentCache cache(int i) {
        return segmentCache[i];
    }

    public MlaAttention.Path path(int i) {
        return segmentPath[i];
    }

    public boolean allLogits(int i) {
        return segmentAllLogits[i];
    }

    public int tokenId(int t) {
        return tokenIds[t];
    }

    /** The furthest position any segment reaches, plus one: the longest context of the step. */
    public int maxContext() {
        int max = 0;
        for (int i = 0; i < segments; i++) {
            max = Math.max(max, segmentStart[i] + segmentCount[i]);
        }
        return max;
    }
}
