"""The summary table of bench/vs-pytorch.sh from its raw TSV files (one or more, e.g. runs of several
invocations): every repetition, the mean per shape and side, ms/step, MFU, peak RSS, ratio to PyTorch.
    python3 bench/pytorch/table.py --peak GFLOPS [--threads 2] RUN.tsv [RUN.tsv...]
Shape names are those of bench/vs-pytorch.sh; MFU = model FLOPs per token x tokens/s / peak, the FLOPs
counted as job/bench/FlopCount (nanoGPT's estimate: 6 N + 12 L C T, N without the position table)."""
import argparse
import csv

SHAPES = {"baby": (4, 4, 128, 64, 12), "10m": (6, 6, 384, 256, 8), "gemm": (2, 12, 768, 64, 16)}


def flops_per_token(vocab, layers, c, t):
    per_block = 4 * c + (3 * c * c + 3 * c) + (c * c + c) + (4 * c * c + 4 * c) + (4 * c * c + c)
    n = vocab * c + layers * per_block + 2 * c
    return 6.0 * n + 12.0 * layers * c * t, n


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--peak", type=float, required=True, help="GEMM peak in GFLOP/s")
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("raw", nargs="+")
    args = a.parse_args()
    rows = [r for f in args.raw for r in csv.DictReader(open(f), delimiter="\t")]
    vocab = int(next(r["vocab"] for r in rows if r["vocab"]))
    names = list(dict.fromkeys(r["shape"] for r in rows))
    t = args.threads
    side_name = {"pytorch": f"PyTorch, {t} threads", "single": f"Sparkformer single JVM, 1 x {t} threads",
                 "spark": f"Sparkformer local[{t}], {t} x 1 thread"}
    print()
    print("| shape | side | runs: tok/s | mean tok/s | ms/step | MFU | peak RSS | x PyTorch | train loss (last) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        layers, heads, c, ctx, batch = SHAPES[name]
        fpt, n = flops_per_token(vocab, layers, c, ctx)
        label = f"{layers}L/{heads}H/{c}, ctx {ctx}, batch {batch} ({batch * ctx:,} tok/step, {n / 1e6:.2f} M)"
        means = {}
        for side in ("pytorch", "single", "spark"):
            rs = [r for r in rows if r["shape"] == name and r["side"] == side]
            if not rs:
                continue
            rates = [float(r["tokens_per_s"]) for r in rs]
            mean = sum(rates) / len(rates)
            means[side] = mean
            rss = [float(r["peak_rss_mb"]) / 1024 for r in rs]
            losses = sorted({r["loss"] for r in rs if r["loss"]})
            ratio = f"{mean / means['pytorch']:.2f}x" if "pytorch" in means else "-"
            print(f"| {label} | {side_name[side]} | {' / '.join(f'{x:,.0f}' for x in rates)} | {mean:,.0f} | "
                  f"{1000 * batch * ctx / mean:,.0f} | {100 * fpt * mean / (args.peak * 1e9):.1f}% | "
                  f"{min(rss):.2f}-{max(rss):.2f} GB | {ratio} | {' / '.join(losses) or '-'} |")
            label = ""
    nd4j = sorted({int(r["nd4j_peak"]) for r in rows if r["nd4j_peak"]})
    cores = sorted({f"{r['side']}: {r['core']}" for r in rows})
    print()
    print(f"MFU against {args.peak:.0f} GFLOP/s. ND4J's own GEMM peak, measured by each Sparkformer run "
          f"(1024^3, all cores): {min(nd4j)}-{max(nd4j)} GFLOP/s." if nd4j else f"MFU against {args.peak:.0f} GFLOP/s.")
    print(f"OpenBLAS kernels reported (OPENBLAS_VERBOSE=2): {'; '.join(cores)}.")


if __name__ == "__main__":
    main()
