#!/usr/bin/env python3
"""Fits MemoryEstimate's per-token coefficients (floats per token) to bench/memory-fit.sh's TSV.

  forward  / N - logits          = L x (a C + b F + c H T) + h C          (GPT rows without dropout)
  block    / N                   = a' C + b' F + c' H T                   (one block's backward)
  (backward - V C) / N           = h' C                                    (the backward outside blocks)
  dropout: the extra of the dropout row, per (2C + H T), forward per block and backward once
  seq2seq: the decoder's cross-attention, per (C + H T), from the encoder-decoder rows given the above

Prints each coefficient and, per row, the refitted prediction against the measurement.
"""
import sys

import numpy as np

VOCAB = {"gpt": 65, "seq2seq": 300}
LOGITS = {"gpt": 4.2, "seq2seq": 4.6}


def rows(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            for k in ("C", "F", "H", "T", "L", "B", "forward", "backward", "block"):
                r[k] = float(r[k])
            r["dropout"] = float(r["dropout"])
            r["N"] = r["B"] * r["T"]
            r["V"] = VOCAB[r["family"]]
            yield r


def main(path):
    data = list(rows(path))
    gpt = [r for r in data if r["family"] == "gpt" and r["dropout"] == 0]
    fl = lambda r, key: r[key] / 4 / r["N"]                     # floats per token

    a = np.array([[r["L"] * r["C"], r["L"] * r["F"], r["L"] * r["H"] * r["T"], r["C"]] for r in gpt])
    y = np.array([fl(r, "forward") - LOGITS["gpt"] * r["V"] for r in gpt])
    fwd = np.linalg.lstsq(a, y, rcond=None)[0]
    a = np.array([[r["C"], r["F"], r["H"] * r["T"]] for r in gpt])
    y = np.array([fl(r, "block") for r in gpt])
    blk = np.linalg.lstsq(a, y, rcond=None)[0]
    y = np.array([(r["backward"] / 4 - r["V"] * r["C"]) / r["N"] / r["C"] for r in gpt])
    outer = float(np.mean(y))
    print("forward per block: %.2f C + %.2f F + %.2f H T;  forward head: %.2f C" % tuple(fwd))
    print("backward, one block: %.2f C + %.2f F + %.2f H T;  backward outside blocks: %.2f C" % (*blk, outer))

    def gpt_block(r, coef):
        return coef[0] * r["C"] + coef[1] * r["F"] + coef[2] * r["H"] * r["T"]

    base = next(r for r in data if r["name"] == "gpt")
    for r in data:
        if r["name"] == "gpt-drop":
            unit = 2 * r["C"] + r["H"] * r["T"]
            dfwd = (fl(r, "forward") - fl(base, "forward")) / r["L"] / unit
            dblk = (fl(r, "block") - fl(base, "block")) / unit
            print("dropout: forward per block %.2f (2C + H T), backward block %.2f (2C + H T)" % (dfwd, dblk))

    s2s = {r["name"]: r for r in data if r["family"] == "seq2seq"}
    if "s2s" in s2s and "s2s-L4" in s2s:
        r1, r4 = s2s["s2s"], s2s["s2s-L4"]
        per_layer = (fl(r4, "forward") - fl(r1, "forward")) / (r4["L"] - r1["L"])
        cross_fwd = per_layer - 2 * gpt_block(r1, fwd)
        unit = r1["C"] + r1["H"] * r1["T"]
        head = fl(r1, "forward") - LOGITS["seq2seq"] * r1["V"] - r1["L"] * per_layer
        cross_blk = fl(r1, "block") - gpt_block(r1, blk)
        outer_s2s = (r1["backward"] / 4 - r1["V"] * r1["C"]) / r1["N"] / r1["C"]
        print("seq2seq: cross forward per layer %.1f floats/token = %.2f (C + H T); forward head %.2f C;"
              " cross in the block backward %.2f (C + H T); backward outside blocks %.2f C"
              % (cross_fwd, cross_fwd / unit, head / r1["C"], cross_blk / unit, outer_s2s))

    print("\nrow\tforward meas/fit\tblock meas/fit")
    for r in gpt:
        f = r["L"] * gpt_block(r, fwd) + fwd[3] * r["C"] + LOGITS["gpt"] * r["V"]
        print("%s\t%.3f\t%.3f" % (r["name"], fl(r, "forward") / f, fl(r, "block") / gpt_block(r, blk)))


if __name__ == "__main__":
    main(sys.argv[1])
