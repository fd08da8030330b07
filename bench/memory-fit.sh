#!/usr/bin/env bash
# Issue 15: the measurements MemoryEstimate's coefficients are fitted to. One `sparkformer memory
# --measure` JVM per model variant (GPTs that vary one of C, F, H, T, L, B and dropout from the baby
# GPT, encoder-decoders that vary L and dropout; BERT is checked, not fitted, by
# bench/memory-estimate.sh), each workspace's
# reserved size printed apart: the forward's (DL4J's working memory: every block's activations and
# the logits), the backward's outside the blocks and one block's backward (reused by every block).
# Writes TSV to stdout; bench/memory/fit.py fits the per-token coefficients to it.
#   bench/memory-fit.sh > fit.tsv && python3 bench/memory/fit.py fit.tsv
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -f "$root/job/target/classpath.txt" ] || { echo "bench: not built: mvn -DskipTests package" >&2; exit 2; }
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
conf="$root/conf"
gpt="--config $conf/gpt-baby.conf --vocab 65"
s2s="--config $conf/seq2seq-tiny.conf --set model.embedDim=128 --set model.ffnDim=512 --set model.heads=4 --set model.layers=2 --set model.contextLength=48 --set train.batchSize=8"
# name | family | memory arguments
rows=(
  "gpt|gpt|$gpt"
  "gpt-C256|gpt|$gpt --set model.embedDim=256 --set model.ffnDim=512"
  "gpt-F1024|gpt|$gpt --set model.ffnDim=1024"
  "gpt-H8|gpt|$gpt --set model.heads=8"
  "gpt-T128|gpt|$gpt --set model.contextLength=128"
  "gpt-L8|gpt|$gpt --set model.layers=8"
  "gpt-B24|gpt|$gpt --set train.batchSize=24"
  "gpt-drop|gpt|$gpt --set model.dropout=0.1"
  "s2s|seq2seq|$s2s"
  "s2s-L4|seq2seq|$s2s --set model.layers=4"
  "s2s-drop|seq2seq|$s2s --set model.dropout=0.1"
)
printf 'name\tfamily\tC\tF\tH\tT\tL\tB\tdropout\tforward\tbackward\tblock\n'
for row in "${rows[@]}"; do
  IFS='|' read -r name family args <<< "$row"
  # shellcheck disable=SC2086
  out="$(SPARKFORMER_HEAP=4g SPARKFORMER_OFFHEAP=8g SPARKFORMER_MAXPHYSICAL=16g \
    "$root/submit/sparkformer" memory --measure $args 2>&1)" || { echo "memory-fit: $name failed" >&2; exit 1; }
  ws() { echo "$out" | awk -v id="$1" '$1 == "off-heap" && $4 == id { gsub(",", "", $5); print $5; exit }'; }
  val() { local key="$1" def="$2" v; v="$(echo "$args" | grep -o "model\.$key=[0-9.]*\|train\.$key=[0-9.]*" | tail -1 | cut -d= -f2)"; echo "${v:-$def}"; }
  c="$(val embedDim 128)"; f="$(val ffnDim $((4 * c)))"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$family" "$c" "$f" "$(val heads 4)" \
    "$(val contextLength 64)" "$(val layers 4)" "$(val batchSize 12)" "$(val dropout 0)" \
    "$(ws WS_LAYER_WORKING_MEM)" "$(ws SPARKFORMER_BACKWARD)" "$(ws SPARKFORMER_BACKWARD_BLOCK)"
done
