package io.streamseek.gpu.cache;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockManagerTest {

    private static final byte[] SECRET = "test-secret".getBytes(StandardCharsets.UTF_8);

    private static int[] tokens(int length, int seed) {
        return new SplittableRandom(seed).ints(length, 0, 1000).toArray();
    }

    @Test
    void prefixBlocksAreReusedWithinATenantAndNeverAcross() {
        BlockManager manager = new BlockManager(new BlockAllocator(64, 4), SECRET);
        int[] prompt = tokens(19, 1); // 4 full blocks + 3 tokens
        BlockTable first = manager.admit("acme", prompt, prompt.length);
        assertThat(first.cachedTokens()).isZero();
        manager.publishFull("acme", first, prompt, prompt.length);

        BlockTable again = manager.admit("acme", prompt, prompt.length);
        assertThat(again.cachedTokens()).isEqualTo(16);
        assertThat(again.blocks()).startsWith(first.blocks()[0], first.blocks()[1], first.blocks()[2], first.blocks()[3]);

        BlockTable otherTenant = manager.admit("globex", prompt, prompt.length);
        assertThat(otherTenant.cachedTokens()).isZero();
        assertThat(otherTenant.blocks()).doesNotContain(first.blocks());

        int[] diverging = prompt.clone();
        diverging[9] += 1; // third block differs: only the first two are shared
        assertThat(manager.admit("acme", diverging, diverging.length).cachedTokens()).isEqualTo(8);
    }

    @Test
    void aFullyCachedPromptStillComputesItsLastToken() {
        BlockManager manager = new BlockManager(new BlockAllocator(16, 4), SECRET);
        int[] prompt = tokens(8, 2); // exactly two blocks
        BlockTable first = manager.admit("acme", prompt, prompt.length);
        manager.publishFull("acme", first, prompt, prompt.length);
        assertThat(manager.admit("acme", prompt, prompt.length).cachedTokens()).isEqualTo(4);
    }

    @Test
    void tenantSaltsAreLengthFramed() {
        assertThat(BlockHash.tenantSalt(SECRET, "ab")).isNotEqualTo(BlockHash.tenantSalt(SECRET, "a"));
        assertThat(BlockHash.tenantSalt(SECRET, "acme")).isEqualTo(BlockHash.tenantSalt(SECRET, "acme"));
        assertThat(BlockHash.tenantSalt("other".getBytes(StandardCharsets.UTF_8), "acme")).isNotEqualTo(BlockHash.tenantSalt(SECRET, "acme"));
    }

    @Test
    void noBlockLeaksAfterAnyMixOfFinishCancelAndPreempt() {
        BlockAllocator allocator = new BlockAllocator(40, 4);
        BlockManager manager = new BlockManager(allocator, SECRET);
        SplittableRandom random = new SplittableRandom(7);
        List<BlockTable> running = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        for (int step = 0; step < 5_000; step++) {
            int action = random.nextInt(4);
            if (action == 0) {
                int[] prompt = tokens(1 + random.nextInt(20), random.nextInt(5)); // few distinct prompts: many prefix hits
                if (manager.canAdmit(prompt.length)) {
                    String tenant = random.nextBoolean() ? "acme" : "globex";
                    BlockTable table = manager.admit(tenant, prompt, prompt.length);
                    manager.publishFull(tenant, table, prompt, prompt.length);
                    running.add(table);
                    prompts.add(prompt);
                    lengths.add(prompt.length);
                }
            } else if (action == 1 && !running.isEmpty()) {
                int i = random.nextInt(running.size());
                if (manager.canGrow(running.get(i), lengths.get(i) + 1)) {
                    manager.grow(running.get(i), lengths.get(i) + 1);
                    lengths.set(i, lengths.get(i) + 1);
                }
            } else if (!running.isEmpty()) {
                // Finish, cancel and preempt all give every block back.
                int i = random.nextInt(running.size());
                manager.free(running.remove(i));
                prompts.remove(i);
                lengths.remove(i);
            }
            int held = running.stream().mapToInt(BlockTable::size).sum();
            assertThat(allocator.inUse()).isLessThanOrEqualTo(held);
        }
        running.forEach(manager::free);
        assertThat(allocator.inUse()).isZero();
        assertThat(allocator.available()).isEqualTo(40);
    }

    @Test
    void unreferencedCachedBlocksAreEvictedLeastRecentlyUsedFirst() {
        BlockAllocator allocator = new BlockAllocator(2, 2);
        BlockManager manager = new BlockManager(allocator, SECRET);
        int[] a = {1, 2, 3};
        int[] b = {4, 5, 6};
        BlockTable ta = manager.admit("t", a, 3);
        manager.publishFull("t", ta, a, 3);
        manager.free(ta);
        assertThat(allocator.available()).isEqualTo(2);
        BlockTable tb = manager.admit("t", b, 3); // needs both blocks: evicts a's cached block
        manager.free(tb);
        assertThat(manager.admit("t", a, 3).cachedTokens()).isZero();
    }

    @Test
    void misuseIsCaught() {
        BlockAllocator allocator = new BlockAllocator(1, 4);
        int block = allocator.allocate();
        allocator.release(block);
        assertThatThrownBy(() -> allocator.release(block)).hasMessage("block 0 released more often than taken");
        allocator.allocate();
        assertThatThrownBy(allocator::allocate).hasMessage("no free cache block: call canAllocate first");
        assertThatThrownBy(() -> new PagedLatentStore(3, 40, 64, 1000))
                .hasMessage("a latent cache budget of 1000 bytes holds no block: one block of 64 tokens needs 30720 bytes "
                        + "(3 layers × 40 values × 4 bytes per token)");
    }
}
