#!/usr/bin/env bash
# BERT on SST-2: pretrain a small BERT (masked-LM, conf/bert-sst2.conf) on the SST-2 training
# sentences, fine-tune it on the labeled training phrases (conf/bert-sst2-finetune.conf), train the
# same classifier from scratch with the same settings, and evaluate both on the 872-sentence dev split.
#   bench/bert-sst2.sh [OUT]    OUT: run directory (default runs/bert-sst2). The data is read from
#                               ../shared/data/sst2 (SPARKFORMER_SHARED overrides ../shared); nothing
#                               is copied into the repository.
# Prints a summary table; OUT/dev-finetuned.json and OUT/dev-scratch.json hold the full metrics.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
data="${SPARKFORMER_SHARED:-$root/../shared}/data/sst2"
out="${1:-$root/runs/bert-sst2}"
[ -f "$data/train.tsv" ] && [ -f "$data/dev.tsv" ] || { echo "bert-sst2: no SST-2 in $data" >&2; exit 2; }
[ -f job/target/classpath.txt ] || mvn -B -q -ntp -DskipTests package
# A run that is paused (SIGSTOP, a machine shared with a benchmark) longer than Spark's 120 s heartbeat
# timeout would be cancelled: the in-process executor is the driver itself, so waiting is harmless.
sf() { "$root/submit/sparkformer" --conf spark.network.timeout=3600s "$@"; }
# The model is small (under 1M parameters): modest JVM limits leave the shared machine its memory.
export SPARKFORMER_HEAP="${SPARKFORMER_HEAP:-2g}" SPARKFORMER_OFFHEAP="${SPARKFORMER_OFFHEAP:-3g}"
export SPARKFORMER_MAXPHYSICAL="${SPARKFORMER_MAXPHYSICAL:-6g}"
mkdir -p "$out"
phase() { local name="$1"; shift; local start=$SECONDS; "$@"; echo "$name: $((SECONDS - start)) s" | tee -a "$out/timings.txt"; }
: > "$out/timings.txt"

# The pretraining corpus: the training sentences without the header and labels (in OUT, not the repo).
tail -n +2 "$data/train.tsv" | cut -f1 > "$out/sst2-train-sentences.txt"

# --resume: a finished pretraining in OUT is reused (nothing left to train), a killed one continues.
phase pretrain sf train --config conf/bert-sst2.conf --corpus "$out/sst2-train-sentences.txt" \
  --out "$out/pretrain" --resume
phase finetune sf finetune --config conf/bert-sst2-finetune.conf --checkpoint "$out/pretrain" \
  --train "$data/train.tsv" --out "$out/finetuned" --overwrite
phase scratch sf finetune --config conf/bert-sst2-finetune.conf --checkpoint "$out/pretrain" --from-scratch \
  --train "$data/train.tsv" --out "$out/scratch" --overwrite
sf evaluate --checkpoint "$out/finetuned" --corpus "$data/dev.tsv" > "$out/dev-finetuned.json"
sf evaluate --checkpoint "$out/scratch" --corpus "$data/dev.tsv" > "$out/dev-scratch.json"

echo
echo "SST-2 dev (872 sentences)   accuracy  macro-P  macro-R  macro-F1  loss   best step"
for run in finetuned scratch; do
  best="$(cat "$out/$run/checkpoints/LATEST")"
  jq -r --arg run "$run" --arg best "$best" \
    '[$run, .accuracy, .macro.precision, .macro.recall, .macro.f1, .loss]
     | "\(.[0] | . + (" " * (26 - length)))  \(.[1] * 10000 | round / 100)%   \(.[2] * 1000 | round / 1000)    \(.[3] * 1000 | round / 1000)    \(.[4] * 1000 | round / 1000)     \(.[5] * 1000 | round / 1000)  " + $best' \
    "$out/dev-$run.json"
done
jq -c '{masked_lm_val_loss: .val_loss, step: .step}' <(grep val_loss "$out/pretrain/metrics.jsonl" | tail -1)
cat "$out/timings.txt"
