#!/usr/bin/env bash
# Sparkformer against a PyTorch-CPU reference of the same GPT (bench/pytorch/gpt.py: same
# architecture, init, AdamW, schedule, clipping, data and batches as conf/gpt-baby.conf), on the same
# cores, interleaved: for each shape and repetition PyTorch (T threads), Sparkformer single JVM (one
# worker, T threads) and Sparkformer Spark local[T] (T workers x 1 thread, batch / T each), then the
# next repetition. Prints one table row per run and a summary per shape and side: tokens/s, ms/step,
# MFU against the GEMM peak measured here, peak RSS, ratio to PyTorch.
#   bench/vs-pytorch.sh [--shapes baby,10m,gemm] [--reps 2] [--threads 2] [--corpus FILE] [--out DIR]
#                       [--gemm-peak GFLOPS]   (MFU denominator; default: measured here with PyTorch)
#                       [--precision fp32|bf16]   (Sparkformer's train.precision; PyTorch stays fp32)
# bench/pytorch/table.py merges the raw TSV files of several invocations into one table.
# Shapes (layers/heads/embed, context, batch, steps; timing excludes the first 5 steps on the
# PyTorch and single-JVM side, the first averaging round of 10 steps on the Spark side):
#   baby  4/4/128,   ctx 64,  batch 12 (768 tokens/step),   300 steps   conf/gpt-baby.conf
#   10m   6/6/384,   ctx 256, batch 8  (2,048 tokens/step),  40 steps   10.7 M parameters
#   gemm  2/12/768,  ctx 64,  batch 16 (1,024 tokens/step),  40 steps   GEMM-bound: 14 M parameters
#         in 768x2304/768x768/768x3072 matrices, short context, so the matrix products are ~99% of
#         the FLOPs (attention scores 1.4%) and element-wise work is O(C) per token against O(C^2)
# Steps per shape: STEPS_BABY, STEPS_10M, STEPS_GEMM. Both sides get the same OPENBLAS_CORETYPE
# (the environment's, else submit/openblas-coretype's choice), OMP_WAIT_POLICY=PASSIVE and thread
# count; OPENBLAS_L2_SIZE, if set, is inherited by both. Needs PyTorch (bench/pytorch/install.sh)
# and a build (mvn -DskipTests package). Whole machine: run on a quiet box (~20 min for all shapes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "vs-pytorch: $*" >&2; exit 2; }

shapes="baby,10m,gemm" ; reps=2 ; threads=2 ; gemm_peak="" ; precision=fp32
corpus="$root/../shared/data/tinyshakespeare/input.txt"
out="$root/runs/vs-pytorch"
while [ $# -gt 0 ]; do
  case "$1" in
    --shapes)  [ $# -ge 2 ] || die "--shapes needs a value"; shapes="$2"; shift 2 ;;
    --reps)    [ $# -ge 2 ] || die "--reps needs a value"; reps="$2"; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    --corpus)  [ $# -ge 2 ] || die "--corpus needs a value"; corpus="$2"; shift 2 ;;
    --out)     [ $# -ge 2 ] || die "--out needs a value"; out="$2"; shift 2 ;;
    --gemm-peak) [ $# -ge 2 ] || die "--gemm-peak needs a value"; gemm_peak="$2"; shift 2 ;;
    --precision) [ $# -ge 2 ] || die "--precision needs a value"; precision="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, got '$reps'"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer, got '$threads'"
[ -z "$gemm_peak" ] || [[ "$gemm_peak" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--gemm-peak must be a number (GFLOP/s), got '$gemm_peak'"
[ "$precision" = fp32 ] || [ "$precision" = bf16 ] || die "--precision must be fp32 or bf16, got '$precision'"
[ -f "$corpus" ] || die "corpus $corpus not found"
corpus="$(cd "$(dirname "$corpus")" && pwd)/$(basename "$corpus")"
py=/usr/bin/python3   # Debian's python3-torch lives here, not in a pyenv/venv python3 on PATH
[ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null \
  || { echo "vs-pytorch: PyTorch is not importable by $py; run bench/pytorch/install.sh first" >&2; exit 1; }
[ -f "$root/job/target/classpath.txt" ] || { echo "vs-pytorch: not built; run 'mvn -DskipTests package' first" >&2; exit 1; }

shape_of() {   # name -> "layers heads embed context batch steps"
  local dims steps
  dims="$(bench_shape "$1")" || die "unknown shape '$1' (baby, 10m, gemm)"
  case "$1" in baby) steps="${STEPS_BABY:-300}" ;; 10m) steps="${STEPS_10M:-40}" ;; gemm) steps="${STEPS_GEMM:-40}" ;; esac
  echo "$dims $steps"
}
IFS=, read -r -a shape_list <<< "$shapes"
for s in "${shape_list[@]}"; do
  case "$s" in baby|10m|gemm) ;; *) die "unknown shape '$s' (baby, 10m, gemm)" ;; esac
  read -r _ _ _ _ b steps <<< "$(shape_of "$s")"
  [[ "$steps" =~ ^[0-9]+$ ]] && [ "$steps" -ge 20 ] || die "shape $s: steps must be >= 20 (2 averaging rounds), got '$steps'"
  [ $((b % threads)) -eq 0 ] || die "shape $s: batch $b is not divisible by $threads workers"
