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

    // The tasks of one attend(): token t attends over `context` positions of `cache`.
    int taskCount;
    private int[] taskToken = new int[0];
    private int[] taskContext = new int[0];
    private LatentCache[] taskCache = new LatentCache[0];
    private final AtomicInteger next = new AtomicInteger();
    private MlaAttention layer;
    private Pass pass;

    private enum Pass { NAIVE, ABSORB_QUERY, ATTEND_LATENT, ABSORB_OUTPUT, ABSORBED_HEAD_GROUPS }

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
            case NAIVE -> {
                for (int h = next.getAndIncrement(); h < heads; h = next.getAndIncrement()) {
                    layer.attendNaive(h, this, buffers);
                }
            }
        }
    }
}
