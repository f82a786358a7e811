#!/usr/bin/env python3
"""DeepSeek-V3.2 (DeepSeek Sparse Attention) reference logits from Hugging Face transformers' own
DeepseekV32ForCausalLM, the independent implementation the V3.2 golden files come from:

    python3 hf_v32_reference.py --model DIR --prompt-ids 1,2,3 --out logits.npy [--greedy N]

Writes float32 logits [prompt_length, vocab_size] of one forward pass and prints JSON with:
  - greedy: N greedy continuation ids, by model.generate (its indexer key cache) and checked
    against a recomputation of the whole sequence at every step;
  - sensitivity: how far the logits move, relative to the largest |logit|, when the indexer is
    computed wrongly in each way the Java test must catch: attention left dense, the indexer's
    rope interleaved (MLA's layout) instead of in halves, one token fewer selected;
  - min_topk_gap: the smallest gap, over every query and layer (prompt and generation), between
    the index_topk-th best index score and the next: a tie there would make the selection depend
    on torch's tie order, so the script refuses to write a golden file with one.

Needs torch, transformers >= 5.18 (deepseek_v32) and numpy; the Java tests only read its output.
"""
import argparse
import json

import numpy as np
import torch
import transformers.models.deepseek_v32.modeling_deepseek_v32 as v32
from transformers import AutoConfig, AutoModelForCausalLM

from hf_reference_logits import dequantized_fp8_model

TOPK_GAPS = []


def recording_indexer_forward(original):
    """The indexer's forward, also recording each query's gap at the top-k boundary."""

    def forward(self, hidden_states, q_resid, position_embeddings, attention_mask, position_ids, past_key_values=None):
        indices = original(self, hidden_states, q_resid, position_embeddings, attention_mask, position_ids, past_key_values)
        if past_key_values is not None:
            return indices  # generate's steps: the full recomputations below record every query
        # Recompute the scores the way the original did, to measure the boundary gap.
        batch, seq, _ = hidden_states.shape
        cos, sin = position_embeddings
        q = self.wq_b(q_resid).view(batch, seq, self.n_heads, self.head_dim)
        q_rot, q_pass = torch.split(q, [self.qk_rope_head_dim, self.head_dim - self.qk_rope_head_dim], dim=-1)
        k = self.k_norm(self.wk(hidden_states)).unsqueeze(2)
        k_rot, k_pass = torch.split(k, [self.qk_rope_head_dim, self.head_dim - self.qk_rope_head_dim], dim=-1)
        q_rot, k_rot = v32.apply_rotary_pos_emb(q_rot, k_rot, cos, sin, unsqueeze_dim=2)
        q = torch.cat([q_rot, q_pass], dim=-1)
        k = torch.cat([k_rot, k_pass], dim=-1).squeeze(2)
        scores = torch.relu(torch.matmul(q.float(), k.transpose(-1, -2).float().unsqueeze(1)) * self.softmax_scale)
        weights = self.weights_proj(hidden_states).float() * (self.n_heads ** -0.5)
        index = torch.matmul(weights.unsqueeze(-2), scores).squeeze(-2)
        for b in range(batch):
            for r in range(seq):
                valid = index[b, r, :r + 1]  # causal: without a cache, query r sees keys 0..r
                if valid.numel() <= self.index_topk:
                    continue
                top = torch.sort(valid, descending=True).values
                TOPK_GAPS.append(float(top[self.index_topk - 1] - top[self.index_topk]))
        return indices

    return forward


def interleaved_rope(q, k, cos, sin, unsqueeze_dim=1):
    """MLA's interleaved pairs: the wrong layout for the indexer."""
    return v32.apply_rotary_pos_emb_interleave(q, k, cos, sin, unsqueeze_dim=unsqueeze_dim)


def logits_of(model, ids):
    with torch.no_grad():
        return model(ids, use_cache=False).logits[0].float()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt-ids", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--greedy", type=int, default=0)
    args = parser.parse_args()

    if getattr(AutoConfig.from_pretrained(args.model), "quantization_config", None):
        model, info = dequantized_fp8_model(args.model, None, output_loading_info=True)
    else:
        model, info = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager",
                                                           output_loading_info=True)
    missing = [k for k in info["missing_keys"]]
    if missing or info["unexpected_keys"] or info["mismatched_keys"]:
        raise SystemExit(f"checkpoint and model disagree: missing {missing}, unexpected {info['unexpected_keys']}, "
                         f"mismatched {info['mismatched_keys']}")
    model.eval()
    config = model.config
    ids = torch.tensor([[int(t) for t in args.prompt_ids.split(",")]])

    original = v32.DeepseekV32Indexer.forward
    v32.DeepseekV32Indexer.forward = recording_indexer_forward(original)
    logits = logits_of(model, ids)
    result = {"model_type": config.model_type, "shape": list(logits.shape), "index_topk": config.index_topk}
    if args.greedy:
        with torch.no_grad():
            generated = model.generate(ids, max_new_tokens=args.greedy, do_sample=False)[0, ids.shape[1]:].tolist()
        sequence = ids[0].tolist()
        for _ in range(args.greedy):
            sequence.append(int(logits_of(model, torch.tensor([sequence]))[-1].argmax()))
        if sequence[ids.shape[1]:] != generated:
            raise SystemExit(f"generate {generated} and full recomputation {sequence[ids.shape[1]:]} disagree")
        result["greedy"] = generated
    v32.DeepseekV32Indexer.forward = original
    result["min_topk_gap"] = min(TOPK_GAPS) if TOPK_GAPS else None
    result["sparse_queries"] = len(TOPK_GAPS)
    if TOPK_GAPS and min(TOPK_GAPS) < 1e-4:
        raise SystemExit(f"an index score ties at the top-k boundary (gap {min(TOPK_GAPS)}): choose another prompt or seed")

    scale = float(logits.abs().max())

    def moved(other):
        return float((other - logits).abs().max()) / scale

    sensitivity = {}
    layers = [layer.self_attn.indexer for layer in model.model.layers]
    for indexer in layers:
        indexer.index_topk = 1 << 30
    sensitivity["dense"] = moved(logits_of(model, ids))
    for indexer in layers:
        indexer.index_topk = config.index_topk - 1
    sensitivity["topk_minus_one"] = moved(logits_of(model, ids))
    for indexer in layers:
        indexer.index_topk = config.index_topk
    v32.apply_rotary_pos_emb = interleaved_rope
    sensitivity["interleaved_indexer_rope"] = moved(logits_of(model, ids))
    result["sensitivity"] = sensitivity

    np.save(args.out, logits.numpy().astype(np.float32))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
