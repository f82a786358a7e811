package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.cache.LatentCache;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reusable buffers of {@link MlaAttention}, shared by all layers of one worker: after warm-up a
 * decode step allocates nothing. They grow (rarely) when a longer chunk or context arrives.
 *
 * <p>Also the runner of the attention proper: on the naive path every (token, head) pair is a task;
 * the absorbed path runs three passes — per head (its query projection batched over the step's
 * tokens), per token (all heads over the token's cached latents), per head (its output
 * projection) — or, for fewer tokens than slices, one pass per group of heads doing all three,
 * whose tasks the worker slices pull in turn. A task writes only its own part of {@code attn} and is
 * computed the same way whichever slice takes it, so results do not depend on the number of threads.
 */
public final class MlaScratch implements CpuWorkers.SliceTask {

    private final MlaSpec spec;
    final CpuWorkers workers;
    float[] qa;      // [tokens, q_lora_rank]
    float[] kv;      // [tokens, kv_lora_rank + qk_rope_head_dim]
    float[] latents;    // [context, kv_lora_rank]: the naive path's copy of c_kv
    Linear latentRows;  // latents as an f32 weight of [capacity, kv_lora_rank]: the naive path's transposed keys
    float[] latentPanels; // its values, in the panel layout of Linear.f32Panels
    float[] values;     // [context, heads × v_head_dim]: the naive path's expanded values
    float[] q;       // [tokens, heads × qk_head_dim]
    float[] attn;    // [tokens, heads × v_head_dim]
    float[] qLatent; // [absorbed tokens, heads, kv_lora_rank + qk_rope_head_dim]
    float[] oLatent; // [absorbed tokens, heads, kv_lora_rank]
    final Slice[] slices;

    // DeepSeek Sparse Attention: the indexer's step buffers and each task's selected positions.
    float[] indexQ = new float[0]; // [tokens, index_n_heads × index_head_dim]
    float[] indexK = new float[0]; // [tokens, index_head_dim]
    float[] indexW = new float[0]; // [tokens, index_n_heads]
    private int[] selected = new int[0];      // [task, index_topk]: ascending positions
    private int[] selectedCount = new int[0]; // [task]: 0 when the task attends densely
    private float[] indexScores = new float[0]; // [task, context]: shared by the slices when tasks are few
    private int scoreStride;
    private int[] scoreChunkEnds = new int[0];  // [task]: position chunks of it and of the tasks before it
    private LightningIndexer indexer;
    private boolean denseAttention;

    /** Positions one slice scores at a time when few queries share the cores: two wake-ups per layer. */
    private static final int SCORE_CHUNK = 512;

    // The tasks of one attend(): token t attends over `context` positions of `cache`.
    int taskCount;
    private int[] taskToken = new int[0];
    private int[] taskContext = new int[0];
    private LatentCache[] taskCache = new LatentCache[0];
    private final AtomicInteger next = new AtomicInteger();
    private MlaAttention layer;
    private Pass pass;

    private enum Pass { NAIVE, ABSORB_QUERY, ATTEND_LATENT, ABSORB_OUTPUT, ABSORBED_HEAD_GROUPS, INDEX_SELECT, INDEX_SCORES, INDEX_TOPK }

    /**
     * Heads per task of the fused absorbed pass: a multiple of 4, the head groups of
     * {@link io.streamseek.gpu.backend.cpu.LatentKernels}' score and weighted-sum tiles, so that
     * a head's values are computed by the same tile whether its token's heads run together or not.
     */
    static final int HEAD_GROUP = 4;

    /** One worker slice's buffers for the head it is computing. */
    static final class Slice {
        float[] qNope = new float[0];   // [tokens, qk_nope_head_dim]: one head's queries, gathered
        float[] out = new float[0];     // [tokens, v_head_dim]
        float[] scores = new float[0];  // [context] (naive) or [context, heads of the task] (absorbed)
        float[][] rows = new float[0][]; // [context]: the array holding each position's latent row
        int[] offsets = new int[0];      // [context]: the row's offset in it
        float[] keys = new float[0];     // [qk_head_dim, context rounded up to whole vectors]: one head's keys, transposed (naive)
        float[] indexScores = new float[0]; // [context]: one task's indexer scores
        int[] heap = new int[0];            // [index_topk]: the top-k selection's heap
        float[] queryT = new float[0];      // [index_head_dim, index_n_heads padded]: one query, transposed
        float[] headWeights = new float[0]; // [index_n_heads padded]: its head weights
    }

    public MlaScratch(MlaSpec spec, CpuWorkers workers) {
        this.spec = spec;
        this.workers = workers;
        this.qa = new float[Math.max(1, spec.qLoraRank())];
        this.kv = new float[spec.latentWidth()];
        this.q = new float[0];
        this.attn = new float[0];
        this.qLatent = new float[0];
        this.oLatent = new float[0];
        this.latents = new float[0];
        this.latentPanels = new float[0];
        this.latentRows = Linear.f32PanelsOver(0, spec.kvLoraRank(), latentPanels);
        this.values = new float[0];
        this.slices = new Slice[workers.threads()];
        for (int i = 0; i < slices.length; i++) {
            slices[i] = new Slice();
        }
    }

