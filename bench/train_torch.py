#!/usr/bin/python3
"""PyTorch counterpart of bench/bench_train.c: training epochs of the same systems (text,
audio, ef, lf with cold start; ef-pt, lf-pt on frozen branches; default sizes of
docs/models.md) on the same IEMOCAP-sized synthetic feature set: the lengths come from the
file written by `bench_train lengths` (one seeded generator for both programs), values are
standard normal, labels i % 4.

Two batching loops, the same masked model:
  padded    the paper's Keras way: shuffled minibatches, each zero-padded to its longest
            utterance, with a mask (padding zeroed after every layer, batch statistics
            and mean pooling over valid frames only)
  bucketed  what a careful PyTorch user writes: every epoch the shuffled utterances are
            sorted by length (audio frames when the system has audio, else tokens), cut
            into batches of consecutive lengths, and the batch order is shuffled; padding
            (and masking) only within a batch of similar lengths
Adam, class-weighted cross-entropy, dropout 0.5 at the input of L_A2. PT: branch tensors
frozen (requires_grad False) and run in inference mode (batch norm on running statistics,
no dropout: emofuse's semantics of a frozen block), fusion head trained (lf-pt lr 1e-2);
the branches run forward every step (no cache: this script does not get emofuse's PT
cache treatment), like bench_train's main PT line.
A warm-up of a few steps runs before the timed epochs.
usage: /usr/bin/python3 bench/train_torch.py SYSTEM[-cs|-pt] [utts [epochs [batch [threads]]]]
           --lengths FILE [--loop padded|bucketed] [--warmup STEPS]"""
import argparse
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("system")
ap.add_argument("utts", nargs="?", type=int, default=5531)
ap.add_argument("epochs", nargs="?", type=int, default=1)
ap.add_argument("batch", nargs="?", type=int, default=32)
ap.add_argument("threads", nargs="?", type=int, default=1)
ap.add_argument("--lengths", required=True, help="file of 'frames tokens' lines (bench_train lengths)")
ap.add_argument("--loop", choices=("padded", "bucketed"), default="padded")
ap.add_argument("--warmup", type=int, default=10, help="untimed steps before the timed epochs")
args = ap.parse_args()
SYSTEM, _, STRAT = args.system.partition("-")
STRAT = STRAT or "cs"
assert SYSTEM in ("text", "audio", "ef", "lf") and STRAT in ("cs", "pt"), args.system
assert STRAT == "cs" or SYSTEM in ("ef", "lf"), "pt needs a fusion system"
N, EPOCHS, BATCH, THREADS = args.utts, args.epochs, args.batch, args.threads
torch.set_num_threads(THREADS)
torch.manual_seed(1)
DT, DA, K = 768, 36, 4
U, F1, F2, KT = 128, 128, 128, 3        # text: L_T1 units, L_T2/L_T3 filters, kernel
A1, A2, KA = 104, 104, 5                 # audio: L_A1/L_A2 filters, kernel
H = 128
PT = STRAT == "pt"

lens = np.loadtxt(args.lengths, dtype=np.int64, ndmin=2)
assert lens.shape[0] >= N, f"{args.lengths}: {lens.shape[0]} lengths, need {N}"
audio_T, text_T = lens[:N, 0].tolist(), lens[:N, 1].tolist()
need_text, need_audio = SYSTEM != "audio", SYSTEM != "text"
rng = np.random.default_rng(7)
text = [rng.standard_normal((t, DT), dtype=np.float32) for t in text_T] if need_text else None
audio = [rng.standard_normal((t, DA), dtype=np.float32) for t in audio_T] if need_audio else None
labels = torch.tensor([i % K for i in range(N)])


def glorot(*shape, fan_in, fan_out, frozen=False):
    lim = (6.0 / (fan_in + fan_out)) ** 0.5
    return torch.nn.Parameter(torch.empty(*shape).uniform_(-lim, lim), requires_grad=not frozen)


def zeros(c, frozen=False):
    return torch.nn.Parameter(torch.zeros(c), requires_grad=not frozen)


def bn_params(c, frozen=False):
    return [torch.nn.Parameter(torch.ones(c), requires_grad=not frozen), zeros(c, frozen)]


P = {}
fz = PT  # branch tensors frozen under pt
if need_text:
    P["t1"] = [glorot(U, DT, fan_in=DT, fan_out=U, frozen=fz), zeros(U, fz)] + bn_params(U, fz)
    P["t2"] = [glorot(F1, U, KT, fan_in=U * KT, fan_out=F1 * KT, frozen=fz), zeros(F1, fz)] + bn_params(F1, fz)
    P["t3"] = [glorot(F2, F1, KT, fan_in=F1 * KT, fan_out=F2 * KT, frozen=fz), zeros(F2, fz)] + bn_params(F2, fz)
    if SYSTEM != "ef":
        P["tout"] = [glorot(K, F2, fan_in=F2, fan_out=K, frozen=fz), zeros(K, fz)]
if need_audio:
    P["a1"] = [glorot(A1, DA, KA, fan_in=DA * KA, fan_out=A1 * KA, frozen=fz), zeros(A1, fz)] + bn_params(A1, fz)
    P["a2"] = [glorot(A2, A1, KA, fan_in=A1 * KA, fan_out=A2 * KA, frozen=fz), zeros(A2, fz)] + bn_params(A2, fz)
    if SYSTEM != "ef":
        P["aout"] = [glorot(K, A2, fan_in=A2, fan_out=K, frozen=fz), zeros(K, fz)]
