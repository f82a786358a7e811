#!/usr/bin/env python3
"""A deepseek2 GGUF file as a Hugging Face checkpoint in f32, every tensor dequantized by the `gguf`
package (llama.cpp's own Python reader and dequantizers): the f32 reference that the engine's logits
on the quantized file are compared with (see make_gguf_golden.sh).

    python3 gguf_to_hf.py FILE.gguf OUT_DIR

The config.json is derived from the GGUF metadata here, independently of the Java loader; both MLA
layouts are read (attn_kv_b, or attn_k_b + attn_v_b put back together into kv_b_proj).
"""
import json
import re
import sys

import numpy as np
import torch
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.torch import save_file

GLOBAL = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
          "output.weight": "lm_head.weight"}
LAYER = {"attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
         "attn_q.weight": "self_attn.q_proj.weight", "attn_q_a.weight": "self_attn.q_a_proj.weight",
         "attn_q_a_norm.weight": "self_attn.q_a_layernorm.weight", "attn_q_b.weight": "self_attn.q_b_proj.weight",
         "attn_kv_a_mqa.weight": "self_attn.kv_a_proj_with_mqa.weight", "attn_kv_a_norm.weight": "self_attn.kv_a_layernorm.weight",
         "attn_kv_b.weight": "self_attn.kv_b_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
         "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight",
         "ffn_gate_inp.weight": "mlp.gate.weight", "exp_probs_b.bias": "mlp.gate.e_score_correction_bias",
         "ffn_gate_shexp.weight": "mlp.shared_experts.gate_proj.weight", "ffn_up_shexp.weight": "mlp.shared_experts.up_proj.weight",
         "ffn_down_shexp.weight": "mlp.shared_experts.down_proj.weight"}


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    value = f.contents()
    return value


def main():
    path, out = sys.argv[1], sys.argv[2]
    reader = GGUFReader(path)
    a = "deepseek2."
    rope = field(reader, a + "rope.dimension_count")
    if field(reader, a + "attention.key_length_mla") is not None:
        nope = field(reader, a + "attention.key_length_mla") - rope
        v_head = field(reader, a + "attention.value_length_mla")
    else:
        nope = field(reader, a + "attention.key_length") - rope
        v_head = field(reader, a + "attention.value_length")
    heads = field(reader, a + "attention.head_count")
    lora = field(reader, a + "attention.kv_lora_rank")
    names = [t.name for t in reader.tensors]
    bias = any(n.endswith("exp_probs_b.bias") for n in names)
    groups = field(reader, a + "expert_group_count", 1)
    gating = field(reader, a + "expert_gating_func", 1)
    config = {
        "architectures": ["DeepseekV3ForCausalLM" if bias else "DeepseekV2ForCausalLM"],
        "model_type": "deepseek_v3" if bias else "deepseek_v2",
        "hidden_size": field(reader, a + "embedding_length"), "num_hidden_layers": field(reader, a + "block_count"),
        "num_attention_heads": heads, "num_key_value_heads": heads,
        "vocab_size": field(reader, a + "vocab_size", len(field(reader, "tokenizer.ggml.tokens", []))),
        "rms_norm_eps": field(reader, a + "attention.layer_norm_rms_epsilon"),
        "max_position_embeddings": field(reader, a + "context_length"),
        "tie_word_embeddings": "output.weight" not in names,
        "q_lora_rank": field(reader, a + "attention.q_lora_rank"), "kv_lora_rank": lora,
        "qk_nope_head_dim": nope, "qk_rope_head_dim": rope, "v_head_dim": v_head, "head_dim": rope,
        "intermediate_size": field(reader, a + "feed_forward_length"),
        "moe_intermediate_size": field(reader, a + "expert_feed_forward_length"),
        "n_routed_experts": field(reader, a + "expert_count"), "n_shared_experts": field(reader, a + "expert_shared_count"),
        "num_experts_per_tok": field(reader, a + "expert_used_count"),
        "first_k_dense_replace": field(reader, a + "leading_dense_block_count"), "moe_layer_freq": 1,
        "topk_method": "noaux_tc" if bias else ("group_limited_greedy" if groups > 1 else "greedy"),
        "n_group": groups, "topk_group": field(reader, a + "expert_group_used_count", 1),
        "scoring_func": "sigmoid" if gating == 2 else "softmax",
        "norm_topk_prob": bool(field(reader, a + "expert_weights_norm", False)),
        "routed_scaling_factor": field(reader, a + "expert_weights_scale", 1.0),
        "rope_theta": field(reader, a + "rope.freq_base", 10000.0), "hidden_act": "silu",
        "attention_bias": False, "attention_dropout": 0.0, "torch_dtype": "float32",
        "bos_token_id": field(reader, "tokenizer.ggml.bos_token_id"), "eos_token_id": field(reader, "tokenizer.ggml.eos_token_id"),
    }
    if field(reader, a + "rope.scaling.type") == "yarn":
        mscale = field(reader, a + "rope.scaling.yarn_log_multiplier", 0.0) / 0.1
        config["rope_scaling"] = {"type": "yarn", "rope_type": "yarn", "factor": field(reader, a + "rope.scaling.factor"),
                                  "original_max_position_embeddings": field(reader, a + "rope.scaling.original_context_length"),
                                  "beta_fast": field(reader, a + "rope.scaling.yarn_beta_fast", 32.0),
                                  "beta_slow": field(reader, a + "rope.scaling.yarn_beta_slow", 1.0),
                                  "mscale": mscale, "mscale_all_dim": mscale}
    weights = {}
    split = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type).astype(np.float32)
        shape = [int(d) for d in reversed(t.shape.tolist())]   # GGUF dims are innermost first
        values = values.reshape(shape)
        if t.name in GLOBAL:
            weights[GLOBAL[t.name]] = torch.from_numpy(values.copy())
            continue
        m = re.match(r"blk\.(\d+)\.(.+)", t.name)
        layer, suffix = int(m.group(1)), m.group(2)
        p = f"model.layers.{layer}."
        e = re.match(r"ffn_(gate|up|down)_exps\.weight", suffix)
        if e:
            for expert in range(values.shape[0]):
                weights[f"{p}mlp.experts.{expert}.{e.group(1)}_proj.weight"] = torch.from_numpy(values[expert].copy())
        elif suffix in ("attn_k_b.weight", "attn_v_b.weight"):
            split.setdefault(layer, {})[suffix] = values
        else:
            weights[p + LAYER[suffix]] = torch.from_numpy(values.copy())
    for layer, parts in split.items():
        k_b = parts["attn_k_b.weight"]                 # [heads, lora, nope]: W_k[h] transposed
        v_b = parts["attn_v_b.weight"]                 # [heads, v, lora]
        kv_b = np.concatenate([k_b.transpose(0, 2, 1), v_b], axis=1).reshape(heads * (nope + v_head), lora)
        weights[f"model.layers.{layer}.self_attn.kv_b_proj.weight"] = torch.from_numpy(kv_b.copy())
    import os
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/config.json", "w") as f:
        json.dump(config, f, indent=2)
    save_file(weights, f"{out}/model.safetensors")


if __name__ == "__main__":
    main()
