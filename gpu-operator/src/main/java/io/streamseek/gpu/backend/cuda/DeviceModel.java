package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.attention.MlaWeights;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.model.DecoderLayer;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.moe.Mlp;
import io.streamseek.gpu.moe.MoeLayer;
import io.streamseek.gpu.moe.RouterSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The model's weights on the GPU, uploaded once, under the checkpoint's names. Routed experts get
 * device address tables per layer, so one grouped kernel launch reaches every expert of a layer.
 */
final class DeviceModel implements AutoCloseable {

    record Attention(DeviceLinear qAProj, DeviceArray qALayernorm, DeviceLinear qBProj, DeviceLinear kvAProjWithMqa,
                     DeviceArray kvALayernorm, DeviceLinear kvBF32, DeviceLinear oProj) {
    }

    record DenseMlp(DeviceLinear gateProj, DeviceLinear upProj, DeviceLinear downProj) {
    }

    /** @param experts the routed experts this device runs (see {@link ExpertWeights}) */
    record Moe(DeviceLinear gate, DeviceArray correctionBias, RouterSpec router, ExpertWeights experts, DenseMlp sharedExperts) {
    }

    record Layer(DeviceArray inputLayernorm, Attention attention, DeviceArray postAttentionLayernorm, DenseMlp denseMlp, Moe moe) {
    }

    final DeviceLinear embedTokens;
    final DeviceLinear lmHead;
    final DeviceArray norm;
    final DeviceArray cos;
    final DeviceArray sin;
    final Layer[] layers;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final DeviceMemory memory;
    private final RoutedExperts runsHere;

    /** Which routed experts a device runs. */
    @FunctionalInterface
    interface RoutedExperts {
        boolean test(int layer, int expert);
    }

    /**
     * Everything but the routed experts of other devices.
     *
     * @param runsHere whether this device runs routed expert {@code (layer, expert)}
     */
    DeviceModel(DeviceMemory memory, DeepSeekModel model, RoutedExperts runsHere, Consumer<String> progress) {
        this.memory = memory;
        this.runsHere = runsHere;
        this.embedTokens = own(DeviceLinear.upload(memory, model.embedTokens(), "model.embed_tokens.weight"));
        this.lmHead = own(DeviceLinear.upload(memory, model.lmHead(), "lm_head.weight"));
        this.norm = floats(model.norm(), "model.norm.weight");
        MlaAttention first = model.layer(0).attention();
        this.cos = floats(first.rope().cosTable(), "rope cos table");
        this.sin = floats(first.rope().sinTable(), "rope sin table");
        this.layers = new Layer[model.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            DecoderLayer layer = model.layer(l);
            layers[l] = new Layer(floats(layer.inputLayernorm(), p + "input_layernorm.weight"), attention(layer.attention(), p + "self_attn."),
                    floats(layer.postAttentionLayernorm(), p + "post_attention_layernorm.weight"),
                    layer.isMoe() ? null : mlp(layer.denseMlp(), p + "mlp."), layer.isMoe() ? moe(l, layer.moe(), p + "mlp.") : null);
            progress.accept("uploaded layer " + (l + 1) + "/" + layers.length);
        }
    }

    private Attention attention(MlaAttention attention, String p) {
        MlaWeights w = attention.weights();
        return new Attention(w.qAProj() == null ? null : linear(w.qAProj(), p + "q_a_proj.weight"),
                w.qALayernorm() == null ? null : floats(w.qALayernorm(), p + "q_a_layernorm.weight"),
                linear(w.qBProj(), p + (w.qAProj() == null ? "q_proj.weight" : "q_b_proj.weight")),
                linear(w.kvAProjWithMqa(), p + "kv_a_proj_with_mqa.weight"), floats(w.kvALayernorm(), p + "kv_a_layernorm.weight"),
                linear(attention.kvBF32(), p + "kv_b_proj.weight (f32)"), linear(w.oProj(), p + "o_proj.weight"));
    }

    private DenseMlp mlp(Mlp mlp, String p) {
        return new DenseMlp(linear(mlp.gateProj(), p + "gate_proj.weight"), linear(mlp.upProj(), p + "up_proj.weight"),
                linear(mlp.downProj(), p + "down_proj.weight"));
    }

    private Moe moe(int layer, MoeLayer moe, String p) {
        float[] bias = moe.router().correctionBias();
        return new Moe(linear(moe.gate(), p + "gate.weight"), bias == null ? null : floats(bias, p + "gate.e_score_correction_bias"),
                moe.router(), own(ExpertWeights.upload(memory, moe, e -> runsHere.test(layer, e), p)),
                moe.sharedExperts() == null ? null : mlp(moe.sharedExperts(), p + "shared_experts."));
    }

    private DeviceLinear linear(Linear w, String name) {
        return own(DeviceLinear.upload(memory, w, name));
    }

    private DeviceArray floats(float[] values, String name) {
        DeviceArray buffer = own(memory.allocate(4L * values.length, name));
        buffer.upload(values);
        return buffer;
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
                // Freeing device memory only fails when the context is already gone, which frees it too.
            }
        }
        owned.clear();
    }
}
