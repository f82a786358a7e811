package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.CpuWorkers;

/**
 * Reusable buffers of {@link MlaAttention}, shared by all layers of one worker: after warm-up a
 * decode step allocates nothing. They grow (rarely) when a longer chunk or context arrives.
 */
public final class MlaScratch {

    private final MlaSpec spec;
    final CpuWorkers workers;
    float[] qa;      // [tokens, q_lora_rank]
    float[] kv;      // [tokens, kv_lora_rank + qk_rope_head_dim]
    float[] latents;    // [context, kv_lora_rank]: the naive path's copy of c_kv
    float[] keysValues; // [context, heads × (qk_nope_head_dim + v_head_dim)]: the naive path's expansion
    float[] q;       // [tokens, heads × qk_head_dim]
    float[] attn;    // [tokens, heads × v_head_dim]
    float[] qAbs;    // [kv_lora_rank]
    float[] oLatent; // [kv_lora_rank]
    float[] scores;  // [context]

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
        this.latents = new float[0];
        this.keysValues = new float[0];
    }

    void ensure(int tokens, int context) {
        int qSize = tokens * spec.numHeads() * spec.qkHeadDim();
        if (q.length < qSize) {
            q = new float[qSize];
            attn = new float[tokens * spec.numHeads() * spec.vHeadDim()];
            qa = new float[tokens * Math.max(1, spec.qLoraRank())];
            kv = new float[tokens * spec.latentWidth()];
        }
        if (scores.length < context) {
            int grown = Math.max(context, 2 * scores.length);
            scores = new float[grown];
            latents = new float[grown * spec.kvLoraRank()];
            keysValues = new float[grown * spec.numHeads() * (spec.qkNopeHeadDim() + spec.vHeadDim())];
        }
    }
}
