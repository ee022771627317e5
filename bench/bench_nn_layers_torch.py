#!/usr/bin/python3
"""PyTorch counterpart of bench/bench_nn_layers.c: the same audio-branch training step
(conv -> BN -> ReLU -> dropout -> conv -> BN -> ReLU -> mean pool -> dense -> weighted CE,
Adam) on a zero-padded batch with a mask, the way the Keras model of the paper runs
(padding frames zeroed after every layer, masked batch statistics and pooling).
usage: bench_nn_layers_torch.py [B [F [K [steps [threads]]]]]   (Debian /usr/bin/python3)"""
import sys
import time

import torch
import torch.nn.functional as Fn

B = int(sys.argv[1]) if len(sys.argv) > 1 else 32
F = int(sys.argv[2]) if len(sys.argv) > 2 else 128
K = int(sys.argv[3]) if len(sys.argv) > 3 else 3
STEPS = int(sys.argv[4]) if len(sys.argv) > 4 else 20
THREADS = int(sys.argv[5]) if len(sys.argv) > 5 else 1
torch.set_num_threads(THREADS)
torch.manual_seed(1)
D, NC = 36, 4
lens = torch.tensor([150 + (b * 7919) % 351 for b in range(B)])
T = int(lens.max())
mask = (torch.arange(T)[None, :] < lens[:, None]).float()  # (B, T)
x = torch.randn(B, D, T) * mask[:, None, :]
y = torch.randint(0, NC, (B,))
counts = torch.bincount(y, minlength=NC).float()
cw = torch.where(counts > 0, B / (NC * counts.clamp(min=1)), torch.zeros(NC))

w1 = torch.nn.Parameter(torch.empty(F, D, K).uniform_(-1, 1) * (6 / (D * K + F * K)) ** 0.5)
b1 = torch.nn.Parameter(torch.zeros(F))
g1, be1 = torch.nn.Parameter(torch.ones(F)), torch.nn.Parameter(torch.zeros(F))
w2 = torch.nn.Parameter(torch.empty(F, F, K).uniform_(-1, 1) * (6 / (2 * F * K)) ** 0.5)
b2 = torch.nn.Parameter(torch.zeros(F))
g2, be2 = torch.nn.Parameter(torch.ones(F)), torch.nn.Parameter(torch.zeros(F))
wd, bd = torch.nn.Parameter(torch.empty(NC, F).uniform_(-0.2, 0.2)), torch.nn.Parameter(torch.zeros(NC))
params = [w1, b1, g1, be1, w2, b2, g2, be2, wd, bd]
opt = torch.optim.Adam(params, lr=7e-4, eps=1e-7)
m3 = mask[:, None, :]
cnt = mask.sum()
pl, pr = (K - 1) // 2, K // 2


def bn(h, g, b):
    mean = (h * m3).sum((0, 2)) / cnt
    var = (((h - mean[None, :, None]) ** 2) * m3).sum((0, 2)) / cnt
    return ((h - mean[None, :, None]) / torch.sqrt(var[None, :, None] + 1e-3) * g[None, :, None] + b[None, :, None]) * m3


def step():
    h = Fn.conv1d(Fn.pad(x, (pl, pr)), w1, b1) * m3
    h = torch.relu(bn(h, g1, be1))
    h = Fn.dropout(h, 0.5, training=True)
    h = Fn.conv1d(Fn.pad(h, (pl, pr)), w2, b2) * m3
    h = torch.relu(bn(h, g2, be2))
    pool = h.sum(2) / lens[:, None]
    logits = Fn.linear(pool, wd, bd)
    loss = (cw[y] * Fn.cross_entropy(logits, y, reduction="none")).sum() / B
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss)


step()  # warm-up
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(STEPS):
    loss = step()
per = (time.perf_counter() - t0) / STEPS
cpu = (time.process_time() - c0) / STEPS
N = int(lens.sum())
print("pytorch  B=%d frames=%d padded=%d F=%d K=%d steps=%d threads=%d torch=%s" % (B, N, B * T, F, K, STEPS, THREADS,
                                                                                  torch.__version__))
print("pytorch  step %.2f ms wall, %.2f ms cpu  %.0f frames/s wall  %.0f frames/cpu-s  loss %.4f"
      % (per * 1e3, cpu * 1e3, N / per, N / cpu, loss))