done

bench_env "$root" "$threads"   # same kernels, threads and wait policy on both sides
export OPENBLAS_VERBOSE=2   # each side's OpenBLAS prints the kernel family ("Core: ...") it loaded

stamp="$(date -u +%Y%m%d-%H%M%S)"
trap 'echo "vs-pytorch: failed (line $LINENO); see the logs in $logs" >&2' ERR
mkdir -p "$out"
raw="$out/$stamp.tsv"
report="$out/$stamp.md"
logs="$out/$stamp-logs"
mkdir -p "$logs"

peak_log="$logs/gemm-peak.log"
measured_peak="$("$py" "$root/bench/pytorch/gemm_peak.py" --size 2048 --threads "$threads" --repeats 10 2>"$peak_log")"
peak_note="measured: float32 2048^3 torch.mm, $threads threads, best of 10"
[ -n "$gemm_peak" ] && peak_note="given by --gemm-peak (measured now: $measured_peak GFLOP/s, float32 2048^3 torch.mm, $threads threads)"
gemm_peak="${gemm_peak:-$measured_peak}"
torch_core="$(grep -m1 -o 'Core: .*' "$peak_log" || echo 'Core: (not reported)')"
{
  echo "# bench/vs-pytorch.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs;" \
       "threads $threads; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)};" \
       "OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)}; OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
  echo "PyTorch $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) on $py, BLAS" \
       "$(readlink -f "$(ldconfig -p | awk '/libopenblas.so.0 /{print $NF; exit}')" 2>/dev/null || echo '?'), $torch_core"
  echo "GEMM peak (MFU denominator): $gemm_peak GFLOP/s, $peak_note"
  echo "Sparkformer train.precision = $precision; PyTorch float32"
} | tee "$report" >&2
printf 'shape\tside\trep\ttokens_per_s\tms_per_step\tpeak_rss_mb\tloss\tvocab\tnd4j_peak\tcore\n' > "$raw"

# Tokens/s of a Spark run from its metrics.jsonl, without the first round (JIT, first task setup).
spark_rate() {
  "$py" - "$1" "$2" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
per_step = int(sys.argv[2])
prev, tokens, seconds = lines[0]["step"], 0.0, 0.0
for l in lines[1:]:
    n = l["step"] - prev
    prev = l["step"]
    tokens += n * per_step
    seconds += n * per_step / l["tokens_per_s"]
print(f"{tokens / seconds:.1f} {lines[-1]['train_loss']:.4f}")
EOF
}

