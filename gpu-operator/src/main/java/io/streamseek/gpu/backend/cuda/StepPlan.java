package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.cache.BlockTable;
import io.streamseek.gpu.cache.PagedLatentCache;
import io.streamseek.gpu.model.StepBatch;

import java.util.Arrays;

/**
 * A step's indices for the device, worked out on the host: which cache slot each new token's
 * latent row goes to, which tokens attend through the absorbed path (with their block tables and
 * context lengths), which prefill chunks take the naive path, and which rows produce logits. Every
 * array is packed into one {@code int[]} so a step uploads its control data in a single copy.
 *
 * <p>Rows are grouped into <em>runs</em> of consecutive tokens on the same attention path. The
 * weight products of a run of decode tokens use the CUDA-core kernels and those of a prefill run the
 * tensor-core kernels, so a token's arithmetic depends on its own path only, never on what else
 * shares the step: the engine's batch invariance holds on the GPU too.
 *
 * <p>Reused across steps; {@link #plan} allocates only to grow.
 */
public final class StepPlan {

    /** Prefill chunks whose context is longer than this attend through the absorbed path instead of expanding keys and values. */
    private final int naiveMaxContext;
    private final int blockSize;

    private int[] packed = new int[256];
    private int size;

    int tokens;
    int tokenIdsAt;
    int positionsAt;
    int slotBlockAt;
    int slotIndexAt;

    int tasks;            // absorbed-path tokens
    int taskTokenAt;
    int contextLensAt;
    int blockTablesAt;
    int maxBlocks;        // width of a task's row in the block tables

    int prefills;         // naive-path chunks
    int[] prefillRow = new int[4];
    int[] prefillCount = new int[4];
    int[] prefillStart = new int[4];
    int[] prefillTableAt = new int[4];

    int runs;             // consecutive step rows on one path
    int[] runRow = new int[4];
    int[] runCount = new int[4];
    boolean[] runPrefill = new boolean[4];

    int logitRows;
    int logitRowIndexAt;
    int logitRuns;
    int[] logitRunRow = new int[4];
    int[] logitRunCount = new int[4];
    boolean[] logitRunPrefill = new boolean[4];

    /**
     * @param blockSize tokens per cache block
     * @param naiveMaxContext longest context a prefill chunk expands into keys and values (the
     *     device buffer for them is sized by it); longer chunks take the absorbed path
     */
    public StepPlan(int blockSize, int naiveMaxContext) {
        this.blockSize = blockSize;
        this.naiveMaxContext = naiveMaxContext;
    }

    /** Plans {@code batch}, whose caches must be paged; counts the new rows as cached in each. */
    public StepPlan plan(StepBatch batch) {
        size = 0;
        runs = 0;
        prefills = 0;
        logitRuns = 0;
        tokens = batch.tokens();
        tokenIdsAt = reserve(tokens);
        positionsAt = reserve(tokens);
        slotBlockAt = reserve(tokens);
        slotIndexAt = reserve(tokens);
        tasks = 0;
        maxBlocks = 1;
        for (int i = 0; i < batch.segments(); i++) {
            PagedLatentCache cache = paged(batch, i);
            int end = batch.startPosition(i) + batch.count(i);
            cache.extendTo(end);
            if (absorbed(batch, i)) {
                tasks += batch.count(i);
                maxBlocks = Math.max(maxBlocks, blocksFor(end));
            }
        }
        taskTokenAt = reserve(tasks);
        contextLensAt = reserve(tasks);
        blockTablesAt = reserve(tasks * maxBlocks);
        int task = 0;
        for (int i = 0; i < batch.segments(); i++) {
            BlockTable table = paged(batch, i).blockTable();
            int first = batch.offset(i);
            for (int t = first; t < first + batch.count(i); t++) {
                int position = batch.startPosition(i) + t - first;
                packed[tokenIdsAt + t] = batch.tokenId(t);
                packed[positionsAt + t] = position;
                packed[slotBlockAt + t] = table.block(position / blockSize);
                packed[slotIndexAt + t] = position % blockSize;
            }
            boolean prefill = !absorbed(batch, i);
            addRun(first, batch.count(i), prefill);
            if (prefill) {
                addPrefill(first, batch.count(i), batch.startPosition(i), table);
            } else {
                for (int t = first; t < first + batch.count(i); t++) {
                    packed[taskTokenAt + task] = t;
                    int context = batch.startPosition(i) + t - first + 1;
                    packed[contextLensAt + task] = context;
                    copyBlocks(table, blocksFor(context), blockTablesAt + task * maxBlocks);
                    task++;
                }
            }
        }
        logitRows = batch.logitRows();
        logitRowIndexAt = reserve(logitRows);
        int row = 0;
        for (int i = 0; i < batch.segments(); i++) {
            int last = batch.offset(i) + batch.count(i) - 1;
            int first = batch.allLogits(i) ? batch.offset(i) : last;
            for (int t = first; t <= last; t++) {
                packed[logitRowIndexAt + row++] = t;
            }
            addLogitRun(row - (last - first + 1), last - first + 1, !absorbed(batch, i));
        }
        return this;
    }

