#!/usr/bin/env bash
# One averaging round of a big GPT on Spark local-cluster: 2 executor JVMs launched by in-process
# Workers, as on a cluster (task results and broadcasts cross JVMs). Reports the model size, what a
# round moves (the job's "Each round: ..." line), the rounds' metrics and each executor's peak RSS.
#   bench/big-round.sh [LAYERS] [EMBED] [CONTEXT]     default 12 768 256 (gpt-small's shape, char vocabulary)
# Run it on a quiet machine. DRIVER_HEAP (3g), EXECUTOR_MB (3072), EXECUTOR_OFFHEAP (2g), DRIVER_OFFHEAP (3g)
# size the JVMs: 42.8 M parameters (6 768 256) needed DRIVER_HEAP=6g (3g ran out of heap).
# STEPS (2) and AVERAGING (1): e.g. STEPS=5 AVERAGING=2 runs rounds of 2, 2 and 1 steps, whose difference
# is one step's compute. The run is stopped if the machine's available memory falls below MIN_FREE_MB (1500).
# Big-model settings: MEMORY_FRACTION (spark.memory.fraction; Spark's 0.6) below what the broadcast's
# serialized blocks need keeps them on disk instead of the heap; G1_REGION (e.g. 32m) makes Spark's 4 MiB
# result and broadcast chunks ordinary objects instead of humongous ones; MAX_DIRECT caps the JVMs' direct
# buffers (Netty's; by default as large as the heap); EXECUTOR_MAXPHYSICAL and DRIVER_MAXPHYSICAL set
# javacpp's limit on a JVM's resident size, so that a JVM fails with an OutOfMemoryError before the machine does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
layers="${1:-12}"; embed="${2:-768}"; context="${3:-256}"
corpus="$root/../shared/data/tinyshakespeare/input.txt"
[ -f "$corpus" ] || { echo "bench: corpus $corpus not found" >&2; exit 2; }
[ -f "$root/job/target/classpath-provided.txt" ] || { echo "bench: build first (mvn -DskipTests package)" >&2; exit 2; }
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
# Not to starve the machine: stop this run's own JVMs (driver first) if available memory runs low.
watchdog() {
  while true; do
    avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
    if [ "$avail" -lt "${MIN_FREE_MB:-1500}" ]; then
      echo "bench: only $avail MiB available, stopping the run" >> "$work/watchdog.txt"
      for pid in $(pgrep -f "io.sparkformer.job.Main train .*$work/run" || true) \
                 $(pgrep -f "Dwork=$work.*CoarseGrainedExecutorBackend" || true); do kill "$pid" 2>/dev/null || true; done
    fi
    sleep 1
  done
}
watchdog & guard=$!
trap 'kill $sampler $guard 2>/dev/null || true' EXIT

# Workers look for jars/ under SPARK_HOME, else under the working directory: run from a stand-in
# (with SPARK_HOME set, submit/sparkformer would call spark-submit instead of running in-process).
# Executors log Spark's task lines and each step's start, with milliseconds: the round's parts.
sed 's/HH:mm:ss}/HH:mm:ss.SSS}/' "$root/conf/log4j2.properties" > "$work/executor-log4j2.properties"
printf '%s\n' "logger.steps.name = io.sparkformer.job.train.GlobalStepHook" "logger.steps.level = debug" \
  "logger.executor.name = org.apache.spark.executor.Executor" "logger.executor.level = info" >> "$work/executor-log4j2.properties"

cd "$work/spark-home"
region="${G1_REGION:+-XX:G1HeapRegionSize=$G1_REGION} ${MAX_DIRECT:+-XX:MaxDirectMemorySize=$MAX_DIRECT}"
[ -n "${region// /}" ] && export JDK_JAVA_OPTIONS="$region"    # the driver JVM, and the executors it launches
[ -n "${DRIVER_MAXPHYSICAL:-}" ] && export SPARKFORMER_MAXPHYSICAL="$DRIVER_MAXPHYSICAL"
start=$(date +%s)
SPARK_SCALA_VERSION=2.12 SPARKFORMER_HEAP="${DRIVER_HEAP:-3g}" SPARKFORMER_OFFHEAP="${DRIVER_OFFHEAP:-3g}" \
  "$root/submit/sparkformer" --master "local-cluster[2,1,${EXECUTOR_MB:-3072}]" \
  --conf spark.executor.memory="${EXECUTOR_MB:-3072}m" \
  --conf "spark.executor.extraClassPath=$root/job/target/classes:$(cat "$root/job/target/classpath.txt"):$(cat "$root/job/target/classpath-provided.txt")" \
  --conf "spark.executor.extraJavaOptions=$opens -Dorg.bytedeco.javacpp.maxbytes=${EXECUTOR_OFFHEAP:-2g} ${EXECUTOR_MAXPHYSICAL:+-Dorg.bytedeco.javacpp.maxphysicalbytes=$EXECUTOR_MAXPHYSICAL} $region -Dwork=$work" \
  --conf spark.memory.fraction="${MEMORY_FRACTION:-0.6}" \
  --conf spark.executorEnv.LOG4J_CONFIGURATION_FILE="$work/executor-log4j2.properties" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 --conf spark.driver.maxResultSize=0 --conf spark.ui.enabled=false \
  train --config "$root/conf/gpt-small.conf" --corpus "$corpus" --out "$work/run" \
  --set tokenizer.type=char --set model.layers="$layers" --set model.embedDim="$embed" \
  --set model.heads=$((embed / 64)) --set model.contextLength="$context" --set model.dropout=0 \
  --set train.batchSize=1 --set train.steps="${STEPS:-2}" --set train.evalEvery="${STEPS:-2}" --set train.evalBatches=1 \
  --set train.checkpointEvery=1000 --set train.warmupSteps=1 --set spark.workers=2 \
  --set spark.averagingFrequency="${AVERAGING:-1}" 2> "$work/driver.log" || { tail -30 "$work/driver.log"; cat "$work/watchdog.txt" 2>/dev/null; exit 1; }
end=$(date +%s)
grep -E "Model:|Each round:" "$work/driver.log" | sed 's/^.*INFO //'
echo "metrics (round 1 includes building the networks):"; cat "$work/run/metrics.jsonl"
echo "executor timeline (task start, each step's start, task end):"
apps="$work/spark-home/work"   # the standalone workers' application directories
grep -hE "Running task|starts in pid|Finished task" "$apps"/app-*/*/stderr | sort | sed 's/ INFO Executor//; s/ DEBUG GlobalStepHook//'
echo "peak RSS (MiB):"
sort -k1,1 -k2,2n "$work/rss.txt" | awk '{m[$1]=$2} END {for (p in m) printf "  %s: %d\n", p, m[p]/1024}'
echo "wall: $((end - start)) s (JVM start, prepare and the final checkpoint included)"
