"""PyTorch-CPU reference of Sparkformer's GPT (conf/gpt-baby.conf), for bench/vs-pytorch.sh.

Our own minimal GPT, written to train exactly what Sparkformer trains, so that tokens/s compare
like with like. Run it with Debian's interpreter (bench/pytorch/install.sh):
    /usr/bin/python3 bench/pytorch/gpt.py --corpus input.txt --layers 4 --heads 4 --embed 128 \
        --context 64 --batch 12 --steps 300 --warmup 5 --threads 2
It prints one human-readable line and one "RESULT {json}" line (tokens/s, ms/step, peak RSS, loss).
Dimensions in comments: B batch, T context, C embed, H heads, D = C / H, V vocabulary.

Same as Sparkformer (read from common/src/main/java/io/sparkformer, 2026-12-02):
- Architecture (model/gpt/GptModel, model/layer/TransformerStack, model/nn/TransformerBlock):
  learned token + position embeddings, no embedding scaling; pre-LayerNorm blocks
  x + attn(LN1(x)), x + mlp(LN2(x)); fused qkv projection with bias; output projection with bias;
  MLP C -> 4C -> C with biases and GELU in its tanh form; final LayerNorm (eps 1e-5, gain and
  bias); logits = h wte^T (tied, no output bias); mean token cross-entropy.
- Attention (model/nn/Attention, AttentionMask): softmax(q k^T / sqrt(D) + bias) v with an
  additive causal bias of -1e9.
- Dropout (model/nn/Dropout): on the embedding sum, the attention probabilities and both
  residual branches (0.0 in gpt-baby.conf, so inactive by default).
- Init (model/layer/NamedParamInitializer): normal(0, 0.02) for wte, wpe, qkv and fc weights;
  normal(0, 0.02 / sqrt(2 L)) for the two residual projections (attn.proj, mlp.proj); biases 0,
  LayerNorm gains 1.
- AdamW (model/layer/WholeModelGraph, model/optim/LoopAdamUpdater, DL4J WeightDecay(applyLR=true)):
  beta1 0.9, beta2 0.99, eps 1e-8 in libnd4j's form
      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
      p -= lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)  +  lr * wd * p
  with wd = 0.1 on every matrix (wte, wpe and all Linear weights; DL4J's "weight" params) and not
  on biases or LayerNorm parameters. Implemented below with torch._foreach ops.
- Gradient clipping (DL4J ClipL2PerLayer on the one whole-model layer = a global clip): if the
  global L2 norm exceeds 1.0, all gradients are scaled by 1.0 / norm.
- Schedule (train/WarmupCosineSchedule): lr(i) = peak (i+1)/(warmup+1) for i < warmup, then cosine
  from peak to floor at decay steps (= --steps, as train.decaySteps = 0), then floor; i zero-based.
  gpt-baby.conf: peak 2e-3, floor 2e-4, warmup 100.
- Data (tokenize/CharTokenizer, data/BatchPlan, data/Batches, job/bench/BenchCommand single mode):
  the corpus decoded as UTF-8 (a leading BOM dropped), vocabulary = its distinct code points in
  ascending order; the last floor(0.1 n) tokens are validation; window starts of step s, row r are
  SplitMix64 hashes of the sequence index s*B + r with seed 1337 (BatchPlan.windowStart), so both
  sides read the very same batches; x = window[0:T], y = window[1:T+1].

Differences (none of them changes the work per step):
- Random numbers: PyTorch's generator, not ND4J's, draws the initial weights (same distributions)
  and dropout masks; losses agree statistically, not bit for bit.
- nn.Linear stores W as [out, in] (ours [in, out], GPT-2's Conv1D layout): the same matrix
  products with the other operand transposed.
- Our forward/backward is hand-written on ND4J; here autograd computes the same gradients.
- Our token-embedding gradient sums repeated ids in double precision (model/nn/Embedding), PyTorch
  in float: rounding only.
- Our clip compares against the norm exactly; torch.nn.utils.clip_grad_norm_ would add 1e-6 to the
  norm, so the clip is written out below instead.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    sys.exit(f"gpt.py: cannot import torch under {sys.executable} ({e}); run bench/pytorch/install.sh "
             "and use /usr/bin/python3 (Debian's python3-torch)")

MASK64 = (1 << 64) - 1


def mix(z):
    """SplitMix64's finaliser on 64-bit two's complement values, as BatchPlan.mix (Java long)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def signed(z):
    return z - (1 << 64) if z >= (1 << 63) else z


