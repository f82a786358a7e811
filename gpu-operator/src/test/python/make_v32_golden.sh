#!/usr/bin/env bash
# Regenerates src/test/resources/golden/v32*: logits and greedy tokens of the tiny-v32 preset
# (DeepSeek-V3.2, DeepSeek Sparse Attention with index_topk 8) computed by Hugging Face
# transformers' own DeepseekV32ForCausalLM, on a prompt shorter than index_topk (dense until the
# generation passes it) and one five times longer, with the figures that show the test would catch
# a dense, a wrongly roped or a wrongly sized selection (see hf_v32_reference.py). Needs torch,
# transformers >= 5.18, safetensors, numpy; the Java tests only read the results.
set -euo pipefail
cd "$(dirname "$0")/../../.."            # gpu-operator/
ROOT=$(cd .. && pwd)
OUT=src/test/resources/golden
SHORT=3,17,99,250,7,42
LONG=$(python3 -c "import random; r = random.Random(6); print(','.join(str(r.randrange(512)) for _ in range(40)))")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$ROOT/streamseek" make-model --preset tiny-v32 --dtype f32 --seed 7 --out "$TMP/tiny-v32-f32" >/dev/null
"$ROOT/streamseek" make-model --preset tiny-v32 --dtype bf16 --seed 7 --out "$TMP/tiny-v32-bf16" >/dev/null
"$ROOT/streamseek" make-model --preset tiny-v32 --fp8 --seed 7 --out "$TMP/tiny-v32-fp8" >/dev/null
run() { # checkpoint, prompt name, ids
  python3 src/test/python/hf_v32_reference.py --model "$TMP/$1" --prompt-ids "$3" --out "$OUT/$1-$2.npy" --greedy 8 >"$TMP/$1-$2.json"
}
run tiny-v32-f32 short "$SHORT"
run tiny-v32-f32 long "$LONG"
run tiny-v32-bf16 long "$LONG"
run tiny-v32-fp8 long "$LONG"
python3 - "$TMP" "$OUT" "$SHORT" "$LONG" <<'PY'
import json, sys
tmp, out, short, long_ = sys.argv[1:]
ints = lambda s: [int(i) for i in s.split(",")]
result = {"prompts": {"short": ints(short), "long": ints(long_)}, "seed": 7,
          "generator": "gpu-operator/src/test/python/make_v32_golden.sh", "runs": {}}
for name in ["tiny-v32-f32-short", "tiny-v32-f32-long", "tiny-v32-bf16-long", "tiny-v32-fp8-long"]:
    with open(f"{tmp}/{name}.json") as f:
        result["runs"][name] = json.load(f)
with open(f"{out}/v32.json", "w") as f:
    json.dump(result, f, indent=2)
PY
echo "golden files written to $OUT"
