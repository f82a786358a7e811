#!/usr/bin/env bash
# Regenerates src/test/resources/golden/: logits and greedy tokens of the tiny presets, computed by
# Hugging Face transformers' own DeepSeek implementation (an independent implementation of the
# architecture). Needs torch, transformers >= 5, safetensors, numpy. The Java tests only read the
# results; run this after changing RandomCheckpoint, the presets or the prompt.
set -euo pipefail
cd "$(dirname "$0")/../../.."            # gpu-operator/
ROOT=$(cd .. && pwd)
OUT=src/test/resources/golden
IDS=3,17,99,250,7,42,511,0,1,300,12,450
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$ROOT/streamseek" make-model --preset tiny --dtype f32 --seed 7 --out "$TMP/tiny-f32" >/dev/null
"$ROOT/streamseek" make-model --preset tiny --dtype bf16 --seed 7 --out "$TMP/tiny-bf16" >/dev/null
"$ROOT/streamseek" make-model --preset tiny --fp8 --seed 7 --out "$TMP/tiny-fp8" >/dev/null
"$ROOT/streamseek" make-model --preset tiny-v2 --dtype f32 --seed 7 --out "$TMP/tiny-v2-f32" >/dev/null
for name in tiny-f32 tiny-bf16 tiny-fp8 tiny-v2-f32; do
  python3 src/test/python/hf_reference_logits.py --model "$TMP/$name" --prompt-ids "$IDS" \
    --out "$OUT/$name.npy" --greedy 8 >"$TMP/$name.json"
done
python3 - "$TMP" "$OUT" "$IDS" <<'PY'
import json, sys
tmp, out, ids = sys.argv[1:]
names = ["tiny-f32", "tiny-bf16", "tiny-fp8", "tiny-v2-f32"]
result = {"prompt_ids": [int(i) for i in ids.split(",")], "seed": 7,
          "generator": "gpu-operator/src/test/python/make_golden.sh", "checkpoints": {}}
for name in names:
    with open(f"{tmp}/{name}.json") as f:
        ref = json.load(f)
    result["checkpoints"][name] = {"greedy": ref["greedy"], "model_type": ref["model_type"]}
with open(f"{out}/golden.json", "w") as f:
    json.dump(result, f, indent=2)
PY
echo "golden files written to $OUT"
