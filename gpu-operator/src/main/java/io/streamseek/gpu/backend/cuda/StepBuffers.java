package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.cuda.driver.CudaContext;
import io.streamseek.gpu.backend.cuda.driver.DeviceBuffer;
import io.streamseek.gpu.backend.cuda.driver.PinnedBuffer;
import io.streamseek.gpu.model.ModelSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The activations of one step on the device, allocated once at the largest step
 * ({@link StepSizes}), and the pinned host buffers a step's control data and logits cross in. Shapes
 * are per step token {@code [T, ...]}; a decode task's buffers are indexed by task.
 */
final class StepBuffers implements AutoCloseable {

    final DeviceBuffer hidden;       // [T, hidden]: the residual stream
    final DeviceBuffer normed;       // [T, hidden]
    final DeviceBuffer branch;       // [T, hidden]: attention or MLP output before the residual add
    final DeviceBuffer qa;           // [T, q_lora_rank]
    final DeviceBuffer q;            // [T, heads × qk_head_dim]
    final DeviceBuffer kv;           // [T, kv_lora_rank + qk_rope_head_dim]
    final DeviceBuffer attn;         // [T, heads × v_head_dim]
    final DeviceBuffer qLatent;      // [tasks, heads, width]
    final DeviceBuffer oLatent;      // [tasks, heads, kv_lora_rank]
    final DeviceBuffer partials;     // part_out, then part_max and part_sum, sized by StepSizes.partialElements()
    final DeviceBuffer latent;       // [naive context, width]: one prefill chunk's cached rows, gathered
    final DeviceBuffer keysValues;   // [naive context, heads × (nope + v)]
    final DeviceBuffer mlpGate;      // [T, intermediate]
    final DeviceBuffer mlpUp;        // [T, intermediate]
    final DeviceBuffer routerLogits; // [T, n_routed_experts]
    final DeviceBuffer routerWeights; // [T, k]
    final DeviceBuffer chosen;       // [layers, T, k] int: every MoE layer's routing, read back for the load counters
    final DeviceBuffer expertOffsets; // [n_routed_experts + 1] int
    final DeviceBuffer sortedPairs;  // [T × k] int
    final DeviceBuffer expertAct;    // [T × k, moe_intermediate_size]
    final DeviceBuffer expertDown;   // [T × k, hidden]
    final DeviceBuffer shared;       // [T, hidden]: shared experts' output
    final DeviceBuffer logitInputs;  // [T, hidden]: final-normed rows that produce logits
    final DeviceBuffer logits;       // [T, vocab]
    final DeviceBuffer control;      // StepPlan.packed()
    final PinnedBuffer controlHost;
    final PinnedBuffer logitsHost;
    final PinnedBuffer chosenHost;
    final int controlCapacity;
    private final List<AutoCloseable> owned = new ArrayList<>();

    StepBuffers(CudaContext context, StepSizes sizes, int numLayers) {
        ModelSpec spec = sizes.spec();
        MlaSpec mla = sizes.mla();
        long t = sizes.maxTokens();
        int heads = mla.numHeads();
        int k = Math.max(1, spec.expertsPerToken());
        int experts = Math.max(1, spec.numRoutedExperts());
        hidden = floats(context, t * spec.hiddenSize(), "hidden states");
        normed = floats(context, t * spec.hiddenSize(), "normed hidden states");
        branch = floats(context, t * spec.hiddenSize(), "branch outputs");
        qa = floats(context, t * Math.max(1, mla.qLoraRank()), "q_a activations");
        q = floats(context, t * heads * mla.qkHeadDim(), "queries");
        kv = floats(context, t * mla.latentWidth(), "kv_a activations");
        attn = floats(context, t * heads * mla.vHeadDim(), "attention outputs");
        qLatent = floats(context, t * heads * mla.latentWidth(), "latent queries");
        oLatent = floats(context, t * heads * mla.kvLoraRank(), "latent attention outputs");
        partials = floats(context, sizes.partialElements(), "decode attention partials");
        latent = floats(context, (long) sizes.naiveMaxContext() * mla.latentWidth(), "gathered latents");
        keysValues = floats(context, (long) sizes.naiveMaxContext() * heads * (mla.qkNopeHeadDim() + mla.vHeadDim()), "expanded keys and values");
        mlpGate = floats(context, t * spec.maxIntermediateSize(), "MLP gate activations");
        mlpUp = floats(context, t * spec.maxIntermediateSize(), "MLP up activations");
        routerLogits = floats(context, t * experts, "router logits");
        routerWeights = floats(context, t * k, "router weights");
        chosen = floats(context, (long) numLayers * t * k, "chosen experts");
        expertOffsets = floats(context, experts + 1, "expert offsets");
        sortedPairs = floats(context, t * k, "sorted token-expert pairs");
        expertAct = floats(context, t * k * spec.maxIntermediateSize(), "expert activations");
        expertDown = floats(context, t * k * spec.hiddenSize(), "expert outputs");
        shared = floats(context, t * spec.hiddenSize(), "shared expert outputs");
        logitInputs = floats(context, t * spec.hiddenSize(), "logit inputs");
        logits = floats(context, t * spec.vocabSize(), "logits");
        controlCapacity = (int) (8 * t + t * sizes.blocksPerSequence() + experts + 1);
        control = floats(context, controlCapacity, "step control data");
        controlHost = own(context.pinned(4L * controlCapacity));
        logitsHost = own(context.pinned(4L * t * spec.vocabSize()));
        chosenHost = own(context.pinned(4L * numLayers * t * k));
    }

    /** {@code elements} 4-byte values (f32 or int). */
    private DeviceBuffer floats(CudaContext context, long elements, String purpose) {
        return own(context.allocate(4L * Math.max(1, elements), purpose));
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
