package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.model.DeepSeekModel;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A GPU beyond the first, running the routed experts of the expert-parallel ranks mapped to it.
 * Per MoE layer it receives the step's normed hidden states and routing from the first GPU, runs
 * its experts over their tokens, and hands back their outputs (zero rows for every other pair), which
 * the first GPU adds to its own before the combine: one owner per pair, so adding the zeros of the
 * other devices changes no value and a token's result is the same on one GPU or several.
 */
final class ExpertDevice implements AutoCloseable {

    /** A GPU's memory and launches, as the runner is handed them. */
    record Target(DeviceMemory memory, DeviceKernels kernels, String name) {
    }

    final Target target;
    private final ExpertWeights[] layers; // null for a dense layer
    private final DeviceArray x;          // [T, hidden]
    private final DeviceArray chosen;     // [T, k]
    private final DeviceArray offsets;    // [experts + 1]
    private final DeviceArray pairs;      // [T × k]
    private final DeviceArray act;        // [T × k, moe_intermediate_size]
    final DeviceArray down;               // [T × k, hidden]

    /** @param runsHere whether this device runs routed expert {@code (layer, expert)} */
    ExpertDevice(Target target, DeepSeekModel model, StepSizes sizes, DeviceModel.RoutedExperts runsHere, Consumer<String> progress) {
        this.target = target;
        DeviceMemory memory = target.memory();
        this.layers = new ExpertWeights[model.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            if (model.layer(l).isMoe()) {
                int layer = l;
                layers[l] = ExpertWeights.upload(memory, model.layer(l).moe(), e -> runsHere.test(layer, e), "model.layers." + l + ".mlp.");
                progress.accept("uploaded the experts of layer " + (l + 1) + "/" + layers.length);
            }
        }
        Map<String, DeviceArray> arrays = new HashMap<>();
        for (Map.Entry<String, Long> buffer : sizes.expertActivations().entrySet()) {
            arrays.put(buffer.getKey(), memory.allocate(4 * Math.max(1, buffer.getValue()), buffer.getKey()));
        }
        this.x = arrays.get(StepSizes.EXPERT_INPUTS);
        this.chosen = arrays.get(StepSizes.CHOSEN);
        this.offsets = arrays.get(StepSizes.EXPERT_OFFSETS);
        this.pairs = arrays.get(StepSizes.SORTED_PAIRS);
        this.act = arrays.get(StepSizes.EXPERT_ACT);
        this.down = arrays.get(StepSizes.EXPERT_DOWN);
    }

    /**
     * Queues layer {@code layer}'s experts of this device on its stream; the first GPU must have
     * finished writing {@code normed} and the routing.
     *
     * @param routing the first GPU's chosen experts; this layer's {@code [tokens, k]} start at {@code routingOffset} bytes
     */
    void launch(int layer, DeviceArray normed, DeviceArray routing, long routingOffset, int tokens, int k, int experts, int hidden) {
        x.copyFrom(normed, 0, 4L * tokens * hidden);
        chosen.copyFrom(routing, routingOffset, 4L * tokens * k);
        down.zero(4L * tokens * k * hidden);
        layers[layer].launch(target.kernels(), x.pointer(), chosen.pointer(), tokens, k, experts, hidden, offsets.pointer(), pairs.pointer(),
                act.pointer(), down.pointer());
    }

    @Override
    public void close() {
        for (ExpertWeights weights : layers) {
            if (weights != null) {
                weights.close();
            }
        }
        x.close();
        chosen.close();
        offsets.close();
        pairs.close();
        act.close();
        down.close();
        target.memory().close();
    }
}
