"""Every matrix product PyTorch runs in one training step of bench/pytorch/gpt.py's GPT, from
torch.profiler: per (op, input shapes) the calls per step, CPU ms per step and per call; plus the whole
step's time and the share of the products. Counterpart of bench/gemm/GemmInventory.java.
  python3 bench/pytorch/gemm_inventory.py --layers 2 --heads 12 --embed 768 --context 64 --batch 16
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.profiler import profile, ProfilerActivity

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt import GPT  # noqa: E402

PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--layers", type=int, default=4)
    a.add_argument("--heads", type=int, default=4)
    a.add_argument("--embed", type=int, default=128)
    a.add_argument("--context", type=int, default=64)
    a.add_argument("--batch", type=int, default=12)
    a.add_argument("--vocab", type=int, default=65)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--steps", type=int, default=10, help="profiled steps (after 5 warm-up steps)")
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)
    model = GPT(args.vocab, args.context, args.embed, args.heads, args.layers, 0.0)
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=1e-4)

    def step():
        ids = torch.randint(0, args.vocab, (args.batch, args.context + 1))
        loss = model(ids[:, :-1], ids[:, 1:])
        for p in params:
            p.grad = None
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    plain_ms = 1000 * (time.perf_counter() - start) / args.steps
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(args.steps):
            step()
    rows = []
    total_ms = 0.0
    for e in prof.key_averages(group_by_input_shape=True):
        if e.key in PRODUCTS:
            ms = e.self_cpu_time_total / 1000 / args.steps
            total_ms += ms
            rows.append((e.key, str(e.input_shapes), e.count / args.steps, ms))
    rows.sort(key=lambda r: -r[3])
    print(f"# PyTorch {torch.__version__} GEMM inventory: {args.layers}L/{args.heads}H/{args.embed}, ctx {args.context}, "
          f"batch {args.batch}, vocab {args.vocab}, {args.threads} threads; mean over {args.steps} profiled steps")
    print("| op | input shapes | calls/step | ms/call | ms/step |")
    print("|---|---|---|---|---|")
    for key, shapes, calls, ms in rows:
        print(f"| {key} | {shapes} | {calls:g} | {ms / calls:.4f} | {ms:.2f} |")
    print(f"TOTAL products {total_ms:.1f} ms/step (self CPU time, profiled); whole step unprofiled {plain_ms:.1f} ms")


if __name__ == "__main__":
    main()
