#!/usr/bin/env bash
# StreamSeek and llama.cpp on the very same GGUF file, in one run, interleaved (this shared machine
# is noisy: each round runs both, in alternating order, and the medians over rounds are compared).
#
# usage: gpu-operator/bench/compare-llama-cpp.sh LLAMA_BIN_DIR MODEL.gguf [options]
#   --rounds N          rounds (default 3)
#   --threads N         threads for both (default: every core, as StreamSeek uses)
#   --prompt-len N      prefill measurement, prompt tokens (default 128)
#   --decode N          batch-1 decode measurement, generated tokens (default 64)
#   --serve-prompt N    serving: prompt tokens per request (default 128)
#   --serve-tokens N    serving: generated tokens per request (default 32)
#   --concurrency LIST  serving: concurrent requests (default 1,8,32)
#   --out DIR           keeps every tool's raw output and results.csv (default: a temporary folder)
#
# Figures: prefill tokens/s (llama-bench pp vs bench-engine prefill), batch-1 decode tokens/s
# (llama-bench tg vs bench-engine decode) — each the mean of 3 repetitions after warm-up on both
# sides (llama-bench: one run, its avg_ts; bench-engine: five, the JIT finishing its compiles, then the
# mean of its "run N" lines, not its best) — and serving as generated tokens per second of wall time
# at each concurrency (llama-batched-bench: npl × ntg / total time, vs bench's tokens/s, which
# counts the same over the level's wall time). LLAMA_BIN_DIR holds llama-bench and
# llama-batched-bench (a CPU build; ../shared/tools/llama.cpp/bin in this project's workspace).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n '5,14p' "$0" >&2; exit 2; }
BIN=$(cd "$1" && pwd)
MODEL=$2
shift 2
ROUNDS=3 THREADS=$(nproc) PP=128 TG=64 SP=128 ST=32 LEVELS=1,8,32 OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2 ;;
    --threads) THREADS=$2 ;;
    --prompt-len) PP=$2 ;;
    --decode) TG=$2 ;;
    --serve-prompt) SP=$2 ;;
    --serve-tokens) ST=$2 ;;
    --concurrency) LEVELS=$2 ;;
    --out) OUT=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[[ -x "$BIN/llama-bench" && -x "$BIN/llama-batched-bench" ]] || { echo "$BIN has no llama-bench / llama-batched-bench" >&2; exit 2; }
[[ -f "$MODEL" ]] || { echo "$MODEL is not a file" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
RESULTS="$OUT/results.csv"
echo "round,engine,metric,value" >"$RESULTS"
export LD_LIBRARY_PATH="$BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
MAX_LEVEL=$(tr ',' '\n' <<<"$LEVELS" | sort -n | tail -1)

llama_round() {
  local r=$1 log="$OUT/llama-$1"
  "$BIN/llama-bench" -m "$MODEL" -t "$THREADS" -p "$PP" -n "$TG" -r 3 -o csv >"$log-bench.csv" 2>"$log-bench.err"
  # CSV columns by name: n_prompt, n_gen, avg_ts.
  awk -F, -v r="$r" 'NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }; next }
    { gsub(/"/, ""); if ($col["n_prompt"] > 0) print r ",llama.cpp,prefill," $col["avg_ts"]; else print r ",llama.cpp,decode," $col["avg_ts"] }' \
    "$log-bench.csv" >>"$RESULTS"
  "$BIN/llama-batched-bench" -m "$MODEL" -t "$THREADS" -c $(( (SP + ST) * MAX_LEVEL + 256 )) -b 2048 -ub 512 \
    -npp "$SP" -ntg "$ST" -npl "$LEVELS" --output-format jsonl >"$log-batched.jsonl" 2>"$log-batched.err"
  # One JSON object per level: generated tokens (pl × tg) over the whole run's time t.
  awk -v r="$r" '/^\{/ {
      pl = $0; sub(/.*"pl": */, "", pl); sub(/[,}].*/, "", pl)
      tg = $0; sub(/.*"tg": */, "", tg); sub(/[,}].*/, "", tg)
      t = $0; sub(/.*"t": */, "", t); sub(/[,}].*/, "", t)
      printf "%s,llama.cpp,serve@%d,%.2f\n", r, pl, pl * tg / t }' "$log-batched.jsonl" >>"$RESULTS"
}

streamseek_round() {
  local r=$1 log="$OUT/streamseek-$1"
  "$ROOT/streamseek" bench-engine --model "$MODEL" --prompt-len "$PP" --decode-tokens "$TG" --runs 3 >"$log-engine.txt" 2>"$log-engine.err"
  # "  run N: prefill P tokens/s, decode D tokens/s": the mean over runs, as llama-bench's avg_ts.
  awk -v r="$r" '/^  run [0-9]+:/ { p += $4; d += $7; n++ }
    END { printf "%s,streamseek,prefill,%.1f\n%s,streamseek,decode,%.2f\n", r, p / n, r, d / n }' "$log-engine.txt" >>"$RESULTS"
  "$ROOT/streamseek" bench --model "$MODEL" --concurrency "$LEVELS" --prompt-len "$SP" --max-tokens "$ST" \
    --no-invariance-cost --out "$log-bench" >"$log-bench.txt" 2>"$log-bench.err"
  awk -F, -v r="$r" 'NR > 1 { print r ",streamseek,serve@" $1 "," $2 }' "$log-bench/bench.csv" >>"$RESULTS"
}

echo "compare: $MODEL, $THREADS threads, $ROUNDS rounds; raw output in $OUT" >&2
for (( r = 1; r <= ROUNDS; r++ )); do
  echo "  round $r/$ROUNDS ..." >&2
  if (( r % 2 )); then streamseek_round "$r"; llama_round "$r"; else llama_round "$r"; streamseek_round "$r"; fi
done

# Medians per engine and metric, then StreamSeek / llama.cpp.
awk -F, 'NR > 1 { v[$3 "|" $2] = v[$3 "|" $2] " " $4; m[$3] = 1 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "%-12s %14s %14s %8s\n", "metric", "streamseek", "llama.cpp", "ratio"
    split("prefill decode", order, " ")
    for (k in m) if (k !~ /^(prefill|decode)$/) extra[++ne] = k
    for (i = 1; i <= ne; i++) for (j = i + 1; j <= ne; j++) {
      a = extra[i]; b = extra[j]; sub(/serve@/, "", a); sub(/serve@/, "", b)
      if (b + 0 < a + 0) { t = extra[i]; extra[i] = extra[j]; extra[j] = t } }
    for (i = 1; i <= 2; i++) names[i] = order[i]
    for (i = 1; i <= ne; i++) names[2 + i] = extra[i]
    for (i = 1; i <= 2 + ne; i++) {
      k = names[i]; s = median(v[k "|streamseek"]); l = median(v[k "|llama.cpp"])
      printf "%-12s %14.1f %14.1f %7.2fx\n", k, s, l, (l > 0 ? s / l : 0)
    }
  }' "$RESULTS"
echo "(tokens/s; medians of $ROUNDS rounds; every figure in $RESULTS)"
