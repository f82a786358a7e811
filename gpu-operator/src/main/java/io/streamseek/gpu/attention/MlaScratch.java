package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.LatentCache;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reusable buffers of {@link MlaAttention}, shared by all layers of one worker: after warm-up a
 * decode step allocates nothing. They grow (rarely) when a longer chunk or context arrives.
 *
 * <p>Also the runner of the attention proper: on the naive path every (token, head) pair is a task,
 * on the absorbed path every head (over all the step's tokens, so its projections are batched),
 * pulled by the worker slices in turn. A task writes only its own part of {@code attn} and is
 * computed the same way whichever slice takes it, so results do not depend on the number of threads.
 */
public final class MlaScratch implements CpuWorkers.SliceTask {

    private final MlaSpec spec;
    final CpuWorkers workers;
    float[] qa;      // [tokens, q_lora_rank]
    float[] kv;      // [tokens, kv_lora_rank + qk_rope_head_dim]
    float[] latents;    // [context, kv_lora_rank]: the naive path's copy of c_kv
    float[] keysValues; // [context, heads × (qk_nope_head_dim + v_head_dim)]: the naive path's expansion
    float[] q;       // [tokens, heads × qk_head_dim]
    float[] attn;    // [tokens, heads × v_head_dim]
    final Slice[] slices;

    // The tasks of one attend(): token t attends over `context` positions of `cache`.
    int taskCount;
    private int[] taskToken = new int[0];
    private int[] taskContext = new int[0];
    private LatentCache[] taskCache = new LatentCache[0];
    private final AtomicInteger next = new AtomicInteger();
    private MlaAttention layer;
    private boolean naive;

    /** One worker slice's buffers for the head it is computing. */
    static final class Slice {
        float[] qNope = new float[0];   // [tokens, qk_nope_head_dim]: one head's queries, gathered
        float[] qAbs = new float[0];    // [tokens, kv_lora_rank]
        float[] oLatent = new float[0]; // [tokens, kv_lora_rank]
        float[] out = new float[0];     // [tokens, v_head_dim]
        float[] scores = new float[0];  // [context]
    }

    public MlaScratch(MlaSpec spec, CpuWorkers workers) {
        this.spec = spec;
        this.workers = workers;
        this.qa = new float[Math.max(1, spec.qLoraRank())];
        this.kv = new float[spec.latentWidth()];
        this.q = new float[0];
        this.attn = new float[0];
        this.latents = new float[0];
        this.keysValues = new float[0];
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
            qa = new float[tokens * Math.max(1, spec.qLoraRank())];
            kv = new float[tokens * spec.latentWidth()];
            taskToken = new int[tokens];
            taskContext = new int[tokens];
            taskCache = new LatentCache[tokens];
            for (Slice slice : slices) {
                slice.qNope = new float[tokens * spec.qkNopeHeadDim()];
                slice.qAbs = new float[tokens * spec.kvLoraRank()];
                slice.oLatent = new float[tokens * spec.kvLoraRank()];
                slice.out = new float[tokens * spec.vHeadDim()];
            }
        }
        if (slices[0].scores.length < context) {
            int grown = Math.max(context, 2 * slices[0].scores.length);
            for (Slice slice : slices) {
                slice.scores = new float[grown];
            }
            latents = new float[grown * spec.kvLoraRank()];
            keysValues = new float[grown * spec.numHeads() * (spec.qkNopeHeadDim() + spec.vHeadDim())];
        }
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

    /** Runs every (task, head) pair (naive) or every head over all tasks (absorbed) over the worker slices and returns when all are done. */
    void attend(MlaAttention layer, boolean naive) {
        this.layer = layer;
        this.naive = naive;
        next.set(0);
        try {
            workers.run(this);
        } finally {
            this.layer = null;
            java.util.Arrays.fill(taskCache, 0, taskCount, null);
        }
    }

    @Override
    public void run(int slice) {
        Slice buffers = slices[slice];
        int heads = spec.numHeads();
        if (!naive) {
            for (int h = next.getAndIncrement(); h < heads; h = next.getAndIncrement()) {
                layer.attendAbsorbed(h, this, buffers);
            }
            return;
        }
        int total = taskCount * heads;
        for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
            int task = i / heads;
            layer.attendNaive(taskToken[task], i % heads, taskContext[task], taskCache[task], this, buffers);
        }
    }
}
