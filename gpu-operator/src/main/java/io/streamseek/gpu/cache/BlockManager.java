package io.streamseek.gpu.cache;

/**
 * Sequences' view of the {@link BlockAllocator}: admits a prompt (reusing the full blocks of a cached
 * prefix of the same tenant), grows a sequence block by block as it decodes, publishes blocks as
 * they fill, and frees everything a finished, cancelled or preempted sequence held.
 */
public final class BlockManager {

    private final BlockAllocator allocator;
    private final byte[] secret;

    /**
     * @param secret key of the tenant salts: keep it private, so that hashes cannot be predicted across tenants
     */
    public BlockManager(BlockAllocator allocator, byte[] secret) {
        this.allocator = allocator;
        this.secret = secret.clone();
    }

    public BlockAllocator allocator() {
        return allocator;
    }

    /** Blocks a sequence of {@code tokens} tokens needs. */
    public int blocksFor(int tokens) {
        return (tokens + allocator.blockSize() - 1) / allocator.blockSize();
    }

    /** Whether the prompt (all of it, before any prefix reuse) fits now. */
    public boolean canAdmit(int promptTokens) {
        return allocator.canAllocate(blocksFor(promptTokens));
    }

    /**
     * Takes blocks for a prompt of {@code tokens[0, length)}: cached full blocks of the tenant's
     * earlier prompts where the prefix matches, fresh ones for the rest. At least the last token is
     * always computed, so a fully cached prompt still yields logits.
     */
    public BlockTable admit(String tenantId, int[] tokens, int length) {
        if (!canAdmit(length)) {
            throw new IllegalStateException("admit " + length + " tokens: call canAdmit first");
        }
        byte[] salt = BlockHash.tenantSalt(secret, tenantId);
        int blockSize = allocator.blockSize();
        BlockTable table = new BlockTable();
        BlockHash hash = null;
        int cachedBlocks = 0;
        int reusable = (length - 1) / blockSize; // full blocks before the last token
        for (int b = 0; b < reusable; b++) {
            BlockHash next = BlockHash.of(hash, salt, tokens, b * blockSize, blockSize);
            int block = allocator.lookup(next);
            if (block < 0) {
                break;
            }
            table.add(block);
            hash = next;
            cachedBlocks++;
        }
        table.lastFullHash = hash;
        table.hashedBlocks = cachedBlocks;
        table.setCachedTokens(cachedBlocks * blockSize);
        for (int b = cachedBlocks; b < blocksFor(length); b++) {
            table.add(allocator.allocate());
        }
        return table;
    }

    /** Whether the sequence can grow to {@code length} tokens now. */
    public boolean canGrow(BlockTable table, int length) {
        return allocator.canAllocate(Math.max(0, blocksFor(length) - table.size()));
    }

    /** Makes room for rows up to {@code length} tokens. */
    public void grow(BlockTable table, int length) {
        while (table.size() < blocksFor(length)) {
            table.add(allocator.allocate());
        }
    }

    /**
     * Publishes every block of {@code table} that the first {@code length} tokens fill completely,
     * so later prompts of the same tenant can reuse them.
     */
    public void publishFull(String tenantId, BlockTable table, int[] tokens, int length) {
        int blockSize = allocator.blockSize();
        int full = length / blockSize;
        if (table.hashedBlocks >= full) {
            return;
        }
        byte[] salt = BlockHash.tenantSalt(secret, tenantId);
        for (int b = table.hashedBlocks; b < full; b++) {
            table.lastFullHash = BlockHash.of(table.lastFullHash, salt, tokens, b * blockSize, blockSize);
            allocator.publish(table.block(b), table.lastFullHash);
        }
        table.hashedBlocks = full;
    }

    /** Returns every block of a sequence that finished, was cancelled or is preempted. */
    public void free(BlockTable table) {
        while (table.size() > 0) {
            allocator.release(table.removeLast());
        }
        table.hashedBlocks = 0;
        table.lastFullHash = null;
    }
}