if SYSTEM == "ef":
    P["hid"] = [glorot(H, F2 + A2, fan_in=F2 + A2, fan_out=H), zeros(H)]
    P["out"] = [glorot(K, H, fan_in=H, fan_out=K), zeros(K)]
if SYSTEM == "lf":
    P["out"] = [glorot(K, 2 * K, fan_in=2 * K, fan_out=K), zeros(K)]
# BN running statistics of the (pre-trained) branches: 0 / 1, as emofuse's untrained ones.
RUN = {k: (torch.zeros(v[0].shape[0]), torch.ones(v[0].shape[0])) for k, v in P.items() if len(v) == 4}
params = [p for v in P.values() for p in v if p.requires_grad]
opt = torch.optim.Adam(params, lr=1e-2 if (PT and SYSTEM == "lf") else 7e-4, eps=1e-7)


def masked_bn_relu(x, m, cnt, layer):
    """x (B, C, T), m (B, 1, T): batch statistics over the valid frames only; frozen
    (pt) layers normalise with the running statistics."""
    g, b = P[layer][2], P[layer][3]
    if PT:
        mean, var = (s[None, :, None] for s in RUN[layer])
    else:
        mean = (x * m).sum((0, 2), keepdim=True) / cnt
        var = (((x - mean) * m) ** 2).sum((0, 2), keepdim=True) / cnt
    y = (x - mean) * torch.rsqrt(var + 1e-3) * g[None, :, None] + b[None, :, None]
    return torch.relu(y) * m


def conv(x, w, b, k):
    return F.conv1d(F.pad(x, ((k - 1) // 2, k // 2)), w, b)


def pad(seqs, ids, D):
    lens = torch.tensor([seqs[i].shape[0] for i in ids])
    T = int(lens.max())
    x = np.zeros((len(ids), T, D), np.float32)
    for j, i in enumerate(ids):
        x[j, : seqs[i].shape[0]] = seqs[i]
    m = (torch.arange(T)[None, :] < lens[:, None]).float()[:, None, :]
    return torch.from_numpy(x).transpose(1, 2), m, lens


def text_branch(ids):
    x, m, lens = pad(text, ids, DT)
    cnt = m.sum()
    w, b = P["t1"][:2]
    h = masked_bn_relu(torch.einsum("bct,uc->but", x, w) + b[None, :, None], m, cnt, "t1")
    h = masked_bn_relu(conv(h, *P["t2"][:2], KT), m, cnt, "t2")
    h = masked_bn_relu(conv(h, *P["t3"][:2], KT), m, cnt, "t3")
    return h.sum(2) / lens[:, None]


def audio_branch(ids):
    x, m, lens = pad(audio, ids, DA)
    cnt = m.sum()
    h = masked_bn_relu(conv(x, *P["a1"][:2], KA), m, cnt, "a1")
    if not PT:  # a frozen block runs in inference mode, its input dropout included
        h = F.dropout(h, 0.5, True)
    h = masked_bn_relu(conv(h, *P["a2"][:2], KA), m, cnt, "a2")
    return h.sum(2) / lens[:, None]


def forward(ids):
    if SYSTEM == "text":
        return F.linear(text_branch(ids), *P["tout"])
    if SYSTEM == "audio":
        return F.linear(audio_branch(ids), *P["aout"])
    t, a = text_branch(ids), audio_branch(ids)
    if SYSTEM == "ef":
        return F.linear(torch.relu(F.linear(torch.cat([t, a], 1), *P["hid"])), *P["out"])
    return F.linear(torch.cat([F.linear(t, *P["tout"]), F.linear(a, *P["aout"])], 1), *P["out"])


key = np.array(audio_T if need_audio else text_T)


def batches():
    """The minibatches (lists of utterance indices) of one epoch."""
    perm = torch.randperm(N).numpy()
    if args.loop == "bucketed":
        perm = perm[np.argsort(key[perm], kind="stable")]  # by length, ties in random order
        bs = [perm[s: s + BATCH].tolist() for s in range(0, N, BATCH)]
        return [bs[i] for i in torch.randperm(len(bs)).tolist()]
    return [perm[s: s + BATCH].tolist() for s in range(0, N, BATCH)]


counts = torch.bincount(labels, minlength=K).float()
cw = N / (K * counts)


def step(ids):
    y = labels[ids]
    logits = forward(ids)
    loss = (cw[y] * F.cross_entropy(logits, y, reduction="none")).sum() / len(ids)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


for ids in batches()[: args.warmup]:
    step(ids)
padded_rows = 0
t0, c0 = time.perf_counter(), time.process_time()
for ep in range(EPOCHS):
    total = 0.0
    for ids in batches():
        total += step(ids) * len(ids)
        padded_rows += len(ids) * int(key[ids].max())
dt, dc = (time.perf_counter() - t0) / EPOCHS, (time.process_time() - c0) / EPOCHS
pad_x = padded_rows / EPOCHS / float(key.sum())
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(f"pytorch {args.system:6s} {args.loop}: {N} utts, batch {BATCH}, {THREADS} threads, warm-up {args.warmup} steps, "
      f"{pad_x:.2f}x rows after padding: {dt:.3f} s/epoch, cpu {dc:.3f} s/epoch (loss {total / N:.4f}, "
      f"peak rss {rss:.0f} MB)")
