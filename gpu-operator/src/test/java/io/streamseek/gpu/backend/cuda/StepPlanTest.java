package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.cache.BlockAllocator;
import io.streamseek.gpu.cache.BlockManager;
import io.streamseek.gpu.cache.BlockTable;
import io.streamseek.gpu.cache.PagedLatentCache;
import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.model.StepBatch;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StepPlanTest {

    private static final int BLOCK = 4;
    private final PagedLatentStore store = new PagedLatentStore(2, 8, BLOCK, 64L * PagedLatentStore.bytesPerBlock(2, 8, BLOCK));
    private final BlockManager blocks = new BlockManager(new BlockAllocator(store.numBlocks(), BLOCK), new byte[32]);

    /** A sequence of {@code cached} tokens whose table has room for {@code length}. */
    private PagedLatentCache sequence(String tenant, int cached, int length) {
        int[] tokens = IntStream.range(0, length).map(i -> 7 + i + tenant.length()).toArray();
        BlockTable table = blocks.admit(tenant, tokens, Math.max(1, cached));
        blocks.grow(table, length);
        return new PagedLatentCache(store, table, cached);
    }

    @Test
    void mapsTokensToSlotsTasksAndPrefillChunks() {
        PagedLatentCache decodeA = sequence("a", 9, 10);
        PagedLatentCache prefillB = sequence("bb", 0, 5);
        PagedLatentCache decodeC = sequence("ccc", 2, 3);
        StepBatch batch = new StepBatch()
                .add(new int[] {11}, 0, 1, 9, decodeA, Path.ABSORBED, false)
                .add(new int[] {1, 2, 3, 4, 5}, 0, 5, 0, prefillB, Path.NAIVE, false)
                .add(new int[] {12}, 0, 1, 2, decodeC, Path.ABSORBED, false);

        StepPlan plan = new StepPlan(BLOCK, 1024).plan(batch);
        int[] p = plan.packed();

        assertThat(plan.tokens).isEqualTo(7);
        assertThat(slice(p, plan.tokenIdsAt, 7)).containsExactly(11, 1, 2, 3, 4, 5, 12);
        assertThat(slice(p, plan.positionsAt, 7)).containsExactly(9, 0, 1, 2, 3, 4, 2);
        assertThat(slice(p, plan.slotIndexAt, 7)).containsExactly(1, 0, 1, 2, 3, 0, 2);
        BlockTable a = decodeA.blockTable();
        BlockTable b = prefillB.blockTable();
        assertThat(slice(p, plan.slotBlockAt, 7)).containsExactly(a.block(2), b.block(0), b.block(0), b.block(0), b.block(0), b.block(1),
                decodeC.blockTable().block(0));

        // Two decode tasks: rows 0 and 6, contexts 10 and 3, block tables padded to the widest (3 blocks).
        assertThat(plan.tasks).isEqualTo(2);
        assertThat(slice(p, plan.taskTokenAt, 2)).containsExactly(0, 6);
        assertThat(slice(p, plan.contextLensAt, 2)).containsExactly(10, 3);
        assertThat(plan.maxBlocks).isEqualTo(3);
        assertThat(slice(p, plan.blockTablesAt, 3)).containsExactly(a.block(0), a.block(1), a.block(2));
        assertThat(p[plan.blockTablesAt + 3]).isEqualTo(decodeC.blockTable().block(0));

        // One prefill chunk of 5 tokens from position 0 over its 2 blocks.
        assertThat(plan.prefills).isEqualTo(1);
        assertThat(plan.prefillRow[0]).isEqualTo(1);
        assertThat(plan.prefillCount[0]).isEqualTo(5);
        assertThat(plan.prefillStart[0]).isZero();
        assertThat(slice(p, plan.prefillTableAt[0], 2)).containsExactly(b.block(0), b.block(1));

        // Runs by path: decode row 0, prefill rows 1-5, decode row 6.
        assertThat(plan.runs).isEqualTo(3);
        assertThat(slice(plan.runRow, 0, 3)).containsExactly(0, 1, 6);
        assertThat(slice(plan.runCount, 0, 3)).containsExactly(1, 5, 1);
        assertThat(Arrays.copyOf(plan.runPrefill, 3)).containsExactly(false, true, false);

        // One logit row per segment, its last token.
        assertThat(plan.logitRows).isEqualTo(3);
        assertThat(slice(p, plan.logitRowIndexAt, 3)).containsExactly(0, 5, 6);
        assertThat(plan.logitRuns).isEqualTo(3);

        // The new rows are counted as cached.
        assertThat(decodeA.length()).isEqualTo(10);
        assertThat(prefillB.length()).isEqualTo(5);
        assertThat(plan.packedSize()).isEqualTo(4 * 7 + 2 + 2 + 2 * 3 + 2 + 3);
    }

    @Test
    void consecutiveDecodeTokensShareOneRunAndLongPrefillsTakeTheAbsorbedPath() {
        PagedLatentCache first = sequence("a", 3, 4);
        PagedLatentCache second = sequence("b", 5, 6);
        PagedLatentCache longPrompt = sequence("c", 0, 9);
        StepBatch batch = new StepBatch()
                .add(new int[] {1}, 0, 1, 3, first, Path.ABSORBED, false)
                .add(new int[] {2}, 0, 1, 5, second, Path.ABSORBED, false)
                .add(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 9, 0, longPrompt, Path.NAIVE, true);

        StepPlan plan = new StepPlan(BLOCK, 8).plan(batch);

        assertThat(plan.runs).isEqualTo(1);
        assertThat(plan.runCount[0]).isEqualTo(11);
        assertThat(plan.prefills).isZero();
        assertThat(plan.tasks).isEqualTo(11);
        assertThat(slice(plan.packed(), plan.contextLensAt, 11)).containsExactly(4, 6, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(plan.logitRows).isEqualTo(11);
        assertThat(plan.logitRuns).isEqualTo(1);
    }

    @Test
    void refusesAContiguousCache() {
        StepBatch batch = new StepBatch().add(new int[] {1}, 0, 1, 0, new SequenceLatentCache(2, 8, 16), Path.NAIVE, false);

        assertThatThrownBy(() -> new StepPlan(BLOCK, 64).plan(batch))
                .hasMessage("the CUDA backend needs paged latent caches; segment 0 has a SequenceLatentCache");
    }

    private static int[] slice(int[] array, int from, int count) {
        return Arrays.copyOfRange(array, from, from + count);
    }
}
