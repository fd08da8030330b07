#!/usr/bin/env bash
# Where one single-JVM training step's CPU time goes, by model method and by kind of native code:
# async-profiler (its jar from Maven Central: tools.profiler:async-profiler, unpacked; pass the
# directory holding linux-x64/libasyncProfiler.so) samples a `sparkformer bench --mode single` run,
# bench/profile_step.py folds the stacks. Same environment as bench/vs-pytorch.sh.
#   bench/profile-step.sh AP_DIR [--shape baby|10m|gemm] [--steps 40] [--threads 2]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "profile-step: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: bench/profile-step.sh AP_DIR [--shape S] [--steps N] [--threads T]"
ap="$1/linux-x64/libasyncProfiler.so"; shift
[ -f "$ap" ] || die "$ap not found"
shape=gemm; steps=40; threads=2
corpus="$root/../shared/data/tinyshakespeare/input.txt"
while [ $# -gt 0 ]; do
  case "$1" in
    --shape)   [ $# -ge 2 ] || die "--shape needs a value"; shape="$2"; shift 2 ;;
    --steps)   [ $# -ge 2 ] || die "--steps needs a value"; steps="$2"; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
case "$shape" in
  baby) set -- 4 4 128 64 12 ;;
  10m)  set -- 6 6 384 256 8 ;;
  gemm) set -- 2 12 768 64 16 ;;
  *) die "unknown shape '$shape' (baby, 10m, gemm)" ;;
esac
coretype="${OPENBLAS_CORETYPE:-$("$root/submit/openblas-coretype")}"
if [ -n "$coretype" ]; then export OPENBLAS_CORETYPE="$coretype"; else unset OPENBLAS_CORETYPE; fi
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
out="$(mktemp -d)"
JAVA_TOOL_OPTIONS="-agentpath:$ap=start,event=cpu,interval=1ms,cstack=vm,file=$out/%p.collapsed,collapsed" \
  "$root/submit/sparkformer" --master 'local[1]' bench --mode single --config "$root/conf/gpt-baby.conf" \
  --corpus "$corpus" --skip-validation --set model.layers="$1" --set model.heads="$2" --set model.embedDim="$3" \
  --set model.contextLength="$4" --set train.steps="$steps" --set train.batchSize="$5" >"$out/run.out" 2>"$out/run.log" \
  || die "run failed; see $out/run.log"
grep '^| single' "$out/run.out"
python3 "$root/bench/profile_step.py" "$(ls -S "$out"/*.collapsed | head -1)"
