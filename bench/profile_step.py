"""Folds async-profiler's collapsed stacks of a training run (bench/profile-step.sh) into CPU shares:
by kind of code (OpenBLAS GEMM kernels, OpenBLAS threads idling, libnd4j, JVM, GC, JIT) and by the
innermost Sparkformer method on the stack (Linear.forward, Attention.backward, ...).
  python3 bench/profile_step.py FILE.collapsed
"""
import collections
import re
import sys


def kind(frames):
    text = ";".join(frames)
    leaf = frames[-1]
    if re.search(r"sgemm|dgemm|gemm_kernel|gemm_[a-z]copy|gemm_beta|sgemv|gemv_", text) and "libopenblas" not in leaf:
        return "OpenBLAS GEMM/GEMV"
    if "blas_thread_server" in text or "exec_blas" in text:
        return "OpenBLAS thread, not in a kernel (spin/yield)" if ("sched_yield" in text or "blas_thread_server" in text) else "OpenBLAS other"
    if "sched_yield" in leaf:
        return "sched_yield (other)"
    if re.search(r"GC|G1|Parallel|gc_|Gang", text) and not re.search(r"io/sparkformer", text):
        return "JVM GC"
    if re.search(r"CompileBroker|C2Compiler|C1Compiler", text):
        return "JIT"
    if re.search(r"sd::|functions::|samediff::|nd4j::|Nd4j|libnd4j|execCustomOp|exec[A-Z]", text) and "io/sparkformer" in text:
        return "libnd4j (element-wise, reductions, op calls)"
    if "io/sparkformer" in text:
        return "Java (model code, ND4J Java side)"
    return "other (JVM, Spark, I/O, startup)"


def owner(frames):
    for f in reversed(frames):
        m = re.match(r"(io/sparkformer/[\w/$]+)\.(\w+)", f)
        if m:
            return m.group(1).rsplit("/", 1)[-1] + "." + m.group(2)
    return "-"


def main():
    by_kind = collections.Counter()
    by_owner = collections.defaultdict(collections.Counter)
    total = 0
    for line in open(sys.argv[1]):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        n = int(n)
        frames = stack.split(";")
        k = kind(frames)
        by_kind[k] += n
        by_owner[owner(frames)][k] += n
        total += n
    print(f"{total} samples")
    print("| kind | share |")
    print("|---|---|")
    for k, n in by_kind.most_common():
        print(f"| {k} | {100 * n / total:.1f}% |")
    print("| innermost Sparkformer method | share | of which GEMM | libnd4j |")
    print("|---|---|---|---|")
    for o, c in sorted(by_owner.items(), key=lambda kv: -sum(kv[1].values()))[:25]:
        s = sum(c.values())
        print(f"| {o} | {100 * s / total:.1f}% | {100 * c['OpenBLAS GEMM/GEMV'] / total:.1f}% "
              f"| {100 * c['libnd4j (element-wise, reductions, op calls)'] / total:.1f}% |")


if __name__ == "__main__":
    main()
