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

import numpy as np
import torch
from transformers import AutoConfig, AutoModelForCausalLM


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt-ids", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--greedy", type=int, default=0)
    args = parser.parse_args()

    config = AutoConfig.from_pretrained(args.model)
    # FP8 checkpoints are dequantised to f32 on load (weight * weight_scale_inv per 128x128 block)
    # by the reference path itself, so every checkpoint is compared in f32 arithmetic.
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation="eager")
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
