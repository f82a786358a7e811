#!/usr/bin/env python3
"""Rewrites a split-layout deepseek2 GGUF (attn_k_b + attn_v_b) into the older layout that published
files of DeepSeek-V2 and V2.5 still have: one attn_kv_b per layer (Hugging Face's kv_b_proj as it is),
head_count_kv = head_count, key_length = qk_nope + qk_rope, value_length = v_head_dim, no _mla keys.
kv_b is stored as Q8_0 when its rows allow, else f16; every other tensor is copied byte for byte.

    python3 gguf_kv_b_layout.py SPLIT.gguf OUT.gguf
"""
import sys

import numpy as np
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType, GGUFValueType
from gguf.quants import dequantize, quantize


def main():
    src, dst = sys.argv[1], sys.argv[2]
    r = GGUFReader(src)
    a = "deepseek2."
    val = lambda k: r.fields[k].contents()
    heads, rope = val(a + "attention.head_count"), val(a + "rope.dimension_count")
    nope = val(a + "attention.key_length_mla") - rope
    v_head = val(a + "attention.value_length_mla")
    lora = val(a + "attention.kv_lora_rank")
    w = GGUFWriter(dst, "deepseek2")
    replaced = {a + "attention.head_count_kv": heads, a + "attention.key_length": nope + rope, a + "attention.value_length": v_head}
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture" or key.endswith("_mla"):
            continue
        if key in replaced:
            w.add_uint32(key, replaced[key])
            continue
        vtype = f.types[0]
        if vtype == GGUFValueType.ARRAY:
            w.add_array(key, f.contents())
        else:
            w.add_key_value(key, f.contents(), vtype)
    tensors = {t.name: t for t in r.tensors}
    for t in r.tensors:
        if t.name.endswith("attn_v_b.weight"):
            continue
        if t.name.endswith("attn_k_b.weight"):
            v = tensors[t.name.replace("attn_k_b", "attn_v_b")]
            k_b = dequantize(t.data, t.tensor_type).reshape(heads, lora, nope)
            v_b = dequantize(v.data, v.tensor_type).reshape(heads, v_head, lora)
            kv_b = np.concatenate([k_b.transpose(0, 2, 1), v_b], axis=1).reshape(heads * (nope + v_head), lora).astype(np.float32)
            qtype = GGMLQuantizationType.Q8_0 if lora % 32 == 0 else GGMLQuantizationType.F16
            data = quantize(kv_b, qtype) if qtype == GGMLQuantizationType.Q8_0 else kv_b.astype(np.float16)
            w.add_tensor(t.name.replace("attn_k_b", "attn_kv_b"), data, raw_shape=kv_b.shape if qtype != GGMLQuantizationType.Q8_0 else None,
                         raw_dtype=qtype)
            continue
        shape = [int(d) for d in reversed(t.shape.tolist())]
        w.add_tensor(t.name, t.data, raw_shape=shape if t.tensor_type in (GGMLQuantizationType.F32, GGMLQuantizationType.F16,
                                                                          GGMLQuantizationType.BF16) else None,
                     raw_dtype=t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
