#!/usr/bin/env bash
# Translation benchmark of issue 7: train conf/seq2seq-multi30k.conf on Multi30k De->En (29,000
# pairs, the lower-cased Moses-tokenised tok/ files), then report corpus BLEU on test2016 (1,000
# pairs, tok/ references, sacreBLEU-compatible 13a) with greedy and beam search.
#   bench/multi30k.sh [RUN_DIR] [extra train options, e.g. --set train.steps=1000]
# Environment: DATA (default ../shared/data/multi30k), MASTER (default local[2]), BEAM (default 4),
# ALPHA (length penalty, default 0.6). A finished run is evaluated again without retraining
# (pass --resume with a larger train.steps to continue it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DATA:-$root/../shared/data/multi30k}/tok"
run="${1:-$root/runs/multi30k}"
shift || true
[ -f "$data/train.lc.norm.tok.de" ] || { echo "bench: Multi30k not found in $data" >&2; exit 2; }
[ -f "$root/job/target/classpath.txt" ] || mvn -B -q -ntp -f "$root/pom.xml" -DskipTests package

export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# ND4J's off-heap garbage is only freed when javacpp's limit forces a GC: with the launcher's
# defaults (8g off-heap) one JVM grows to ~13 GB RSS. Keep the shared machine usable (~5 GB).
export SPARKFORMER_HEAP="${SPARKFORMER_HEAP:-2g}" SPARKFORMER_OFFHEAP="${SPARKFORMER_OFFHEAP:-3g}"
export SPARKFORMER_MAXPHYSICAL="${SPARKFORMER_MAXPHYSICAL:-5g}"
sf() { "$root/submit/sparkformer" --master "${MASTER:-local[2]}" "$@"; }
mkdir -p "$(dirname "$run")"
start=$(date +%s)
if [ ! -f "$run/checkpoints/LATEST" ] || [ $# -gt 0 ]; then
  sf train --config "$root/conf/seq2seq-multi30k.conf" \
    --source "$data/train.lc.norm.tok.de" --target "$data/train.lc.norm.tok.en" \
    --val-source "$data/val.lc.norm.tok.de" --val-target "$data/val.lc.norm.tok.en" \
    --out "$run" "$@" 2>"$run.train.log"
fi
trained=$(( $(date +%s) - start ))
test_de="$data/test_2016_flickr.lc.norm.tok.de"
test_en="$data/test_2016_flickr.lc.norm.tok.en"
greedy=$(sf evaluate --checkpoint "$run" --corpus "$test_de" --references "$test_en" --beam 1 --batch-size 100 \
  --hypotheses "$run/test2016.greedy.en" 2>"$run.eval.log")
beam=$(sf evaluate --checkpoint "$run" --corpus "$test_de" --references "$test_en" --beam "${BEAM:-4}" --batch-size 100 \
  --length-penalty "${ALPHA:-0.6}" --hypotheses "$run/test2016.beam.en" 2>>"$run.eval.log")
echo "train wall time: ${trained}s (0 = reused); last metrics: $(tail -1 "$run/metrics.jsonl")"
echo "test2016 greedy:  $greedy"
echo "test2016 beam ${BEAM:-4}: $beam"
if command -v sacrebleu >/dev/null 2>&1; then   # optional cross-check with the reference implementation
  echo "sacrebleu greedy: $(sacrebleu -b "$test_en" < "$run/test2016.greedy.en")"
  echo "sacrebleu beam:   $(sacrebleu -b "$test_en" < "$run/test2016.beam.en")"
fi
