#!/usr/bin/env bash
# Would a newer OpenBLAS make our matrix products faster? Times cblas_sgemm (bench/blas/sgemm.py) on
# the benchmark shapes' products in three libraries, interleaved (A B C A B C ...), same kernels,
# threads and wait policy as bench/vs-pytorch.sh: ND4J's own (org.bytedeco:openblas 0.3.19-1.5.7, the
# one Sparkformer runs), Debian's (0.3.21, the one bench/vs-pytorch.sh's PyTorch runs; from
# bench/pytorch/install.sh) and the newest org.bytedeco build on Maven Central (0.3.31-1.5.13).
#   bench/openblas-versions.sh [--reps 2] [--threads 2]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/common.sh"
die() { echo "openblas-versions: $*" >&2; exit 2; }
reps=2; threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --reps)    [ $# -ge 2 ] || die "--reps needs a value"; reps="$2"; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done
py=/usr/bin/python3
"$py" -c 'import numpy' 2>/dev/null || { echo "openblas-versions: numpy missing; run bench/pytorch/install.sh" >&2; exit 1; }
debian=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0
[ -f "$debian" ] || { echo "openblas-versions: $debian missing; run bench/pytorch/install.sh" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bytedeco() {   # version -> its libopenblas.so.0, from Maven Central
  (cd "$root" && mvn -B -q -ntp -Dstyle.color=never dependency:copy -Dartifact="org.bytedeco:openblas:$1:jar:linux-x86_64" \
    -DoutputDirectory="$work" >/dev/null)
  unzip -q -o "$work/openblas-$1-linux-x86_64.jar" -d "$work/$1"
  echo "$work/$1/org/bytedeco/openblas/linux-x86_64/libopenblas.so.0"
}
libs=("$(bytedeco 0.3.19-1.5.7)" "$debian" "$(bytedeco 0.3.31-1.5.13)")
bench_env "$root" "$threads"
for rep in $(seq 1 "$reps"); do
  for lib in "${libs[@]}"; do
    echo "== repetition $rep"
    "$py" "$root/bench/blas/sgemm.py" "$lib"
  done
done | tee "$work/runs.txt"
# Per library: the fastest time of each product over all repetitions, and their sum per shape group.
"$py" - "$work/runs.txt" <<'PY'
import re, sys, collections
best = collections.defaultdict(dict)
lib = None
for line in open(sys.argv[1]):
    m = re.match(r"library (\S+):", line)
    if m:
        v = re.search(r"/([0-9.]+-[0-9.]+)/org/bytedeco/", m.group(1))
        lib = f"org.bytedeco:openblas {v.group(1)}" if v else m.group(1)
        continue
    m = re.match(r"(\S+ \S+): min ([0-9.]+) ms", line)
    if m and lib:
        best[lib][m.group(1)] = min(best[lib].get(m.group(1), 1e9), float(m.group(2)))
print("\nsum of the fastest times (ms): baby products (first 8) | larger products (last 3)")
for lib, times in best.items():
    t = list(times.values())
    print(f"  {lib}: {sum(t[:8]):.3f} | {sum(t[8:]):.2f}")
PY
