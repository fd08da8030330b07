#!/usr/bin/env bash
# Where a training step's time goes: async-profiler 3.0 (tools.profiler:async-profiler from Maven
# Central, fetched by Maven) samples one `submit/sparkformer bench --mode single` run of a benchmark
# shape, with the environment of bench/vs-pytorch.sh (OPENBLAS_CORETYPE, OMP_WAIT_POLICY=PASSIVE, T
# threads); bench/profile/top.py then charges every sample of the training thread to the deepest
# Sparkformer frame of its stack, or to the library below it (OpenBLAS, oneDNN, libnd4j), and prints
# the shares. Startup samples (before the first step's forward) fall outside model code and are
# listed apart.
#   bench/profile.sh [--shape baby|10m|gemm] [--steps 20] [--precision fp32|bf16] [--threads 2]
#                    [--interval-ms 2] [--corpus FILE] [--out DIR] [-- extra --set k=v ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "profile: $*" >&2; exit 2; }
shape=baby; steps=20; precision=fp32; threads=2; interval=2
corpus="$root/../shared/data/tinyshakespeare/input.txt"
out="$root/runs/profile"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shape)       [ $# -ge 2 ] || die "--shape needs a value"; shape="$2"; shift 2 ;;
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
[ -f "$corpus" ] || die "corpus $corpus not found"
[ -f "$root/job/target/classpath.txt" ] || die "not built; run 'mvn -DskipTests package' first"
dims="$(bench_shape "$shape")" || die "unknown shape '$shape' (baby, 10m, gemm)"
read -r layers heads embed ctx batch <<< "$dims"

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
collapsed="$out/$stamp-$shape-$precision.collapsed"
log="$out/$stamp-$shape-$precision.log"
echo "profile: $shape (${layers}L/${heads}H/${embed}, ctx $ctx, batch $batch), $steps steps, $precision, $threads threads" >&2
# itimer: CPU time of every thread (no perf_events needed); threads=1 keeps one stack set per thread.
JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:-} -agentpath:$lib=start,event=itimer,interval=${interval}ms,threads,cstack=fp,collapsed,file=$collapsed" \
  "$root/submit/sparkformer" --master 'local[1]' bench --mode single --config "$root/conf/gpt-baby.conf" \
  --corpus "$corpus" --skip-validation --set model.layers="$layers" --set model.heads="$heads" \
  --set model.embedDim="$embed" --set model.contextLength="$ctx" --set train.batchSize="$batch" \
  --set train.steps="$steps" --set train.precision="$precision" "${extra[@]}" >"$log.out" 2>"$log"
grep '^| single' "$log.out" >&2 || die "no result row; see $log"
python3 "$root/bench/profile/top.py" "$collapsed"
echo "profile: samples in $collapsed, log $log" >&2
