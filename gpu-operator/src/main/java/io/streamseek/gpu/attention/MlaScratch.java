package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.backend.cpu.Linear;

/**
 * Reusable buffers of {@link MlaAttention}, shared by all layers of one worker: after warm-up a
 * decode step allocates nothing. They grow (rarely) when a longer chunk or context arrives.
 */
public final class MlaScratch {

    private final MlaSpec spec;
    final CpuWorkers workers;
    float[] qa;      // [q_lora_rank]
    float[] kv;      // [kv_lora_rank + qk_rope_head_dim]
    float[] q;       // [tokens, heads × qk_head_dim]
    float[] attn;    // [tokens, heads × v_head_dim]
    float[] qAbs;    // [kv_lora_rank]
    float[] oLatent; // [kv_lora_rank]
    float[] scores;  // [context]
    final Linear[] pair = new Linear[2];
    final float[][] pairInputs = new float[2][];
    final int[] pairInputOffsets = new int[2];
    final float[][] pairOutputs = new float[2][];
    final int[] pairOutputOffsets = new int[2];

    public MlaScratch(MlaSpec spec, CpuWorkers workers) {
        this.spec = spec;
        this.workers = workers;
        this.qa = new float[Math.max(1, spec.qLoraRank())];
        this.kv = new float[spec.latentWidth()];
        this.qAbs = new float[spec.kvLoraRank()];
        this.oLatent = new float[spec.kvLoraRank()];
        this.q = new float[0];
        this.attn = new float[0];
        this.scores = new float[0];
    }

    void ensure(int tokens, int context) {
        int qSize = tokens * spec.numHeads() * spec.qkHeadDim();
        if (q.length < qSize) {
            q = new float[qSize];
            attn = new float[tokens * spec.numHeads() * spec.vHeadDim()];
        }
        if (scores.length < context) {
            scores = new float[Math.max(context, 2 * scores.length)];
        }
    }
}
