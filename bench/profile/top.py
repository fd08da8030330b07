#!/usr/bin/env python3
"""Summarises an async-profiler collapsed-stack file written with `threads` (bench/profile.sh).

Threads are grouped by name with numbers folded (a Spark local[N] run trains on N "Executor task
launch worker for task #" threads). The training threads are the group with the most samples under
io.sparkformer.model frames. Each of their samples in model code is charged to the deepest io.sparkformer frame of its stack and to the library
running below it (OpenBLAS, oneDNN, libnd4j, JVM), so the table reads as "where a step's wall time
goes". Other threads (OpenBLAS/OpenMP workers, JIT compilers, GC) are listed by total samples.
    python3 bench/profile/top.py FILE.collapsed [--top 30]
"""
import argparse
import collections
import re

MODEL = "io/sparkformer/model/"
OURS = "io/sparkformer/"
# Frames that only move data for their caller (charged to the caller) or wrap a lambda.
HELPERS = re.compile(r"VectorLoops\.(load|store|get|put)$|\$\$Lambda|\.lambda\$")


def library(frames):
    """The native library a stack's leaf part runs in, by symbol names (collapsed stacks carry no paths)."""
    for f in reversed(frames):
        if f.startswith(OURS):
            break
        low = f.lower()
        if "dnnl" in low or "brgemm" in low or "jit_uni" in low or "jit_avx" in low:
            return "oneDNN"
        if re.search(r"sgemm|dgemm|gemm_(kernel|oncopy|otcopy|incopy|itcopy|beta)|_skylakex|_haswell|blas_thread|exec_blas|openblas", low):
            return "OpenBLAS"
        if low.startswith("sd::") or "samediff" in low or "nd4j" in low or "nativeops" in low.replace("_", ""):
            return "libnd4j"
        if "gomp" in low or "omp_" in low:
            return "OpenMP"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()

    per_thread = collections.Counter()
    stacks = collections.defaultdict(list)   # thread -> [(frames, count)]
    for line in open(args.file):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        thread = re.sub(r"\d+", "#", re.sub(r" tid=\d+", "", frames[0].strip("[]")))
        n = int(count)
        per_thread[thread] += n
        stacks[thread].append((frames[1:], n))

    def model_samples(thread):
        return sum(n for frames, n in stacks[thread] if any(f.startswith(MODEL) for f in frames))

    trainer = max(stacks, key=model_samples)
    total = per_thread[trainer]
    in_model = model_samples(trainer)
    print(f"training thread(s) '{trainer}': {total} samples, {in_model} in model code "
          f"({100.0 * in_model / max(total, 1):.1f}%); shares below are of the model-code samples")

    by_frame = collections.Counter()
    by_library = collections.Counter()
    for frames, n in stacks[trainer]:
        if not any(f.startswith(MODEL) for f in frames):
            continue
        ours = [f for f in frames if f.startswith(OURS) and not HELPERS.search(f)]
        deepest = ours[-1].replace("/", ".").rsplit(".", 2)
        where = ".".join(deepest[-2:])
        # oneDNN is called through JNA: its frames sit below our OneDnn binding.
        lib = "oneDNN" if where.startswith("OneDnn.") else library(frames) or "Java"
        by_frame[f"{where} [{lib}]"] += n
        by_library[lib] += n

    print("\n| deepest Sparkformer frame [below it] | share |\n|---|---:|")
    for key, n in by_frame.most_common(args.top):
        print(f"| {key} | {100.0 * n / in_model:.1f}% |")
    print("\n| library below the deepest Sparkformer frame | share |\n|---|---:|")
    for key, n in by_library.most_common():
        print(f"| {key} | {100.0 * n / in_model:.1f}% |")
    print("\n| thread (all samples) | samples |\n|---|---:|")
    for thread, n in per_thread.most_common(12):
        print(f"| {thread} | {n} |")


if __name__ == "__main__":
    main()