for s in "${shape_list[@]}"; do
  read -r layers heads embed ctx batch steps <<< "$(shape_of "$s")"
  shape_set=(--set model.layers="$layers" --set model.heads="$heads" --set model.embedDim="$embed"
             --set model.contextLength="$ctx" --set train.steps="$steps" --set train.precision="$precision")
  for rep in $(seq 1 "$reps"); do
    tag="$s-$rep"
    echo "vs-pytorch: $s (${layers}L/${heads}H/${embed}, ctx $ctx, batch $batch, $steps steps) repetition $rep" >&2

    "$py" "$root/bench/pytorch/gpt.py" --corpus "$corpus" --layers "$layers" --heads "$heads" --embed "$embed" \
      --context "$ctx" --batch "$batch" --steps "$steps" --warmup 5 --threads "$threads" \
      >"$logs/$tag-pytorch.out" 2>"$logs/$tag-pytorch.log"
    "$py" - "$logs/$tag-pytorch.out" "$s" "$rep" "$(grep -m1 -o 'Core: .*' "$logs/$tag-pytorch.log" || echo '?')" >>"$raw" <<'EOF'
import json, sys
r = json.loads([l for l in open(sys.argv[1]) if l.startswith("RESULT ")][-1][7:])
print("\t".join([sys.argv[2], "pytorch", sys.argv[3], f"{r['tokens_per_s']:.1f}", f"{r['ms_per_step']:.1f}",
                 f"{r['peak_rss_mb']:.0f}", f"{r['loss_last10']:.4f}", str(r["vocab"]), "", sys.argv[4]]))
EOF

    "$root/submit/sparkformer" --master 'local[1]' bench --mode single --config "$root/conf/gpt-baby.conf" \
      --corpus "$corpus" --skip-validation "${shape_set[@]}" --set train.batchSize="$batch" \
      >"$logs/$tag-single.out" 2>"$logs/$tag-single.log"
    row="$(grep '^| single' "$logs/$tag-single.out")" || die "no result row from the single-JVM run; see $logs/$tag-single.log"
    printf '%s\tsingle\t%s\t%s\t%s\t%s\t\t\t%s\t%s\n' "$s" "$rep" \
      "$(sed -E 's/.*\| *([0-9,]+) tok\/s.*/\1/' <<< "$row" | tr -d ,)" \
      "$(sed -E 's/.*\| *([0-9.]+) ms\/step.*/\1/' <<< "$row")" \
      "$(sed -E 's/.*peak RSS ([0-9,]+) MB.*/\1/' <<< "$row" | tr -d ,)" \
      "$(sed -E 's/.*peak ([0-9]+) GFLOP\/s.*/\1/' <<< "$row")" \
      "$(grep -m1 -o 'Core: .*' "$logs/$tag-single.log" || echo '?')" >>"$raw"

    run="$out/$stamp-run-$tag"
    "$root/submit/sparkformer" --master "local[$threads]" bench --mode spark --config "$root/conf/gpt-baby.conf" \
      --corpus "$corpus" --out "$run" --skip-validation "${shape_set[@]}" --set spark.workers="$threads" \
      --set train.batchSize=$((batch / threads)) --set train.evalEvery="$steps" --set train.checkpointEvery="$steps" \
      >"$logs/$tag-spark.out" 2>"$logs/$tag-spark.log"
    row="$(grep '^| spark' "$logs/$tag-spark.out")" || die "no result row from the Spark run; see $logs/$tag-spark.log"
    read -r rate loss <<< "$(spark_rate "$run/metrics.jsonl" $((batch * ctx)))"
    printf '%s\tspark\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\n' "$s" "$rep" "$rate" \
      "$("$py" -c "print(f'{1000 * $batch * $ctx / $rate:.1f}')")" \
      "$(sed -E 's/.*peak RSS ([0-9,]+) MB.*/\1/' <<< "$row" | tr -d ,)" "$loss" \
      "$(sed -E 's/.*peak ([0-9]+) GFLOP\/s.*/\1/' <<< "$row")" \
      "$(grep -m1 -o 'Core: .*' "$logs/$tag-spark.log" || echo '?')" >>"$raw"
    rm -rf "$run"   # checkpoints of a speed run are not needed
  done
done

# The table: every run, then the mean per shape and side.
"$py" "$root/bench/pytorch/table.py" --peak "$gemm_peak" --threads "$threads" "$raw" | tee -a "$report"
echo "vs-pytorch: figures in $report (raw: $raw, logs: $logs)" >&2
