package io.streamseek.gpu.cache;

import java.util.Arrays;

/**
 * The blocks of one sequence, in position order: token {@code p} lives in block
 * {@code blocks[p / block_size]}. Also remembers the chained hash of its last full block, so the
 * next one can be published without rehashing the prefix.
 */
public final class BlockTable {

    private int[] blocks = new int[4];
    private int count;
    private int cachedTokens;
    BlockHash lastFullHash;
    int hashedBlocks;

    /** The block holding positions {@code [index × block_size, (index + 1) × block_size)}. */
    public int block(int index) {
        return blocks[index];
    }

    void add(int block) {
        if (count == blocks.length) {
            blocks = Arrays.copyOf(blocks, 2 * count);
        }
        blocks[count++] = block;
    }

    int removeLast() {
        return blocks[--count];
    }

    /** Blocks held. */
    public int size() {
        return count;
    }

    /** Prompt tokens whose rows came from the prefix cache when the sequence was admitted. */
    public int cachedTokens() {
        return cachedTokens;
    }

    void setCachedTokens(int tokens) {
        this.cachedTokens = tokens;
    }

    /** The block ids, for tests and diagnostics. */
    public int[] blocks() {
        return Arrays.copyOf(blocks, count);
    }
}
