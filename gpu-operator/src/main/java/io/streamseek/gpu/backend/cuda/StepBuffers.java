package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.model.ModelSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The activations of one step on the device, allocated once at the largest step
 * ({@link StepSizes}). Shapes are per step token {@code [T, ...]}; a decode task's buffers are
 * indexed by task.
 */
final class StepBuffers implements AutoCloseable {

    final DeviceArray hidden;       // [T, hidden]: the residual stream
    final DeviceArray normed;       // [T, hidden]
    final DeviceArray branch;       // [T, hidden]: attention or MLP output before the residual add
    final DeviceArray qa;           // [T, q_lora_rank]
    final DeviceArray q;            // [T, heads × qk_head_dim]
    final DeviceArray kv;           // [T, kv_lora_rank + qk_rope_head_dim]
    final DeviceArray attn;         // [T, heads × v_head_dim]
    final DeviceArray qLatent;      // [tasks, heads, width]
    final DeviceArray oLatent;      // [tasks, heads, kv_lora_rank]
    final DeviceArray partials;     // part_out, then part_max and part_sum, sized by StepSizes.partialElements()
    final DeviceArray latent;       // [naive context, width]: one prefill chunk's cached rows, gathered
    final DeviceArray keysValues;   // [naive context, heads × (nope + v)]
    final DeviceArray mlpGate;      // [T, intermediate]
    final DeviceArray mlpUp;        // [T, intermediate]
    final DeviceArray routerLogits; // [T, n_routed_experts]
    final DeviceArray routerWeights; // [T, k]
    final DeviceArray chosen;       // [layers, T, k] int: every MoE layer's routing, read back for the load counters
    final DeviceArray expertOffsets; // [n_routed_experts + 1] int
    final DeviceArray sortedPairs;  // [T × k] int
    final DeviceArray expertAct;    // [T × k, moe_intermediate_size]
    final DeviceArray expertDown;   // [T × k, hidden]
    final DeviceArray shared;       // [T, hidden]: shared experts' output
    final DeviceArray logitInputs;  // [T, hidden]: final-normed rows that produce logits
    final DeviceArray logits;       // [T, vocab]
    final DeviceArray control;      // StepPlan.packed()
    final int controlCapacity;
    private final List<AutoCloseable> owned = new ArrayList<>();

    StepBuffers(DeviceMemory memory, StepSizes sizes, int numLayers) {
        ModelSpec spec = sizes.spec();
        MlaSpec mla = sizes.mla();
        long t = sizes.maxTokens();
        int heads = mla.numHeads();
        int k = Math.max(1, spec.expertsPerToken());
        int experts = Math.max(1, spec.numRoutedExperts());
        hidden = floats(memory, t * spec.hiddenSize(), "hidden states");
        normed = floats(memory, t * spec.hiddenSize(), "normed hidden states");
        branch = floats(memory, t * spec.hiddenSize(), "branch outputs");
        qa = floats(memory, t * Math.max(1, mla.qLoraRank()), "q_a activations");
        q = floats(memory, t * heads * mla.qkHeadDim(), "queries");
        kv = floats(memory, t * mla.latentWidth(), "kv_a activations");
        attn = floats(memory, t * heads * mla.vHeadDim(), "attention outputs");
        qLatent = floats(memory, t * heads * mla.latentWidth(), "latent queries");
        oLatent = floats(memory, t * heads * mla.kvLoraRank(), "latent attention outputs");
        partials = floats(memory, sizes.partialElements(), "decode attention partials");
        latent = floats(memory, (long) sizes.naiveMaxContext() * mla.latentWidth(), "gathered latents");
        keysValues = floats(memory, (long) sizes.naiveMaxContext() * heads * (mla.qkNopeHeadDim() + mla.vHeadDim()), "expanded keys and values");
        mlpGate = floats(memory, t * spec.maxIntermediateSize(), "MLP gate activations");
        mlpUp = floats(memory, t * spec.maxIntermediateSize(), "MLP up activations");
        routerLogits = floats(memory, t * experts, "router logits");
        routerWeights = floats(memory, t * k, "router weights");
        chosen = floats(memory, (long) numLayers * t * k, "chosen experts");
        expertOffsets = floats(memory, experts + 1, "expert offsets");
        sortedPairs = floats(memory, t * k, "sorted token-expert pairs");
        expertAct = floats(memory, t * k * spec.maxIntermediateSize(), "expert activations");
        expertDown = floats(memory, t * k * spec.hiddenSize(), "expert outputs");
        shared = floats(memory, t * spec.hiddenSize(), "shared expert outputs");
        logitInputs = floats(memory, t * spec.hiddenSize(), "logit inputs");
        logits = floats(memory, t * spec.vocabSize(), "logits");
        controlCapacity = (int) (8 * t + t * sizes.blocksPerSequence() + experts + 1);
        control = floats(memory, controlCapacity, "step control data");
    }

    /** {@code elements} 4-byte values (f32 or int). */
    private DeviceArray floats(DeviceMemory memory, long elements, String purpose) {
        return own(memory.allocate(4L * Math.max(1, elements), purpose));
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // Freeing only fails when the context is gone, which frees everything anyway.
            }
        }
        owned.clear();
    }
}
