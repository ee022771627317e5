#!/usr/bin/python3
"""PyTorch counterpart of bench/bench_train.c: one training epoch of the same systems
(text, audio, ef, lf; default sizes of docs/models.md) on the same IEMOCAP-sized synthetic
feature set (same length formula), the way the paper's Keras models run: each minibatch
zero-padded to its longest sequence, with a mask (padding zeroed after every layer, batch
statistics and mean pooling over valid frames only). Adam, class-weighted cross-entropy,
dropout 0.5 at the input of L_A2.
usage: /usr/bin/python3 bench/train_torch.py SYSTEM [utts [epochs [batch [threads]]]]"""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

SYSTEM = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 5531
EPOCHS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
BATCH = int(sys.argv[4]) if len(sys.argv) > 4 else 32
THREADS = int(sys.argv[5]) if len(sys.argv) > 5 else 1
torch.set_num_threads(THREADS)
torch.manual_seed(1)
DT, DA, K = 768, 36, 4
U, F1, F2, KT = 128, 128, 128, 3        # text: L_T1 units, L_T2/L_T3 filters, kernel
A1, A2, KA = 104, 104, 5                 # audio: L_A1/L_A2 filters, kernel
H = 128


def hash_u(i, mult):
    return ((i * mult + 12345) & 0xFFFFFFFF) / 4294967296.0


idx = np.arange(N, dtype=np.uint64)
text_T = [2 + int(58.0 * hash_u(i, 2246822519) ** 2.22) for i in range(N)]
audio_T = [100 + int(1900.0 * hash_u(i, 2654435761) ** 4.43) for i in range(N)]
need_text, need_audio = SYSTEM != "audio", SYSTEM != "text"
rng = np.random.default_rng(7)
text = [rng.standard_normal((t, DT), dtype=np.float32) for t in text_T] if need_text else None
audio = [rng.standard_normal((t, DA), dtype=np.float32) for t in audio_T] if need_audio else None
labels = torch.tensor([i % K for i in range(N)])


def glorot(*shape, fan_in, fan_out):
    lim = (6.0 / (fan_in + fan_out)) ** 0.5
    return torch.nn.Parameter(torch.empty(*shape).uniform_(-lim, lim))


def bn_params(c):
    return [torch.nn.Parameter(torch.ones(c)), torch.nn.Parameter(torch.zeros(c))]


P = {}
if need_text:
    P["t1"] = [glorot(U, DT, fan_in=DT, fan_out=U), torch.nn.Parameter(torch.zeros(U))] + bn_params(U)
    P["t2"] = [glorot(F1, U, KT, fan_in=U * KT, fan_out=F1 * KT), torch.nn.Parameter(torch.zeros(F1))] + bn_params(F1)
    P["t3"] = [glorot(F2, F1, KT, fan_in=F1 * KT, fan_out=F2 * KT), torch.nn.Parameter(torch.zeros(F2))] + bn_params(F2)
    if SYSTEM != "ef":
        P["tout"] = [glorot(K, F2, fan_in=F2, fan_out=K), torch.nn.Parameter(torch.zeros(K))]
if need_audio:
    P["a1"] = [glorot(A1, DA, KA, fan_in=DA * KA, fan_out=A1 * KA), torch.nn.Parameter(torch.zeros(A1))] + bn_params(A1)
    P["a2"] = [glorot(A2, A1, KA, fan_in=A1 * KA, fan_out=A2 * KA), torch.nn.Parameter(torch.zeros(A2))] + bn_params(A2)
    if SYSTEM != "ef":
        P["aout"] = [glorot(K, A2, fan_in=A2, fan_out=K), torch.nn.Parameter(torch.zeros(K))]
if SYSTEM == "ef":
    P["hid"] = [glorot(H, F2 + A2, fan_in=F2 + A2, fan_out=H), torch.nn.Parameter(torch.zeros(H))]
    P["out"] = [glorot(K, H, fan_in=H, fan_out=K), torch.nn.Parameter(torch.zeros(K))]
if SYSTEM == "lf":
    P["out"] = [glorot(K, 2 * K, fan_in=2 * K, fan_out=K), torch.nn.Parameter(torch.zeros(K))]
params = [p for v in P.values() for p in v]
opt = torch.optim.Adam(params, lr=7e-4, eps=1e-7)


def masked_bn_relu(x, m, cnt, g, b):
    """x (B, C, T), m (B, 1, T): batch statistics over the valid frames only."""
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
    w, b, g, be = P["t1"]
    h = masked_bn_relu(torch.einsum("bct,uc->but", x, w) + b[None, :, None], m, cnt, g, be)
    w, b, g, be = P["t2"]
    h = masked_bn_relu(conv(h, w, b, KT), m, cnt, g, be)
    w, b, g, be = P["t3"]
    h = masked_bn_relu(conv(h, w, b, KT), m, cnt, g, be)
    return h.sum(2) / lens[:, None]


def audio_branch(ids):
    x, m, lens = pad(audio, ids, DA)
    cnt = m.sum()
    w, b, g, be = P["a1"]
    h = masked_bn_relu(conv(x, w, b, KA), m, cnt, g, be)
    h = F.dropout(h, 0.5, True)
    w, b, g, be = P["a2"]
    h = masked_bn_relu(conv(h, w, b, KA), m, cnt, g, be)
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


counts = torch.bincount(labels, minlength=K).float()
cw = N / (K * counts)
t0 = time.perf_counter()
for ep in range(EPOCHS):
    perm = torch.randperm(N).tolist()
    total = 0.0
    for s in range(0, N, BATCH):
        ids = perm[s: s + BATCH]
        y = labels[ids]
        logits = forward(ids)
        loss = (cw[y] * F.cross_entropy(logits, y, reduction="none")).sum() / len(ids)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(ids)
dt = (time.perf_counter() - t0) / EPOCHS
print(f"pytorch {SYSTEM:5s}: {N} utts, batch {BATCH}, {THREADS} threads: {dt:.2f} s/epoch (loss {total / N:.4f})")
