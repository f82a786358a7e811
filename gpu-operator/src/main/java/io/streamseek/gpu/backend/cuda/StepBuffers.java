package io.streamseek.gpu.backend.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
        Map<String, DeviceArray> arrays = new HashMap<>();
        for (Map.Entry<String, Long> buffer : sizes.activations(numLayers).entrySet()) {
            arrays.put(buffer.getKey(), own(memory.allocate(4 * Math.max(1, buffer.getValue()), buffer.getKey())));
        }
        hidden = arrays.get(StepSizes.HIDDEN);
        normed = arrays.get(StepSizes.NORMED);
        branch = arrays.get(StepSizes.BRANCH);
        qa = arrays.get(StepSizes.Q_A);
        q = arrays.get(StepSizes.QUERIES);
        kv = arrays.get(StepSizes.KV_A);
        attn = arrays.get(StepSizes.ATTENTION);
        qLatent = arrays.get(StepSizes.LATENT_QUERIES);
        oLatent = arrays.get(StepSizes.LATENT_OUTPUTS);
        partials = arrays.get(StepSizes.PARTIALS);
        latent = arrays.get(StepSizes.GATHERED_LATENTS);
        keysValues = arrays.get(StepSizes.KEYS_VALUES);
        mlpGate = arrays.get(StepSizes.MLP_GATE);
        mlpUp = arrays.get(StepSizes.MLP_UP);
        routerLogits = arrays.get(StepSizes.ROUTER_LOGITS);
        routerWeights = arrays.get(StepSizes.ROUTER_WEIGHTS);
        chosen = arrays.get(StepSizes.CHOSEN);
        expertOffsets = arrays.get(StepSizes.EXPERT_OFFSETS);
        sortedPairs = arrays.get(StepSizes.SORTED_PAIRS);
        expertAct = arrays.get(StepSizes.EXPERT_ACT);
        expertDown = arrays.get(StepSizes.EXPERT_DOWN);
        shared = arrays.get(StepSizes.SHARED);
        logitInputs = arrays.get(StepSizes.LOGIT_INPUTS);
        logits = arrays.get(StepSizes.LOGITS);
        control = arrays.get(StepSizes.CONTROL);
        controlCapacity = sizes.controlCapacity();
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
