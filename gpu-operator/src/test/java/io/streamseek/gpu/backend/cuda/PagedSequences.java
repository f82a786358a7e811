package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.cache.BlockAllocator;
import io.streamseek.gpu.cache.BlockManager;
import io.streamseek.gpu.cache.BlockTable;
import io.streamseek.gpu.cache.PagedLatentCache;
import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.model.DeepSeekModel;

/**
 * Sequences over a paged latent cache, as the engine's scheduler would hand them to a runner:
 * for tests that drive a {@code ModelRunner} step by step.
 */
final class PagedSequences {

    static final int BLOCK_SIZE = 16;
    private final PagedLatentStore store;
    private final BlockManager blocks;
    private int next;

    PagedSequences(DeepSeekModel model, int blocks) {
        long blockBytes = PagedLatentStore.bytesPerBlock(model.numLayers(), model.mlaSpec().cacheRowWidth(), BLOCK_SIZE);
        this.store = new PagedLatentStore(model.numLayers(), model.mlaSpec().cacheRowWidth(), BLOCK_SIZE, blocks * blockBytes);
        this.blocks = new BlockManager(new BlockAllocator(store.numBlocks(), BLOCK_SIZE), new byte[32]);
    }

    PagedLatentStore store() {
        return store;
    }

    /** An empty sequence with blocks for {@code capacity} tokens, sharing no prefix with any other. */
    PagedLatentCache sequence(int capacity) {
        int[] unique = new int[capacity];
        java.util.Arrays.fill(unique, next++);
        BlockTable table = blocks.admit("tenant-" + next, unique, 1);
        blocks.grow(table, capacity);
        return new PagedLatentCache(store, table, 0);
    }
}