    private boolean absorbed(StepBatch batch, int segment) {
        return batch.path(segment) == MlaAttention.Path.ABSORBED
                || batch.startPosition(segment) + batch.count(segment) > naiveMaxContext;
    }

    private static PagedLatentCache paged(StepBatch batch, int segment) {
        if (batch.cache(segment) instanceof PagedLatentCache paged) {
            return paged;
        }
        throw new IllegalArgumentException("the CUDA backend needs paged latent caches; segment " + segment + " has a "
                + batch.cache(segment).getClass().getSimpleName());
    }

    private int blocksFor(int positions) {
        return (positions + blockSize - 1) / blockSize;
    }

    private void addPrefill(int row, int count, int start, BlockTable table) {
        if (prefills == prefillRow.length) {
            int grown = 2 * prefills;
            prefillRow = Arrays.copyOf(prefillRow, grown);
            prefillCount = Arrays.copyOf(prefillCount, grown);
            prefillStart = Arrays.copyOf(prefillStart, grown);
            prefillTableAt = Arrays.copyOf(prefillTableAt, grown);
        }
        int blocks = blocksFor(start + count);
        int at = reserve(blocks);
        copyBlocks(table, blocks, at);
        prefillRow[prefills] = row;
        prefillCount[prefills] = count;
        prefillStart[prefills] = start;
        prefillTableAt[prefills] = at;
        prefills++;
    }

    private void copyBlocks(BlockTable table, int blocks, int at) {
        for (int b = 0; b < blocks; b++) {
            packed[at + b] = table.block(b);
        }
    }

    private void addRun(int row, int count, boolean prefill) {
        if (runs > 0 && runPrefill[runs - 1] == prefill && runRow[runs - 1] + runCount[runs - 1] == row) {
            runCount[runs - 1] += count;
            return;
        }
        if (runs == runRow.length) {
            runRow = Arrays.copyOf(runRow, 2 * runs);
            runCount = Arrays.copyOf(runCount, 2 * runs);
            runPrefill = Arrays.copyOf(runPrefill, 2 * runs);
        }
        runRow[runs] = row;
        runCount[runs] = count;
        runPrefill[runs] = prefill;
        runs++;
    }

    private void addLogitRun(int row, int count, boolean prefill) {
        if (logitRuns > 0 && logitRunPrefill[logitRuns - 1] == prefill) {
            logitRunCount[logitRuns - 1] += count;
            return;
        }
        if (logitRuns == logitRunRow.length) {
            logitRunRow = Arrays.copyOf(logitRunRow, 2 * logitRuns);
            logitRunCount = Arrays.copyOf(logitRunCount, 2 * logitRuns);
            logitRunPrefill = Arrays.copyOf(logitRunPrefill, 2 * logitRuns);
        }
        logitRunRow[logitRuns] = row;
        logitRunCount[logitRuns] = count;
        logitRunPrefill[logitRuns] = prefill;
        logitRuns++;
    }

    private int reserve(int n) {
        int at = size;
        if (size + n > packed.length) {
            packed = Arrays.copyOf(packed, Math.max(2 * packed.length, size + n));
        }
        size += n;
        return at;
    }

    /** The packed control data: upload {@link #packedSize()} ints from here. */
    public int[] packed() {
        return packed;
    }

    public int packedSize() {
        return size;
    }
}
