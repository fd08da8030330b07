#!/usr/bin/env bash
# Performance benchmark of issue 5: nanoGPT's CPU baby GPT (conf/gpt-baby.conf, 2000 steps x 12 x 64
# tokens) on Tiny Shakespeare, single-JVM and Spark local[2]; prints one table row per mode.
#   bench/baby-gpt.sh [CORPUS] [extra --set overrides...]
# Each mode runs in its own JVM so peak RSS is per mode. Quiet machine recommended.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${1:-$root/../shared/data/tinyshakespeare/input.txt}"
shift || true
[ -f "$corpus" ] || { echo "bench: corpus $corpus not found" >&2; exit 2; }
[ -f "$root/job/target/classpath.txt" ] || mvn -B -q -ntp -f "$root/pom.xml" -DskipTests package

export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p "$root/runs"
run="$root/runs/bench"
echo "| mode | layout | throughput | step time | MFU | full val loss | wall | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
"$root/submit/sparkformer" --master 'local[1]' bench --mode single --config "$root/conf/gpt-baby.conf" \
  --corpus "$corpus" "$@" 2>"$run-single.log"
"$root/submit/sparkformer" --master 'local[2]' bench --mode spark --config "$root/conf/gpt-baby.conf" \
  --corpus "$corpus" --out "$run-local2" --set spark.workers=2 --set train.batchSize=6 "$@" 2>"$run-local2.log"
