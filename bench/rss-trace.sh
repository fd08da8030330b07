#!/usr/bin/env bash
# Resident memory of one Sparkformer run over time: runs `submit/sparkformer ARGS...` (one JVM; the
# launcher execs java in its own process), samples VmRSS every second next to the last step in the
# run's metrics.jsonl and the process's thread count (columns: seconds, step, RSS MB, threads), and
# prints peak and median RSS from step FROM on (default 200).
#   bench/rss-trace.sh OUTFILE [--from STEP] [--nmt] [--nmt-every SECONDS] -- sparkformer ARGS...
#   (ARGS must include --out DIR for train)
# With --nmt the JVM runs with -XX:NativeMemoryTracking=summary and OUTFILE.nmt gets a
# `jcmd VM.native_memory summary` every 60 s (--nmt-every). Extra JVM flags: JDK_JAVA_OPTIONS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "rss-trace: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: $0 OUTFILE [--from STEP] [--nmt] -- sparkformer ARGS..."
outfile="$1"; shift
from=200; nmt=0; every=60
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case "$1" in
    --from) from="$2"; shift 2 ;;
    --nmt) nmt=1; shift ;;
    --nmt-every) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--nmt-every needs a number of seconds"; every="$2"; shift 2 ;;
    *) die "unknown option '$1'" ;;
  esac
done
[ "${1:-}" = -- ] || die "missing -- before the sparkformer arguments"; shift
rundir=""; prev=""
for a in "$@"; do [ "$prev" = --out ] && rundir="$a"; prev="$a"; done
[ "$nmt" = 1 ] && export JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:-} -XX:NativeMemoryTracking=summary"
: > "$outfile"; : > "$outfile.nmt"
"$root/submit/sparkformer" "$@" > "$outfile.stdout" 2> "$outfile.stderr" &
pid=$!
t0=$(date +%s); last_nmt=0
while kill -0 "$pid" 2>/dev/null; do
  rss="$(awk '/^VmRSS:/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || true)"
  threads="$(awk '/^Threads:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)"
  step=""
  [ -n "$rundir" ] && [ -f "$rundir/metrics.jsonl" ] && step="$(tail -1 "$rundir/metrics.jsonl" | grep -o '"step":[0-9]*' | cut -d: -f2 || true)"
  now=$(( $(date +%s) - t0 ))
  [ -n "$rss" ] && echo "$now ${step:-0} $rss ${threads:-0}" >> "$outfile"
  if [ "$nmt" = 1 ] && [ $((now - last_nmt)) -ge "$every" ] && [ "$(readlink /proc/$pid/exe 2>/dev/null)" != "$(readlink -f /bin/bash)" ]; then
    { echo "=== t=$now s step=${step:-0} rss=${rss} MB"; jcmd "$pid" VM.native_memory summary 2>&1 | grep -E '^-|Total' | head -40
      # resident memory by mapping: file-backed libraries by name, anonymous memory in one line
      awk '/^[0-9a-f]+-[0-9a-f]+ /{name = ($6 == "" ? "[anon]" : $6)} /^Rss:/{rss[name] += $2}
           END {for (n in rss) if (rss[n] >= 4096) printf "  smaps %-70s %6d MB\n", n, rss[n] / 1024}' "/proc/$pid/smaps" | sort -k3 -n -r | head -15
      # threads by name (digits folded), to see which pools grow
      cat /proc/"$pid"/task/*/comm 2>/dev/null | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -n -r \
        | awk '{c = $1; $1 = ""; printf "  threads %4d%s\n", c, $0}'
    } >> "$outfile.nmt" || true
    last_nmt=$now
  fi
  sleep 1
done
wait "$pid"; rc=$?
awk -v from="$from" '$2 >= from {print $3}' "$outfile" | sort -n | awk -v f="$from" '{a[NR]=$1} END {if (NR) printf "rss-trace: from step %d: median %d MB, peak %d MB (%d samples)\n", f, a[int((NR+1)/2)], a[NR], NR; else print "rss-trace: no samples past step " f}'
awk '{if ($3 > p) p = $3; if ($4 > t) t = $4} END {printf "rss-trace: whole run peak %d MB, %d s, at most %d threads\n", p, $1, t}' "$outfile"
exit $rc
