#!/usr/bin/env bash
# Batch inference on the executors against the driver-only path: `classify` of ROWS SST-2 training
# sentences with a classifier of conf/bert-sst2.conf's shape (2 layers, 128 wide, context 64, BPE
# 4096), A B A B ...: the driver path (texts on stdin, one JSON line each) and the table path
# (`--input` CSV table, `--output` Parquet, Spark local[2]). The classifier is fine-tuned for 2 steps
# only: throughput does not depend on what the weights are.
#   bench/batch-inference.sh [OUT] [--rows 10000] [--reps 2]
# Prints each run's wall-clock rows/s (JVM start included) and, for the table path, the job's own
# rows/s (from reading the table to the written Parquet).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "batch-inference: $*" >&2; exit 2; }
out="$root/runs/batch-inference"; rows=10000; reps=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) [ $# -ge 2 ] || die "--rows needs a value"; rows="$2"; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps="$2"; shift 2 ;;
    -*) die "unknown option '$1'" ;;
    *) out="$1"; shift ;;
  esac
done
data="${SPARKFORMER_SHARED:-$root/../shared}/data/sst2"
[ -f "$data/train.tsv" ] || die "no SST-2 in $data"
[ -f "$root/job/target/classpath.txt" ] || die "not built: run 'mvn -DskipTests package' in $root first"
export SPARKFORMER_HEAP="${SPARKFORMER_HEAP:-2g}" SPARKFORMER_OFFHEAP="${SPARKFORMER_OFFHEAP:-3g}"
export SPARKFORMER_MAXPHYSICAL="${SPARKFORMER_MAXPHYSICAL:-6g}"
sf() { "$root/submit/sparkformer" --conf spark.network.timeout=3600s "$@"; }
mkdir -p "$out"
cd "$root"

if [ ! -f "$out/classifier/checkpoints/LATEST" ]; then
  tail -n +2 "$data/train.tsv" | cut -f1 > "$out/pretrain-sentences.txt"
  sf train --config conf/bert-sst2.conf --corpus "$out/pretrain-sentences.txt" --out "$out/pretrain" \
    --set train.steps=2 --set train.evalEvery=2 --set train.checkpointEvery=2 --overwrite > /dev/null
  sf finetune --config conf/bert-sst2-finetune.conf --checkpoint "$out/pretrain" --train "$data/train.tsv" \
    --out "$out/classifier" --set train.steps=2 --set train.evalEvery=2 --overwrite > /dev/null
fi
# sed, not tail | head: under pipefail, head closing the pipe early fails the script (SIGPIPE) silently.
sed -n "2,$((rows + 1))p" "$data/train.tsv" | cut -f1 | sed 's/ *$//' > "$out/texts.txt"
python3 - "$out/texts.txt" "$out/texts.csv" <<'PY'
import csv, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8", newline="") as g:
    w = csv.writer(g)
    w.writerow(["sentence"])
    for line in f:
        w.writerow([line.rstrip("\n")])
PY
n=$(wc -l < "$out/texts.txt")
echo "classify, $n rows, checkpoint $out/classifier, commit $(git -C "$root" rev-parse --short HEAD)"
for ((r = 1; r <= reps; r++)); do
  start=$(date +%s.%N)
  sf classify --checkpoint "$out/classifier" < "$out/texts.txt" > "$out/driver.jsonl"
  end=$(date +%s.%N)
  [ "$(wc -l < "$out/driver.jsonl")" -eq "$n" ] || die "driver path wrote $(wc -l < "$out/driver.jsonl") lines"
  echo "driver     rep $r: $(echo "$n / ($end - $start)" | bc -l | xargs printf '%.1f') rows/s wall"
  start=$(date +%s.%N)
  line=$(sf --master 'local[2]' classify --checkpoint "$out/classifier" --input "$out/texts.csv" --format csv \
    --text-column sentence --output "$out/classified" --overwrite)
  end=$(date +%s.%N)
  echo "local[2]   rep $r: $(echo "$n / ($end - $start)" | bc -l | xargs printf '%.1f') rows/s wall; job: $line"
done