    void ensure(int tokens, int context) {
        int qSize = tokens * spec.numHeads() * spec.qkHeadDim();
        if (q.length < qSize) {
            q = new float[qSize];
            attn = new float[tokens * spec.numHeads() * spec.vHeadDim()];
            qLatent = new float[tokens * spec.numHeads() * spec.latentWidth()];
            oLatent = new float[tokens * spec.numHeads() * spec.kvLoraRank()];
            qa = new float[tokens * Math.max(1, spec.qLoraRank())];
            kv = new float[tokens * spec.latentWidth()];
            taskToken = new int[tokens];
            taskContext = new int[tokens];
            taskCache = new LatentCache[tokens];
            for (Slice slice : slices) {
                slice.qNope = new float[tokens * spec.qkNopeHeadDim()];
                slice.out = new float[tokens * spec.vHeadDim()];
            }
        }
        if (slices[0].rows.length < context) {
            int grown = Math.max(context, 2 * slices[0].rows.length);
            int lanes = Kernels.lanes();
            for (Slice slice : slices) {
                slice.scores = new float[Math.max(grown * spec.numHeads(), grown + lanes)];
                slice.rows = new float[grown][];
                slice.offsets = new int[grown];
                slice.keys = new float[spec.qkHeadDim() * (grown + lanes)];
            }
            latents = new float[grown * spec.kvLoraRank()];
            latentPanels = new float[Linear.f32PanelLength(grown, spec.kvLoraRank())];
            latentRows = Linear.f32PanelsOver(grown, spec.kvLoraRank(), latentPanels);
            values = new float[grown * spec.numHeads() * spec.vHeadDim()];
        }
    }

    /**
     * Attend to every cached position even where the model's indexer would select: the dense
     * baseline a benchmark compares DeepSeek Sparse Attention with. Not the model's output.
     */
    public void denseAttention(boolean dense) {
        this.denseAttention = dense;
    }

    void ensureIndexer(int tokens, int queryWidth, int keyWidth, int heads) {
        if (indexQ.length < tokens * queryWidth) {
            indexQ = new float[tokens * queryWidth];
            indexK = new float[tokens * keyWidth];
            indexW = new float[tokens * heads];
        }
    }

    /** Whether the indexer chooses task {@code i}'s positions: its context is past index_topk, and selection is on. */
    private boolean selects(int i) {
        return !denseAttention && indexer.sparse(taskContext[i]);
    }

    /** Whether task {@code i} attends only to its selected positions ({@link #selected}). */
    int selectedCount(int i) {
        return indexer == null ? 0 : selectedCount[i];
    }

    /** The array of task {@code i}'s selected positions, ascending from {@link #selectedOffset}. */
    int[] selected() {
        return selected;
    }

    int selectedOffset(int i) {
        return i * indexer.spec().topk();
    }

    /**
     * The indexer's choice for every task whose context is longer than {@code index_topk}: with
     * at least as many tasks as slices, each slice scores and selects whole tasks; with fewer
     * (decode of a few sequences), the slices share the scoring of each task's positions, then
     * select. Every score is computed the same way either way.
     */
    private void select(LightningIndexer indexer) {
        this.indexer = indexer;
        if (selectedCount.length < taskCount) {
            selectedCount = new int[Math.max(taskCount, 2 * selectedCount.length)];
        }
        int k = indexer.spec().topk();
        if (selected.length < taskCount * k) {
            selected = new int[selectedCount.length * k];
        }
        int sparseTasks = 0;
        int widest = 0;
        for (int i = 0; i < taskCount; i++) {
            selectedCount[i] = 0;
            if (selects(i)) {
                sparseTasks++;
                widest = Math.max(widest, taskContext[i]);
            }
        }
        if (sparseTasks == 0) {
            return;
        }
        int queryWidth = indexer.paddedQueryWidth();
        for (Slice slice : slices) {
            if (slice.heap.length < k) {
                slice.heap = new int[k];
            }
            if (slice.queryT.length < queryWidth) {
                slice.queryT = new float[queryWidth];
            }
            if (slice.headWeights.length < indexer.paddedHeads()) {
                slice.headWeights = new float[indexer.paddedHeads()];
            }
        }
        if (taskCount >= slices.length) {
            for (Slice slice : slices) {
                if (slice.indexScores.length < widest) {
                    slice.indexScores = new float[Math.max(widest, 2 * slice.indexScores.length)];
                }
            }
            runPass(Pass.INDEX_SELECT);
            return;
        }
        scoreStride = widest;
        if (indexScores.length < taskCount * widest) {
            indexScores = new float[taskCount * widest];
        }
        if (scoreChunkEnds.length < taskCount) {
            scoreChunkEnds = new int[selectedCount.length];
        }
        int chunks = 0;
        for (int i = 0; i < taskCount; i++) {
            if (selects(i)) {
                chunks += (taskContext[i] + SCORE_CHUNK - 1) / SCORE_CHUNK;
            }
            scoreChunkEnds[i] = chunks;
        }
        runPass(Pass.INDEX_SCORES);
        runPass(Pass.INDEX_TOPK);
    }

