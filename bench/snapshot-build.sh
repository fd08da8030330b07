#!/usr/bin/env bash
# Copies this checkout's current build (launcher, confs, job classes, the common jar and the
# classpath files, rewritten to the copy) to DEST, the "A" side for bench/ab.sh: build, snapshot,
# change, build again, then bench/ab.sh DEST "$PWD". ~1 MB; dependencies stay in ~/.m2.
#   bench/snapshot-build.sh DEST
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: bench/snapshot-build.sh DEST" >&2; exit 2; }
dest="$1"
[ -f "$root/job/target/classpath.txt" ] || { echo "snapshot-build: not built; run 'mvn -DskipTests package' first" >&2; exit 1; }
[ ! -e "$dest" ] || { echo "snapshot-build: $dest exists" >&2; exit 2; }
mkdir -p "$dest/job/target" "$dest/common/target"
cp -r "$root/submit" "$root/conf" "$dest/"
cp -r "$root/job/target/classes" "$dest/job/target/"
cp "$root"/common/target/sparkformer-common-*.jar "$dest/common/target/"
sed "s|$root/|$(cd "$dest" && pwd)/|g" "$root/job/target/classpath.txt" > "$dest/job/target/classpath.txt"
cp "$root/job/target/classpath-provided.txt" "$dest/job/target/"
git -C "$root" rev-parse --short HEAD > "$dest/COMMIT" 2>/dev/null || true
echo "snapshot-build: $dest ($(cat "$dest/COMMIT" 2>/dev/null || echo 'no git'))"
