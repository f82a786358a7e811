#!/usr/bin/env bash
# Regenerates src/test/resources/golden/gguf/: tiny deepseek2 GGUF checkpoints in the layouts and
# types published files have, and the logits Hugging Face transformers computes on their weights
# dequantized by the `gguf` package (gguf_to_hf.py): the reference GgufReferenceTest holds the
# engine to. Needs llama.cpp's llama-quantize (for Q4_K_M; the folder of its binaries is the
# argument), torch, transformers >= 5, safetensors, numpy and gguf. The Java tests only read the results.
#
#   gpu-operator/src/test/python/make_gguf_golden.sh LLAMA_BIN_DIR
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 LLAMA_BIN_DIR" >&2; exit 2; }
BIN=$(cd "$1" && pwd)
cd "$(dirname "$0")/../../.."            # gpu-operator/
ROOT=$(cd .. && pwd)
OUT=src/test/resources/golden/gguf
IDS=3,17,99,250,7,42,511,0,1,300,12,450
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for preset in tiny tiny-v2 tiny-k; do
  "$ROOT/streamseek" make-model --preset $preset --dtype f32 --seed 7 --out "$TMP/$preset" >/dev/null
done
"$ROOT/streamseek" quantize --model "$TMP/tiny" --type q8_0 --out "$OUT/tiny-q8_0.gguf" >/dev/null
"$ROOT/streamseek" quantize --model "$TMP/tiny-v2" --type q8_0 --out "$OUT/tiny-v2-q8_0.gguf" >/dev/null
python3 src/test/python/gguf_kv_b_layout.py "$OUT/tiny-v2-q8_0.gguf" "$OUT/tiny-v2-kv_b-q8_0.gguf"
"$ROOT/streamseek" quantize --model "$TMP/tiny-k" --type bf16 --out "$TMP/tiny-k-bf16.gguf" >/dev/null
"$BIN/llama-quantize" "$TMP/tiny-k-bf16.gguf" "$OUT/tiny-k-q4_k_m.gguf" Q4_K_M >"$TMP/quantize.log" 2>&1 \
  || { cat "$TMP/quantize.log" >&2; exit 1; }
"$ROOT/streamseek" quantize --model "$TMP/tiny-k" --type q4_0 --out "$OUT/tiny-k-q4_0.gguf" >/dev/null
NAMES="tiny-q8_0 tiny-v2-q8_0 tiny-v2-kv_b-q8_0 tiny-k-q4_k_m tiny-k-q4_0"
for name in $NAMES; do
  python3 src/test/python/gguf_to_hf.py "$OUT/$name.gguf" "$TMP/$name-hf"
  python3 src/test/python/hf_reference_logits.py --model "$TMP/$name-hf" --prompt-ids "$IDS" \
    --out "$OUT/$name.npy" --greedy 8 >"$TMP/$name.json"
done
python3 - "$TMP" "$OUT" "$IDS" "$NAMES" <<'PY'
import json, sys
from gguf import GGUFReader
tmp, out, ids, names = sys.argv[1:]
result = {"prompt_ids": [int(i) for i in ids.split(",")], "seed": 7,
          "generator": "gpu-operator/src/test/python/make_gguf_golden.sh", "files": {}}
for name in names.split():
    with open(f"{tmp}/{name}.json") as f:
        ref = json.load(f)
    types = sorted({t.tensor_type.name for t in GGUFReader(f"{out}/{name}.gguf").tensors})
    result["files"][name] = {"greedy": ref["greedy"], "model_type": ref["model_type"], "tensor_types": types}
with open(f"{out}/golden.json", "w") as f:
    json.dump(result, f, indent=2)
PY
ls -la "$OUT"
echo "golden GGUF files written to $OUT"
