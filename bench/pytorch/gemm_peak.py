"""Single-precision GEMM peak of this machine through PyTorch (Debian's OpenBLAS), the MFU denominator
of bench/vs-pytorch.sh:  /usr/bin/python3 bench/pytorch/gemm_peak.py --size 2048 --threads 2
Prints the best of several timed n^3 products in GFLOP/s (2 n^3 FLOPs each)."""
import argparse
import sys
import time

try:
    import torch
except ImportError as e:
    sys.exit(f"gemm_peak.py: cannot import torch under {sys.executable} ({e}); run bench/pytorch/install.sh")

a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
a.add_argument("--size", type=int, default=2048)
a.add_argument("--threads", type=int, default=2)
a.add_argument("--repeats", type=int, default=5)
args = a.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
n = args.size
x, y = torch.rand(n, n), torch.rand(n, n)
out = torch.empty(n, n)
for _ in range(2):
    torch.mm(x, y, out=out)
best = float("inf")
for _ in range(args.repeats):
    t0 = time.perf_counter()
    torch.mm(x, y, out=out)
    best = min(best, time.perf_counter() - t0)
print(f"{2.0 * n ** 3 / best / 1e9:.1f}")