def window_start(seed, sequence_index, context, train_tokens):
    """BatchPlan.windowStart: floorMod(mix(seed ^ mix(index + golden)), trainTokens - context)."""
    h = mix((seed & MASK64) ^ mix(sequence_index + 0x9E3779B97F4A7C15))
    return signed(h) % (train_tokens - context)


def load_corpus(path):
    with open(path, "rb") as f:
        raw = f.read()
    if b"\0" in raw:
        sys.exit(f"gpt.py: corpus {path} looks binary (NUL byte)")
    text = raw.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    ids = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    val = int(math.floor(len(ids) * 0.1))
    return ids[:len(ids) - val], ids[len(ids) - val:], len(chars)


class Block(nn.Module):
    def __init__(self, c, heads, dropout, eps):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(c, eps=eps)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c, eps=eps)
        self.fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)                       # (B, T, C) each
        q = q.view(b, t, h, d).transpose(1, 2)                                 # (B, H, T, D)
        k = k.view(b, t, h, d).transpose(1, 2)
        v = v.view(b, t, h, d).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d)) + bias       # (B, H, T, T)
        att = self.drop(F.softmax(scores, dim=-1)) @ v                         # (B, H, T, D)
        att = att.transpose(1, 2).contiguous().view(b, t, c)                   # (B, T, C)
        x = x + self.drop(self.proj(att))
        return x + self.drop(self.mlp_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh")))


class GPT(nn.Module):
    def __init__(self, vocab, context, c, heads, layers, dropout, eps=1e-5):
        super().__init__()
        if c % heads != 0:
            raise ValueError(f"embedding size ({c}) is not divisible by head count ({heads})")
        self.wte = nn.Parameter(torch.empty(vocab, c))
        self.wpe = nn.Parameter(torch.empty(context, c))
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(c, heads, dropout, eps) for _ in range(layers)])
        self.lnf = nn.LayerNorm(c, eps=eps)
        causal = torch.triu(torch.full((context, context), -1e9), diagonal=1)
        self.register_buffer("bias", causal, persistent=False)                 # (T, T) additive
        residual_std = 0.02 / math.sqrt(2.0 * layers)
        for name, p in self.named_parameters():
            if p.dim() == 1:                                                   # LayerNorm gain 1, biases 0
                nn.init.constant_(p, 1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("proj.weight"):                                 # proj and mlp_proj
                nn.init.normal_(p, 0.0, residual_std)
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids, targets):
        b, t = ids.shape
        x = self.drop(self.wte[ids] + self.wpe[:t])                            # (B, T, C)
        bias = self.bias[:t, :t]
        for block in self.blocks:
            x = block(x, bias)
        logits = self.lnf(x) @ self.wte.t()                                    # (B, T, V)
        return F.cross_entropy(logits.reshape(b * t, -1), targets.reshape(b * t))


