#!/usr/bin/env bash
# Convergence vs averaging frequency (issue 5): the baby GPT in Spark local[2] (2 workers x batch 6,
# the same 1.536 M training tokens) averaging every 1, 5, 10 (the default) and 20 steps; one table
# row per frequency (full validation loss, throughput, wall).
#   bench/averaging.sh [CORPUS] [FREQUENCIES...]      e.g. bench/averaging.sh "" 5 20
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${1:-}"
[ -n "$corpus" ] || corpus="$root/../shared/data/tinyshakespeare/input.txt"
shift || true
freqs=("$@")
[ ${#freqs[@]} -gt 0 ] || freqs=(1 5 10 20)
[ -f "$corpus" ] || { echo "bench: corpus $corpus not found" >&2; exit 2; }
[ -f "$root/job/target/classpath.txt" ] || mvn -B -q -ntp -f "$root/pom.xml" -DskipTests package

mkdir -p "$root/runs"
echo "| averaging every | mode | layout | throughput | step time | MFU | full val loss | wall | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "${freqs[@]}"; do
  out="$root/runs/bench-avg$f"
  printf '| %s steps ' "$f"
  "$root/submit/sparkformer" --master 'local[2]' bench --mode spark --config "$root/conf/gpt-baby.conf" \
    --corpus "$corpus" --out "$out" --set spark.workers=2 --set train.batchSize=6 \
    --set spark.averagingFrequency="$f" 2>"$out.log"
done
