package io.streamseek.gpu.loader.gguf;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face tensor names of a DeepSeek-V2/V3/V3.2 checkpoint and their GGUF ({@code deepseek2},
 * {@code deepseek32}) names, as one table read both ways: by the loader (HF name asked → GGUF tensor) and by
 * {@code quantize} (HF tensor → GGUF name). Routed experts are stacked in GGUF: the
 * {@code n_routed_experts} HF tensors {@code mlp.experts.E.gate_proj.weight} are the slices
 * {@code E} of one {@code ffn_gate_exps.weight} {@code [n_expert, rows, cols]}.
 */
public final class TensorNames {

    /** A GGUF tensor, and the expert slice of a stacked one ({@code -1}: the whole tensor). */
    public record Mapped(String ggufName, int expert) {
    }

    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    /** Per-layer suffixes after {@code model.layers.N.} → after {@code blk.N.}. */
    private static final List<String[]> LAYER = List.of(
            new String[] {"input_layernorm.weight", "attn_norm.weight"},
            new String[] {"post_attention_layernorm.weight", "ffn_norm.weight"},
            new String[] {"self_attn.q_proj.weight", "attn_q.weight"},
            new String[] {"self_attn.q_a_proj.weight", "attn_q_a.weight"},
            new String[] {"self_attn.q_a_layernorm.weight", "attn_q_a_norm.weight"},
            new String[] {"self_attn.q_b_proj.weight", "attn_q_b.weight"},
            new String[] {"self_attn.kv_a_proj_with_mqa.weight", "attn_kv_a_mqa.weight"},
            new String[] {"self_attn.kv_a_layernorm.weight", "attn_kv_a_norm.weight"},
            new String[] {"self_attn.kv_b_proj.weight", "attn_kv_b.weight"},
            new String[] {"self_attn.o_proj.weight", "attn_output.weight"},
            new String[] {"self_attn.indexer.wq_b.weight", "indexer.attn_q_b.weight"},
            new String[] {"self_attn.indexer.wk.weight", "indexer.attn_k.weight"},
            new String[] {"self_attn.indexer.k_norm.weight", "indexer.k_norm.weight"},
            new String[] {"self_attn.indexer.k_norm.bias", "indexer.k_norm.bias"},
            new String[] {"self_attn.indexer.weights_proj.weight", "indexer.proj.weight"},
            new String[] {"mlp.gate_proj.weight", "ffn_gate.weight"},
            new String[] {"mlp.up_proj.weight", "ffn_up.weight"},
            new String[] {"mlp.down_proj.weight", "ffn_down.weight"},
            new String[] {"mlp.gate.weight", "ffn_gate_inp.weight"},
            new String[] {"mlp.gate.e_score_correction_bias", "exp_probs_b.bias"},
            new String[] {"mlp.shared_experts.gate_proj.weight", "ffn_gate_shexp.weight"},
            new String[] {"mlp.shared_experts.up_proj.weight", "ffn_up_shexp.weight"},
            new String[] {"mlp.shared_experts.down_proj.weight", "ffn_down_shexp.weight"});

    private static final Pattern LAYER_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern EXPERT = Pattern.compile("mlp\\.experts\\.(\\d+)\\.(gate|up|down)_proj\\.weight");

    private TensorNames() {
    }

    /** The GGUF tensor holding an HF tensor, or null when the table has no entry for it. */
    public static Mapped toGguf(String hfName) {
        String global = GLOBAL.get(hfName);
        if (global != null) {
            return new Mapped(global, -1);
        }
        Matcher layer = LAYER_NAME.matcher(hfName);
        if (!layer.matches()) {
            return null;
        }
        String block = "blk." + layer.group(1) + ".";
        String suffix = layer.group(2);
        Matcher expert = EXPERT.matcher(suffix);
        if (expert.matches()) {
            return new Mapped(block + "ffn_" + expert.group(2) + "_exps.weight", Integer.parseInt(expert.group(1)));
        }
        for (String[] entry : LAYER) {
            if (entry[0].equals(suffix)) {
                return new Mapped(block + entry[1], -1);
            }
        }
        return null;
    }

    /** The split MLA layout's per-head key half {@code [n_head, kv_lora_rank, qk_nope_head_dim]} of a layer. */
    public static String kB(int layer) {
        return "blk." + layer + ".attn_k_b.weight";
    }

    /** The split MLA layout's per-head value half {@code [n_head, v_head_dim, kv_lora_rank]} of a layer. */
    public static String vB(int layer) {
        return "blk." + layer + ".attn_v_b.weight";
    }

    /** The layer index of an HF per-layer name, or -1. */
    public static int layerOf(String hfName) {
        Matcher layer = LAYER_NAME.matcher(hfName);
        return layer.matches() ? Integer.parseInt(layer.group(1)) : -1;
    }
}