    void clearTasks() {
        taskCount = 0;
    }

    void addTask(int token, int context, LatentCache cache) {
        taskToken[taskCount] = token;
        taskContext[taskCount] = context;
        taskCache[taskCount] = cache;
        taskCount++;
    }

    int taskToken(int i) {
        return taskToken[i];
    }

    int taskContext(int i) {
        return taskContext[i];
    }

    LatentCache taskCache(int i) {
        return taskCache[i];
    }

    /**
     * Runs every (task, head) pair (naive) or the absorbed path over the worker slices and returns
     * when all are done. The absorbed path runs three passes over all tasks, unless there are fewer
     * tasks than slices (decode of one sequence): then the second pass, per token, would leave all
     * but one core idle, so one pass runs all three steps per group of {@value #HEAD_GROUP} heads.
     * Each (token, head) value is computed by the same operations either way.
     */
    void attend(MlaAttention layer, boolean naive) {
        this.layer = layer;
        try {
            if (layer.indexer() != null) {
                select(layer.indexer());
            }
            if (naive) {
                runPass(Pass.NAIVE);
            } else if (taskCount < slices.length && spec.numHeads() > HEAD_GROUP) {
                runPass(Pass.ABSORBED_HEAD_GROUPS);
            } else {
                runPass(Pass.ABSORB_QUERY);
                runPass(Pass.ATTEND_LATENT);
                runPass(Pass.ABSORB_OUTPUT);
            }
        } finally {
            this.layer = null;
            this.pass = null;
            this.indexer = null;
            java.util.Arrays.fill(taskCache, 0, taskCount, null);
        }
    }

    private void runPass(Pass pass) {
        this.pass = pass;
        next.set(0);
        workers.run(this);
    }

    @Override
    public void run(int slice) {
        Slice buffers = slices[slice];
        int heads = spec.numHeads();
        switch (pass) {
            case ABSORB_QUERY -> {
                for (int h = next.getAndIncrement(); h < heads; h = next.getAndIncrement()) {
                    layer.absorbQuery(h, this, buffers);
                }
            }
            case ATTEND_LATENT -> {
                for (int i = next.getAndIncrement(); i < taskCount; i = next.getAndIncrement()) {
                    layer.attendLatent(i, 0, heads, this, buffers);
                }
            }
            case ABSORBED_HEAD_GROUPS -> {
                for (int g = next.getAndIncrement(); g * HEAD_GROUP < heads; g = next.getAndIncrement()) {
                    int h0 = g * HEAD_GROUP;
                    int h1 = Math.min(heads, h0 + HEAD_GROUP);
                    for (int h = h0; h < h1; h++) {
                        layer.absorbQuery(h, this, buffers);
                    }
                    for (int i = 0; i < taskCount; i++) {
                        layer.attendLatent(i, h0, h1, this, buffers);
                    }
                    for (int h = h0; h < h1; h++) {
                        layer.absorbOutput(h, this, buffers);
                    }
                }
            }
            case ABSORB_OUTPUT -> {
                for (int h = next.getAndIncrement(); h < heads; h = next.getAndIncrement()) {
                    layer.absorbOutput(h, this, buffers);
                }
            }
            case INDEX_SELECT -> {
                for (int i = next.getAndIncrement(); i < taskCount; i = next.getAndIncrement()) {
                    if (selects(i)) {
                        indexer.scores(this, i, 0, taskContext[i], buffers.indexScores, 0, buffers.queryT, buffers.headWeights);
                        selectedCount[i] = indexer.topk(buffers.indexScores, 0, taskContext[i], selected, selectedOffset(i), buffers.heap);
                    }
                }
            }
            case INDEX_SCORES -> {
                int total = taskCount == 0 ? 0 : scoreChunkEnds[taskCount - 1];
                int i = 0;
                for (int c = next.getAndIncrement(); c < total; c = next.getAndIncrement()) {
                    while (c >= scoreChunkEnds[i]) {
                        i++;
                    }
                    int from = (c - (i == 0 ? 0 : scoreChunkEnds[i - 1])) * SCORE_CHUNK;
                    indexer.scores(this, i, from, Math.min(taskContext[i], from + SCORE_CHUNK), indexScores, i * scoreStride, buffers.queryT,
                            buffers.headWeights);
                }
            }
            case INDEX_TOPK -> {
                for (int i = next.getAndIncrement(); i < taskCount; i = next.getAndIncrement()) {
                    if (selects(i)) {
                        selectedCount[i] = indexer.topk(indexScores, i * scoreStride, taskContext[i], selected, selectedOffset(i), buffers.heap);
                    }
                }
            }
            case NAIVE -> {
                for (int h = next.getAndIncrement(); h < heads; h = next.getAndIncrement()) {
                    layer.attendNaive(h, this, buffers);
                }
            }
        }
    }
}
