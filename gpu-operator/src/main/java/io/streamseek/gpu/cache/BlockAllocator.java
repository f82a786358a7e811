package io.streamseek.gpu.cache;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hands out the fixed-size blocks of the paged latent cache: the control plane, which only counts
 * blocks and never touches a tensor. Blocks are reference-counted so sequences of one tenant can
 * share a cached prefix; a full block is remembered by its {@link BlockHash} and, once no sequence
 * uses it, kept as reusable until its space is needed (least recently used first).
 *
 * <p>Not thread-safe: the scheduler's step thread owns it.
 */
public final class BlockAllocator {

    private final int numBlocks;
    private final int blockSize;
    private final int[] refCounts;
    private final BlockHash[] hashes;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final Map<BlockHash, Integer> cached = new HashMap<>();
    /** Unreferenced cached blocks in least-recently-used order: evicted first when blocks run out. */
    private final LinkedHashMap<Integer, BlockHash> evictable = new LinkedHashMap<>();

    public BlockAllocator(int numBlocks, int blockSize) {
        if (numBlocks < 1 || blockSize < 1) {
            throw new IllegalArgumentException("the cache needs at least one block of at least one token, got "
                    + numBlocks + " blocks of " + blockSize);
        }
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.refCounts = new int[numBlocks];
        this.hashes = new BlockHash[numBlocks];
        for (int b = 0; b < numBlocks; b++) {
            free.add(b);
        }
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int blockSize() {
        return blockSize;
    }

    /** Blocks that can be handed out now: free ones and unreferenced cached ones. */
    public int available() {
        return free.size() + evictable.size();
    }

    /** Blocks some sequence holds. */
    public int inUse() {
        return numBlocks - available();
    }

    public boolean canAllocate(int blocks) {
        return blocks <= available();
    }

    /** A fresh block for new rows; its old cached identity, if any, is forgotten. */
    public int allocate() {
        int block;
        if (!free.isEmpty()) {
            block = free.poll();
        } else if (!evictable.isEmpty()) {
            var oldest = evictable.entrySet().iterator().next();
            block = oldest.getKey();
            evictable.remove(block);
            cached.remove(oldest.getValue());
            hashes[block] = null;
        } else {
            throw new IllegalStateException("no free cache block: call canAllocate first");
        }
        refCounts[block] = 1;
        return block;
    }

    /** The cached block holding this prefix, now referenced once more, or -1. */
    public int lookup(BlockHash hash) {
        Integer block = cached.get(hash);
        if (block == null) {
            return -1;
        }
        if (refCounts[block] == 0) {
            evictable.remove(block);
        }
        refCounts[block]++;
        return block;
    }

    /** Remembers a block that just became full under its prefix hash, for later sequences of the same tenant. */
    public void publish(int block, BlockHash hash) {
        if (!cached.containsKey(hash)) {
            cached.put(hash, block);
            hashes[block] = hash;
        }
    }

    /** Drops one reference; an unreferenced block becomes free, or evictable if it is cached. */
    public void release(int block) {
        if (refCounts[block] <= 0) {
            throw new IllegalStateException("block " + block + " released more often than taken");
        }
        if (--refCounts[block] == 0) {
            if (hashes[block] != null) {
                evictable.put(block, hashes[block]);
            } else {
                free.add(block);
            }
        }
    }

    public int refCount(int block) {
        return refCounts[block];
    }
}
