#!/usr/bin/env bash
# Batch inference through Flink SQL against the engine alone, interleaved on one machine:
# N JSON-lines prompts -> ML_PREDICT -> JSON-lines completions (./streamseek sql --batch), then
# ./streamseek bench at the same concurrency, prompt length and generated tokens, for each round.
# Prints both figures per round and the median ratios: the SQL job's generated tokens/s over its
# whole wall time (planning, start-up and model load included) and over the engine's window (first
# request to last completion, the window bench measures).
#
# usage: flink-jobs/bench/sql-vs-bench.sh MODEL_DIR [--prompts 1000] [--concurrency 64] [--max-tokens 64] [--rounds 2] [--work DIR]
set -euo pipefail

die() { echo "sql-vs-bench: $*" >&2; exit 2; }
[[ $# -ge 1 && -d "$1" ]] || die "usage: $0 MODEL_DIR [--prompts N] [--concurrency C] [--max-tokens N] [--rounds R] [--work DIR]"
MODEL=$(cd "$1" && pwd); shift
PROMPTS=1000 CONCURRENCY=64 MAX_TOKENS=64 ROUNDS=2 WORK=${TMPDIR:-/tmp}/sql-vs-bench
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prompts) PROMPTS=$2 ;;
    --concurrency) CONCURRENCY=$2 ;;
    --max-tokens) MAX_TOKENS=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --work) WORK=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$WORK/prompts"

# Support tickets of 20-60 words, the same on every run (awk's generator with a fixed seed).
awk -v n="$PROMPTS" 'BEGIN {
  srand(7); split("the export job failed again after the nightly upgrade and the dashboard shows stale numbers for our region please advise customers are waiting invoice refund login error timeout database replica lag", w, " ")
  for (i = 0; i < n; i++) {
    words = 20 + int(rand() * 41); p = "ticket " i ":"
    for (j = 0; j < words; j++) p = p " " w[1 + int(rand() * length(w))]
    printf "{\"id\":\"p%d\",\"tenant\":\"t%d\",\"prompt\":\"%s\"}\n", i, i % 3, p
  }
}' > "$WORK/prompts/part-0.json"

cat > "$WORK/bench.sql" <<SQL
SET 'table.exec.async-ml-predict.max-concurrent-operations' = '$CONCURRENCY';
CREATE TABLE prompts (id STRING, tenant STRING, prompt STRING)
  WITH ('connector' = 'filesystem', 'path' = 'file://$WORK/prompts', 'format' = 'json');
CREATE TABLE completions (id STRING, finish_reason STRING, prompt_tokens INT, completion_tokens INT, cost DECIMAL(24, 12))
  WITH ('connector' = 'filesystem', 'path' = 'file://$WORK/out', 'format' = 'json');
CREATE MODEL m INPUT (prompt STRING, tenant STRING)
  OUTPUT (finish_reason STRING, prompt_tokens INT, completion_tokens INT, cost DECIMAL(24, 12))
  WITH ('provider' = 'streamseek', 'model.path' = '$MODEL', 'max-tokens' = '$MAX_TOKENS', 'temperature' = '0',
        'engine.max-num-seqs' = '$CONCURRENCY');
INSERT INTO completions SELECT id, finish_reason, prompt_tokens, completion_tokens, cost
  FROM ML_PREDICT(TABLE prompts, MODEL m, DESCRIPTOR(prompt, tenant));
SQL

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
ratios_wall=() ratios_engine=() prompt_len=""
for round in $(seq 1 "$ROUNDS"); do
  rm -rf "$WORK/out"
  "$ROOT/streamseek" sql --file "$WORK/bench.sql" --batch > "$WORK/sql-$round.log" 2>&1 || { cat "$WORK/sql-$round.log" >&2; die "sql failed"; }
  wall=$(sed -n 's/^sql: 1 job finished in \([0-9.]*\) s$/\1/p' "$WORK/sql-$round.log")
  engine=$(sed -n 's/^sql: .* served .*(\([0-9.]*\) generated tokens\/s)$/\1/p' "$WORK/sql-$round.log" | tail -1)
  tokens=$(find "$WORK/out" -type f ! -name '.*' -exec cat {} + | grep -o '"completion_tokens":[0-9]*' | awk -F: '{ s += $2 } END { print s }')
  if [[ -z "$prompt_len" ]]; then
    prompt_len=$(find "$WORK/out" -type f ! -name '.*' -exec cat {} + | grep -o '"prompt_tokens":[0-9]*' | awk -F: '{ s += $2 } END { printf "%d", s / NR + 0.5 }')
  fi
  sql_wall=$(awk -v t="$tokens" -v s="$wall" 'BEGIN { printf "%.1f", t / s }')
  "$ROOT/streamseek" bench --model "$MODEL" --concurrency "$CONCURRENCY" --prompt-len "$prompt_len" --max-tokens "$MAX_TOKENS" \
    --requests "$PROMPTS" --no-invariance-cost > "$WORK/bench-$round.log" 2>&1 || { cat "$WORK/bench-$round.log" >&2; die "bench failed"; }
  bench=$(tr '\r' '\n' < "$WORK/bench-$round.log" | awk -v c="$CONCURRENCY" '$1 == c && $2 ~ /^[0-9.]+$/ { print $2 }' | tail -1)
  ratios_wall+=("$(awk -v a="$sql_wall" -v b="$bench" 'BEGIN { printf "%.3f", a / b }')")
  ratios_engine+=("$(awk -v a="$engine" -v b="$bench" 'BEGIN { printf "%.3f", a / b }')")
  printf 'round %d: sql --batch %s generated tokens in %s s = %s tokens/s (engine window %s tokens/s); bench %s tokens/s (prompt-len %s)\n' \
    "$round" "$tokens" "$wall" "$sql_wall" "$engine" "$bench" "$prompt_len"
done
printf 'median sql/bench: %s over the whole job, %s over the engine window (%d rounds, %d prompts, concurrency %d, max-tokens %d)\n' \
  "$(printf '%s\n' "${ratios_wall[@]}" | median)" "$(printf '%s\n' "${ratios_engine[@]}" | median)" "$ROUNDS" "$PROMPTS" "$CONCURRENCY" "$MAX_TOKENS"
