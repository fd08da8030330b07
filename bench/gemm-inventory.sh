#!/usr/bin/env bash
# Every matrix product of one GPT training step, ours (bench/gemm/GemmInventory.java: the model's own
# Nd4j.gemm / Nd4j.matmul calls, each timed alone) and PyTorch's (bench/pytorch/gemm_inventory.py:
# torch.profiler over the reference model), with the same kernels, threads and wait policy as
# bench/vs-pytorch.sh. Shapes as there: baby, 10m, gemm.
#   bench/gemm-inventory.sh [--shapes baby,gemm] [--threads 2] [--reps 20]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "gemm-inventory: $*" >&2; exit 2; }
shapes="baby,gemm"; threads=2; reps=20
while [ $# -gt 0 ]; do
  case "$1" in
    --shapes)  [ $# -ge 2 ] || die "--shapes needs a value"; shapes="$2"; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    --reps)    [ $# -ge 2 ] || die "--reps needs a value"; reps="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[ -f "$root/job/target/classpath.txt" ] || { echo "gemm-inventory: not built; run 'mvn -DskipTests package' first" >&2; exit 1; }
bench_env "$root" "$threads"
cp="$root/job/target/classes:$(cat "$root/job/target/classpath.txt"):$(cat "$root/job/target/classpath-provided.txt")"
IFS=, read -r -a shape_list <<< "$shapes"
for s in "${shape_list[@]}"; do
  dims="$(bench_shape "$s")" || die "unknown shape '$s' (baby, 10m, gemm)"
  set -- $dims
  java --add-modules=jdk.incubator.vector -Xmx2g -cp "$cp" "$root/bench/gemm/GemmInventory.java" "$@" 65 "$reps" 2>/dev/null
  /usr/bin/python3 "$root/bench/pytorch/gemm_inventory.py" --layers "$1" --heads "$2" --embed "$3" \
    --context "$4" --batch "$5" --threads "$threads"
done
