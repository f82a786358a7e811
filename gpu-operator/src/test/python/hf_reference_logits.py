#!/usr/bin/env python3
"""Logits of a checkpoint from Hugging Face transformers' own DeepSeek implementation.

The independent implementation our golden test files come from:

    python3 hf_reference_logits.py --model DIR --prompt-ids 1,2,3 --out logits.npy [--greedy N]

Writes float32 logits [prompt_length, vocab_size] of one forward pass over the prompt (and, with
--greedy N, prints the N greedy continuation ids). Needs torch, transformers (>= 5 for DeepSeek-V3)
and safetensors; the Java tests only read the files it wrote.
"""
import argparse
import json
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModelForCausalLM


def dequantized_fp8_model(path, config, **load_kwargs):
    """DeepSeek-V3's weight_dequant: each FP8 weight times the scale of its 128x128 block, stored in
    bf16 (the official code's default dtype), then compared in f32 arithmetic like every checkpoint.

    The dequantised checkpoint is written to a temporary directory and loaded from there, so that
    transformers applies its own checkpoint conversions (e.g. fusing experts) as for any other.
    """
    state = load_file(f"{path}/model.safetensors")
    weights = {}
    for name, tensor in state.items():
        if name.endswith("_scale_inv"):
            continue
        if tensor.dtype == torch.float8_e4m3fn:
            scale = state[name + "_scale_inv"]
            rows, cols = tensor.shape
            blocks = scale.repeat_interleave(128, 0)[:rows].repeat_interleave(128, 1)[:, :cols]
            weights[name] = (tensor.to(torch.float32) * blocks).to(torch.bfloat16).to(torch.float32)
        else:
            weights[name] = tensor.to(torch.float32)
    with open(f"{path}/config.json") as f:
        config_json = json.load(f)
    del config_json["quantization_config"]
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/config.json", "w") as f:
            json.dump(config_json, f)
        save_file(weights, f"{tmp}/model.safetensors")
        return AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32, attn_implementation="eager", **load_kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt-ids", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--greedy", type=int, default=0)
    args = parser.parse_args()

    config = AutoConfig.from_pretrained(args.model)
    if getattr(config, "quantization_config", None):
        model = dequantized_fp8_model(args.model, config)
    else:
        # bf16 weights widen to f32 exactly, so every checkpoint is compared in f32 arithmetic.
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    ids = torch.tensor([[int(t) for t in args.prompt_ids.split(",")]])
    with torch.no_grad():
        logits = model(ids).logits[0].float().numpy()
    np.save(args.out, logits.astype(np.float32))
    result = {"model_type": config.model_type, "shape": list(logits.shape)}
    if args.greedy:
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=args.greedy, do_sample=False)
        result["greedy"] = out[0, ids.shape[1]:].tolist()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
