#!/usr/bin/env bash
# Where a training step's time goes: async-profiler 3.0 (tools.profiler:async-profiler from Maven
# Central, fetched by Maven) samples one `submit/sparkformer bench` run of a benchmark shape, as
# bench/vs-pytorch.sh runs it (--mode single: one worker, T threads; --mode spark: local[T], T workers
# x 1 thread, half the batch each, averaging every 10 steps) with its environment (OPENBLAS_CORETYPE,
# OMP_WAIT_POLICY=PASSIVE); bench/profile/top.py then charges every sample of the training threads to the deepest
# Sparkformer frame of its stack, or to the library below it (OpenBLAS, oneDNN, libnd4j), and prints
# the shares. Startup samples (before the first step's forward) fall outside model code and are
# listed apart.
#   bench/profile.sh [--shape baby|10m|gemm] [--mode single|spark] [--steps 20] [--precision fp32|bf16] [--threads 2]
#                    [--interval-ms 2] [--corpus FILE] [--out DIR] [-- extra --set k=v ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "profile: $*" >&2; exit 2; }
shape=baby; mode=single; steps=20; precision=fp32; threads=2; interval=2
corpus="$root/../shared/data/tinyshakespeare/input.txt"
out="$root/runs/profile"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shape)       [ $# -ge 2 ] || die "--shape needs a value"; shape="$2"; shift 2 ;;
    --mode)        [ $# -ge 2 ] || die "--mode needs a value"; mode="$2"; shift 2 ;;
    --steps)       [ $# -ge 2 ] || die "--steps needs a value"; steps="$2"; shift 2 ;;
    --precision)   [ $# -ge 2 ] || die "--precision needs a value"; precision="$2"; shift 2 ;;
    --threads)     [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    --interval-ms) [ $# -ge 2 ] || die "--interval-ms needs a value"; interval="$2"; shift 2 ;;
    --corpus)      [ $# -ge 2 ] || die "--corpus needs a value"; corpus="$2"; shift 2 ;;
    --out)         [ $# -ge 2 ] || die "--out needs a value"; out="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || die "--steps must be a positive integer, got '$steps'"
[[ "$interval" =~ ^[1-9][0-9]*$ ]] || die "--interval-ms must be a positive integer, got '$interval'"
[ "$precision" = fp32 ] || [ "$precision" = bf16 ] || die "--precision must be fp32 or bf16, got '$precision'"
[ "$mode" = single ] || [ "$mode" = spark ] || die "--mode must be single or spark, got '$mode'"
[ -f "$corpus" ] || die "corpus $corpus not found"
[ -f "$root/job/target/classpath.txt" ] || die "not built; run 'mvn -DskipTests package' first"
dims="$(bench_shape "$shape")" || die "unknown shape '$shape' (baby, 10m, gemm)"
read -r layers heads embed ctx batch <<< "$dims"
if [ "$mode" = spark ]; then
  [ $((batch % threads)) -eq 0 ] || die "batch $batch is not divisible by $threads workers"
  master="local[$threads]"
  run_args=(--out "$out/run-$$" --set spark.workers="$threads" --set train.batchSize=$((batch / threads))
            --set train.evalEvery="$steps" --set train.checkpointEvery="$steps")
else
  master='local[1]'
  run_args=(--set train.batchSize="$batch")
fi

version=3.0
jar="$HOME/.m2/repository/tools/profiler/async-profiler/$version/async-profiler-$version.jar"
if [ ! -f "$jar" ]; then
  mvn -B -ntp -q dependency:get -Dartifact="tools.profiler:async-profiler:$version" >&2 \
    || die "could not fetch tools.profiler:async-profiler:$version from Maven Central"
fi
agent_dir="$root/runs/profile/async-profiler-$version"
lib="$agent_dir/linux-x64/libasyncProfiler.so"
[ -f "$lib" ] || { mkdir -p "$agent_dir" && (cd "$agent_dir" && unzip -q -o "$jar" 'linux-x64/*'); }
[ "$(uname -m)" = x86_64 ] || die "this script loads async-profiler's linux-x64 library; this machine is $(uname -m)"

bench_env "$root" "$threads"
stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
collapsed="$out/$stamp-$shape-$mode-$precision.collapsed"
log="$out/$stamp-$shape-$mode-$precision.log"
echo "profile: $shape (${layers}L/${heads}H/${embed}, ctx $ctx, batch $batch), $mode, $steps steps, $precision, $threads threads" >&2
# itimer: CPU time of every thread (no perf_events needed); threads=1 keeps one stack set per thread.
JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:-} -agentpath:$lib=start,event=itimer,interval=${interval}ms,threads,cstack=fp,collapsed,file=$collapsed" \
  "$root/submit/sparkformer" --master "$master" bench --mode "$mode" --config "$root/conf/gpt-baby.conf" \
  --corpus "$corpus" --skip-validation --set model.layers="$layers" --set model.heads="$heads" \
  --set model.embedDim="$embed" --set model.contextLength="$ctx" --set train.steps="$steps" \
  --set train.precision="$precision" "${run_args[@]}" ${extra[@]+"${extra[@]}"} >"$log.out" 2>"$log"
rm -rf "$out/run-$$"
grep "^| $mode" "$log.out" >&2 || die "no result row; see $log"
python3 "$root/bench/profile/top.py" "$collapsed"
echo "profile: samples in $collapsed, log $log" >&2
