#!/usr/bin/env bash
# Interleaved A/B of two builds of Sparkformer on one shape, A B A B ...: single JVM (one worker, T
# threads) or, with --mode spark, Spark local[T] (T workers of one thread, the batch split over them), the same environment as bench/vs-pytorch.sh (OPENBLAS_CORETYPE, OMP_WAIT_POLICY=PASSIVE,
# T threads). Prints each run's tokens/s and the mean ratio B/A. A and B are checkouts with a build
# (mvn -DskipTests package), e.g. bench/snapshot-build.sh DEST of the base commit and this checkout.
#   bench/ab.sh A_ROOT B_ROOT [--shape baby|10m|gemm] [--steps 60] [--reps 3] [--threads 2] [--corpus FILE]
#               [--mode single|spark] [--precision fp32|bf16]
#               [--env-a VAR=VALUE]... [--env-b VAR=VALUE]...   (environment only A's / B's runs get, e.g.
#                                         OPENBLAS_THREAD_TIMEOUT=4; A and B may then be the same build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "ab: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: bench/ab.sh A_ROOT B_ROOT [--shape S] [--steps N] [--reps R] [--threads T]"
a="$1"; b="$2"; shift 2
shape=gemm; steps=60; reps=3; threads=2; mode=single; precision=fp32; env_a=(); env_b=()
corpus="$root/../shared/data/tinyshakespeare/input.txt"
while [ $# -gt 0 ]; do
  case "$1" in
    --shape)   [ $# -ge 2 ] || die "--shape needs a value"; shape="$2"; shift 2 ;;
    --steps)   [ $# -ge 2 ] || die "--steps needs a value"; steps="$2"; shift 2 ;;
    --reps)    [ $# -ge 2 ] || die "--reps needs a value"; reps="$2"; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    --mode)    [[ "${2:-}" == single || "${2:-}" == spark ]] || die "--mode is single or spark"; mode="$2"; shift 2 ;;
    --corpus)  [ $# -ge 2 ] || die "--corpus needs a value"; corpus="$2"; shift 2 ;;
    --precision) [[ "${2:-}" == fp32 || "${2:-}" == bf16 ]] || die "--precision is fp32 or bf16"; precision="$2"; shift 2 ;;
    --env-a)   [[ "${2:-}" == *=* ]] || die "--env-a needs VAR=VALUE"; env_a+=("$2"); shift 2 ;;
    --env-b)   [[ "${2:-}" == *=* ]] || die "--env-b needs VAR=VALUE"; env_b+=("$2"); shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
for d in "$a" "$b"; do [ -x "$d/submit/sparkformer" ] || die "$d has no submit/sparkformer"; done
[ -f "$corpus" ] || die "corpus $corpus not found"
dims="$(bench_shape "$shape")" || die "unknown shape '$shape' (baby, 10m, gemm)"
set -- $dims
layers=$1 heads=$2 embed=$3 ctx=$4 batch=$5
bench_env "$root" "$threads"
log="$(mktemp -d)"
run() {   # root tag [VAR=VALUE...] -> tokens/s
  local dir="$1" tag="$2"; shift 2
  local where=(--master 'local[1]' bench --mode single --set train.batchSize="$batch")
  if [ "$mode" = spark ]; then
    where=(--master "local[$threads]" bench --mode spark --out "$log/$tag-run" --set spark.workers="$threads"
           --set train.batchSize=$((batch / threads)) --set train.evalEvery="$steps" --set train.checkpointEvery="$steps")
  fi
  env "$@" "$dir/submit/sparkformer" "${where[@]}" --config "$dir/conf/gpt-baby.conf" \
    --corpus "$corpus" --skip-validation --set model.layers="$layers" --set model.heads="$heads" \
    --set model.embedDim="$embed" --set model.contextLength="$ctx" --set train.steps="$steps" \
    --set train.precision="$precision" >"$log/$tag.out" 2>"$log/$tag.log" || die "run $tag failed; see $log/$tag.log"
  rm -rf "$log/$tag-run"
  grep "^| $mode" "$log/$tag.out" | sed -E 's/.*\| *([0-9,]+) tok\/s.*/\1/' | tr -d ,
}
echo "ab: shape $shape (${layers}L/${heads}H/${embed}, ctx $ctx, batch $batch), $mode, $precision, $steps steps, $reps reps; A=$a${env_a[*]+ (with ${env_a[*]})} B=$b${env_b[*]+ (with ${env_b[*]})}; logs $log" >&2
sa=0; sb=0
for r in $(seq 1 "$reps"); do
  ta="$(run "$a" "A$r" ${env_a[@]+"${env_a[@]}"})"; tb="$(run "$b" "B$r" ${env_b[@]+"${env_b[@]}"})"
  echo "rep $r: A $ta tok/s, B $tb tok/s, B/A $(python3 -c "print(f'{$tb / $ta:.3f}')")"
  sa=$(python3 -c "print($sa + $ta)"); sb=$(python3 -c "print($sb + $tb)")
done
echo "mean: A $(python3 -c "print(f'{$sa / $reps:.0f}')") B $(python3 -c "print(f'{$sb / $reps:.0f}')") tok/s, B/A $(python3 -c "print(f'{$sb / $sa:.3f}')")"
