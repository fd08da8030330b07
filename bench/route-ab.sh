#!/usr/bin/env bash
# Two fp32 product splits between oneDNN and ND4J (auto: by size, auto:E up to 2^E multiply-adds; nd4j; onednn) A/B'd in one JVM on
# the same GPT training run, blocks of steps alternating (bench/gemm/RouteAB.java), with the
# environment of bench/vs-pytorch.sh (OPENBLAS_CORETYPE, OMP_WAIT_POLICY=PASSIVE, T threads).
#   bench/route-ab.sh [--shape baby|10m|gemm] [--a nd4j] [--b auto] [--blocks 6] [--block-steps 10]
#                     [--threads 2] [--corpus FILE]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "route-ab: $*" >&2; exit 2; }
shape=baby; a=nd4j; b=auto; blocks=6; per=10; threads=2
corpus="$root/../shared/data/tinyshakespeare/input.txt"
while [ $# -gt 0 ]; do
  case "$1" in
    --shape)       [ $# -ge 2 ] || die "--shape needs a value"; shape="$2"; shift 2 ;;
    --a)           [ $# -ge 2 ] || die "--a needs a value"; a="$2"; shift 2 ;;
    --b)           [ $# -ge 2 ] || die "--b needs a value"; b="$2"; shift 2 ;;
    --blocks)      [ $# -ge 2 ] || die "--blocks needs a value"; blocks="$2"; shift 2 ;;
    --block-steps) [ $# -ge 2 ] || die "--block-steps needs a value"; per="$2"; shift 2 ;;
    --threads)     [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    --corpus)      [ $# -ge 2 ] || die "--corpus needs a value"; corpus="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[ -f "$root/job/target/classpath.txt" ] || die "not built; run 'mvn -DskipTests package' first"
[ -f "$corpus" ] || die "corpus $corpus not found"
dims="$(bench_shape "$shape")" || die "unknown shape '$shape' (baby, 10m, gemm)"
set -- $dims
bench_env "$root" "$threads"
cp="$root/job/target/classes:$(cat "$root/job/target/classpath.txt"):$(cat "$root/job/target/classpath-provided.txt")"
echo "route-ab: shape $shape ($1L/$2H/$3, ctx $4, batch $5), A=$a B=$b, $blocks x $per steps each, $threads threads" >&2
java --add-modules=jdk.incubator.vector -Xmx1g -Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=6g \
  -cp "$cp" "$root/bench/gemm/RouteAB.java" "$corpus" "$root/conf/gpt-baby.conf" "$a" "$b" "$blocks" "$per" \
  --set model.layers="$1" --set model.heads="$2" --set model.embedDim="$3" --set model.contextLength="$4" \
  --set train.batchSize="$5" --set train.steps=100000 2>/dev/null
