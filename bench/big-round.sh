#!/usr/bin/env bash
# One averaging round of a big GPT on Spark local-cluster: 2 executor JVMs launched by in-process
# Workers, as on a cluster (task results and broadcasts cross JVMs). Reports the model size, what a
# round moves (the job's "Each round: ..." line), the rounds' metrics and each executor's peak RSS.
#   bench/big-round.sh [LAYERS] [EMBED] [CONTEXT]     default 12 768 256 (gpt-small's shape, char vocabulary)
# Run it on a quiet machine. DRIVER_HEAP (3g), EXECUTOR_MB (3072), EXECUTOR_OFFHEAP (2g), DRIVER_OFFHEAP (3g)
# size the JVMs: 42.8 M parameters (6 768 256) needed DRIVER_HEAP=6g (3g ran out of heap).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
layers="${1:-12}"; embed="${2:-768}"; context="${3:-256}"
corpus="$root/../shared/data/tinyshakespeare/input.txt"
[ -f "$corpus" ] || { echo "bench: corpus $corpus not found" >&2; exit 2; }
[ -f "$root/job/target/classpath.txt" ] || { echo "bench: build first (mvn -DskipTests package)" >&2; exit 2; }
work="$root/runs/big-round-$layers-$embed-$context"
rm -rf "$work"; mkdir -p "$work/spark-home/jars"
opens="$(tr '\n' ' ' < "$root/submit/java17-opens.txt")"

# Peak RSS (VmHWM) of the executor JVMs (they carry -Dwork=$work) and of the driver, from /proc.
sample() {
  while true; do
    for pid in $(pgrep -f "Dwork=$work.*CoarseGrainedExecutorBackend" || true); do
      hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$hwm" ] && echo "executor-$pid $hwm" >> "$work/rss.txt"
    done
    for pid in $(pgrep -f "io.sparkformer.job.Main train .*$work/run" || true); do
      hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$hwm" ] && echo "driver-$pid $hwm" >> "$work/rss.txt"
    done
    sleep 1
  done
}
sample & sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT

# Workers look for jars/ under SPARK_HOME, else under the working directory: run from a stand-in
# (with SPARK_HOME set, submit/sparkformer would call spark-submit instead of running in-process).
cd "$work/spark-home"
start=$(date +%s)
SPARK_SCALA_VERSION=2.12 SPARKFORMER_HEAP="${DRIVER_HEAP:-3g}" SPARKFORMER_OFFHEAP="${DRIVER_OFFHEAP:-3g}" \
  "$root/submit/sparkformer" --master "local-cluster[2,1,${EXECUTOR_MB:-3072}]" \
  --conf spark.executor.memory="${EXECUTOR_MB:-3072}m" \
  --conf "spark.executor.extraClassPath=$root/job/target/classes:$(cat "$root/job/target/classpath.txt")" \
  --conf "spark.executor.extraJavaOptions=$opens -Dorg.bytedeco.javacpp.maxbytes=${EXECUTOR_OFFHEAP:-2g} -Dwork=$work" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 --conf spark.driver.maxResultSize=0 --conf spark.ui.enabled=false \
  train --config "$root/conf/gpt-small.conf" --corpus "$corpus" --out "$work/run" \
  --set tokenizer.type=char --set model.layers="$layers" --set model.embedDim="$embed" \
  --set model.heads=$((embed / 64)) --set model.contextLength="$context" --set model.dropout=0 \
  --set train.batchSize=1 --set train.steps=2 --set train.evalEvery=2 --set train.evalBatches=1 \
  --set train.checkpointEvery=1000 --set train.warmupSteps=1 --set spark.workers=2 \
  --set spark.averagingFrequency=1 2> "$work/driver.log" || { tail -30 "$work/driver.log"; exit 1; }
end=$(date +%s)
grep -E "Model:|Each round:" "$work/driver.log" | sed 's/^.*INFO //'
echo "metrics (round 1 includes building the networks):"; cat "$work/run/metrics.jsonl"
echo "peak RSS (MiB):"
sort -k1,1 -k2,2n "$work/rss.txt" | awk '{m[$1]=$2} END {for (p in m) printf "  %s: %d\n", p, m[p]/1024}'
echo "wall: $((end - start)) s (JVM start, prepare and the final checkpoint included)"