class DL4JAdamW:
    """libnd4j's Adam update plus DL4J's post-updater weight decay (see the module docstring)."""

    def __init__(self, params, beta1, beta2, eps, weight_decay):
        self.params = list(params)
        self.decayed = [p for p in self.params if p.dim() >= 2]
        self.b1, self.b2, self.eps, self.wd = beta1, beta2, eps, weight_decay
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, iteration, lr):
        grads = [p.grad for p in self.params]
        alpha = lr * math.sqrt(1 - self.b2 ** (iteration + 1)) / (1 - self.b1 ** (iteration + 1))
        torch._foreach_mul_(self.m, self.b1)
        torch._foreach_add_(self.m, grads, alpha=1 - self.b1)
        torch._foreach_mul_(self.v, self.b2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.b2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_add_(denom, self.eps)
        if self.wd > 0:                                                        # p -= lr wd p (old p)
            torch._foreach_mul_(self.decayed, 1 - lr * self.wd)
        torch._foreach_addcdiv_(self.params, self.m, denom, value=-alpha)


def clip_global_norm(params, max_norm):
    grads = [p.grad for p in params]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item()
    if max_norm > 0 and norm > max_norm:
        torch._foreach_mul_(grads, max_norm / norm)
    return norm


def learning_rate(i, peak, floor, warmup, decay):
    if i < warmup:
        return peak * (i + 1) / (warmup + 1)
    if i >= decay:
        return floor
    ratio = (i - warmup) / max(1, decay - warmup)
    return floor + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (peak - floor)


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@torch.no_grad()
def full_validation(model, val, context, batch=64):
    """Mean loss over every non-overlapping window of the validation split (Batches.nonOverlappingStarts)."""
    model.eval()
    count = (len(val) - 1) // context
    total = 0.0
    for start in range(0, count, batch):
        rows = range(start, min(count, start + batch))
        x = torch.stack([val[r * context:r * context + context] for r in rows])
        y = torch.stack([val[r * context + 1:r * context + context + 1] for r in rows])
        total += model(x, y).item() * len(rows)
    model.train()
    return total / count


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--corpus", required=True)
    a.add_argument("--layers", type=int, default=4)
    a.add_argument("--heads", type=int, default=4)
    a.add_argument("--embed", type=int, default=128)
    a.add_argument("--context", type=int, default=64)
    a.add_argument("--batch", type=int, default=12)
    a.add_argument("--steps", type=int, default=2000, help="optimizer steps (also the cosine's decay steps)")
    a.add_argument("--warmup", type=int, default=5, help="first steps excluded from timing")
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--dropout", type=float, default=0.0)
    a.add_argument("--lr", type=float, default=2e-3)
    a.add_argument("--min-lr", type=float, default=2e-4)
    a.add_argument("--lr-warmup", type=int, default=100, help="train.warmupSteps")
    a.add_argument("--weight-decay", type=float, default=0.1)
    a.add_argument("--clip", type=float, default=1.0)
    a.add_argument("--seed", type=int, default=1337)
    a.add_argument("--full-validation", action="store_true", help="full validation loss after training")
    args = a.parse_args()
    if not os.path.isfile(args.corpus):
        print(f"gpt.py: corpus {args.corpus} not found", file=sys.stderr)
        sys.exit(2)
    if not 0 <= args.warmup < args.steps:
        print(f"gpt.py: --warmup ({args.warmup}) must be in [0, --steps ({args.steps}))", file=sys.stderr)
        sys.exit(2)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, val, vocab = load_corpus(args.corpus)
    model = GPT(vocab, args.context, args.embed, args.heads, args.layers, args.dropout)
    params = list(model.parameters())
    opt = DL4JAdamW(params, 0.9, 0.99, 1e-8, args.weight_decay)
    t, b = args.context, args.batch
    offsets = torch.arange(t + 1)

    losses = []
    timed_start = None
    for step in range(args.steps):
        if step == args.warmup:
            timed_start = time.perf_counter()
        starts = torch.tensor([window_start(args.seed, step * b + r, t, len(train)) for r in range(b)])
        window = train[starts[:, None] + offsets]                              # (B, T+1)
        loss = model(window[:, :-1], window[:, 1:])
        for p in params:
            p.grad = None
        loss.backward()
        clip_global_norm(params, args.clip)
        opt.step(step, learning_rate(step, args.lr, args.min_lr, args.lr_warmup, args.steps))
        losses.append(loss.item())
    seconds = time.perf_counter() - timed_start
    timed = args.steps - args.warmup
    result = {
        "side": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in params), "vocab": vocab,
        "tokens_per_s": timed * b * t / seconds, "ms_per_step": 1000 * seconds / timed,
        "peak_rss_mb": peak_rss_mb(), "loss_last10": sum(losses[-10:]) / len(losses[-10:]),
        "loss_first": losses[0],
    }
    if args.full_validation:
        result["val_loss"] = full_validation(model, val, t)
    print(f"pytorch {args.layers}L/{args.heads}H/{args.embed} ctx {t} batch {b}: {result['tokens_per_s']:,.0f} tok/s, "
          f"{result['ms_per_step']:.1f} ms/step, peak RSS {result['peak_rss_mb']:,.0f} MB, "
          f"loss {result['loss_first']:.3f} -> {result['loss_last10']:.3f}", file=sys.stderr)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
