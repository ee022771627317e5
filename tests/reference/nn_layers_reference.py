#!/usr/bin/python3
"""Independent PyTorch reference for the emofuse NN layers (src/nn/layer_*.c, loss.c,
adam.c). Everything here works on PADDED tensors with masks (the way Keras sees a batch),
while the C code works on ragged row-concatenated batches, so the fixture also checks the
ragged bookkeeping. Gradients come from torch.autograd.

Writes tests/fixtures/nn/layers_ref.safetensors (F32 tensors, I32 labels/offsets, U8 masks).
Regenerate: /usr/bin/python3 tests/reference/nn_layers_reference.py
(Debian python3 with torch; the fixture is committed, CI never runs this script.)

Semantics implemented here (see docs/nn-layers.md):
- Dense: x @ w.T + b, w (OC, C).
- Conv1d: per sequence, zero padding left (K-1)//2, right K//2 (Keras 'same'), w (OC, C, K).
- BatchNorm (Keras): masked batch mean and biased variance over valid frames, eps 1e-3;
  moving -= (moving - batch) * (1 - momentum), variance update with the BIASED variance.
- Masked mean pool over valid frames.
- Weighted cross-entropy: sum_b w[y_b] * CE_b / B.
- Adam (tf.keras): alpha = lr_t * sqrt(1-b2^t)/(1-b1^t); m += (g-m)(1-b1);
  v += (g^2-v)(1-b2); p -= alpha * m / (sqrt(v) + eps); lr_t = lr * min(1, t/W);
  frozen blocks untouched; t counts every step. Cross-checked below against
  torch.optim.Adam with eps_torch = eps / sqrt(1 - b2^t) on never-frozen blocks.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(20201)
torch.set_default_dtype(torch.float32)
T = {}  # name -> numpy array


def put(name, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    T[name] = a


LENGTHS = [5, 1, 3, 8]
OFFS = np.concatenate([[0], np.cumsum(LENGTHS)]).astype(np.int64)
B, TMAX, N = len(LENGTHS), max(LENGTHS), int(sum(LENGTHS))
MASK = torch.zeros(B, TMAX)
for b, L in enumerate(LENGTHS):
    MASK[b, :L] = 1
put("ragged.offsets", OFFS.astype(np.int32))


def pad(rows, C):
    """(N, C) ragged rows -> (B, TMAX, C) zero-padded."""
    out = torch.zeros(B, TMAX, C)
    for b in range(B):
        out[b, : LENGTHS[b]] = rows[OFFS[b] : OFFS[b + 1]]
    return out


def unpad(x):
    return torch.cat([x[b, : LENGTHS[b]] for b in range(B)], 0)


# ---- Dense ------------------------------------------------------------------------
C, OC = 5, 4
x = torch.randn(7, C, requires_grad=True)
w = (torch.randn(OC, C) * 0.5).requires_grad_()
bias = torch.randn(OC, requires_grad=True)
y = F.linear(x, w, bias)
dy = torch.randn_like(y)
y.backward(dy)
for k, v in dict(inp=x, w=w, b=bias, out=y, dout=dy, dinp=x.grad, dw=w.grad, db=bias.grad).items():
    put("dense." + k, v)

# ---- Conv1d 'same' on the ragged batch, K odd and even, K longer than sequences ----
C, OC = 3, 4
for K in (1, 3, 4, 6):
    rows = torch.randn(N, C)
    xp = pad(rows, C).requires_grad_()  # (B, TMAX, C)
    w = (torch.randn(OC, C, K) * 0.4).requires_grad_()
    bias = torch.randn(OC, requires_grad=True)
    pl, pr = (K - 1) // 2, K // 2
    outs = []
    for b in range(B):
        L = LENGTHS[b]
        seq = xp[b, :L].t().unsqueeze(0)  # (1, C, L): padding frames never enter
        outs.append(F.conv1d(F.pad(seq, (pl, pr)), w, bias)[0].t())  # (L, OC)
    y = torch.cat(outs, 0)
    dy = torch.randn_like(y)
    y.backward(dy)
    p = "conv%d." % K
    for k, v in dict(inp=rows, w=w, b=bias, out=y, dout=dy, dinp=unpad(xp.grad), dw=w.grad, db=bias.grad).items():
        put(p + k, v)

# ---- BatchNorm, Keras semantics, masked over the padded batch ---------------------
C = 6
MOM, EPS = 0.99, 1e-3
rows = torch.randn(N, C) * 2.0 + 3.0
xp = pad(rows, C).requires_grad_()
gamma = (1.0 + 0.3 * torch.randn(C)).requires_grad_()
beta = (0.2 * torch.randn(C)).requires_grad_()
rm0 = 0.1 * torch.randn(C)
rv0 = 1.0 + 0.2 * torch.rand(C)
m3 = MASK.unsqueeze(-1)
cnt = m3.sum((0, 1))
mean = (xp * m3).sum((0, 1)) / cnt
var = (((xp - mean) ** 2) * m3).sum((0, 1)) / cnt  # biased
rstd = 1.0 / torch.sqrt(var + EPS)
yp = (xp - mean) * rstd * gamma + beta
y = unpad(yp)
dy = torch.randn_like(y)
y.backward(dy)
rm1 = rm0 - (rm0 - mean.detach()) * (1 - MOM)
rv1 = rv0 - (rv0 - var.detach()) * (1 - MOM)
yinf = (rows - rm1) / torch.sqrt(rv1 + EPS) * gamma.detach() + beta.detach()
for k, v in dict(inp=rows, gamma=gamma, beta=beta, running_mean0=rm0, running_var0=rv0, out=y, mean=mean, rstd=rstd,
                 running_mean1=rm1, running_var1=rv1, out_infer=yinf, dout=dy, dinp=unpad(xp.grad),
                 dgamma=gamma.grad, dbeta=beta.grad).items():
    put("bn." + k, v)

# ---- Masked mean pool + concat -----------------------------------------------------
C = 5
rows = torch.randn(N, C)
xp = pad(rows, C).requires_grad_()
y = (xp * m3).sum(1) / MASK.sum(1, keepdim=True)
dy = torch.randn_like(y)
y.backward(dy)
for k, v in dict(inp=rows, out=y, dout=dy, dinp=unpad(xp.grad)).items():
    put("pool." + k, v)

# ---- Weighted cross-entropy ----------------------------------------------------------
Bc, K = 9, 4
logits = (torch.randn(Bc, K) * 3).requires_grad_()
labels = torch.tensor([0, 1, 2, 3, 1, 1, 0, 2, 1])
counts = torch.bincount(labels, minlength=K).float()
cw = Bc / (K * counts)  # inverse frequency, mean over samples = 1
lossv = (cw[labels] * F.cross_entropy(logits, labels, reduction="none")).sum() / Bc
lossv.backward()
put("xent.logits", logits)
put("xent.labels", labels.to(torch.int32))
put("xent.class_w", cw)
put("xent.loss", lossv.reshape(1))
put("xent.probs", torch.softmax(logits, 1))
put("xent.dlogits", logits.grad)
# unweighted variant (class_w NULL)
logits2 = logits.detach().clone().requires_grad_()
l2 = F.cross_entropy(logits2, labels)
l2.backward()
put("xent.loss_unweighted", l2.reshape(1))
put("xent.dlogits_unweighted", logits2.grad)

# ---- Adam (tf.keras) with warm-up and a freezing schedule -----------------------------
NP, STEPS = 10, 6
BLOCKS = [0, 4, 7, 10]
LR, B1, B2, AEPS = 0.01, 0.9, 0.999, 1e-7
p0 = torch.randn(NP)
grads = torch.randn(STEPS, NP)
frozen = np.zeros((STEPS, 3), dtype=np.uint8)
frozen[:2, 1] = 1  # block 1 frozen for steps 1-2, then trained (global t continues)
frozen[:, 2] = 1  # block 2 always frozen
put("adam.params0", p0)
put("adam.grads", grads)
put("adam.blocks", np.array(BLOCKS, dtype=np.int32))
put("adam.frozen", frozen)


def keras_adam(W):
    p, m, v = p0.clone(), torch.zeros(NP), torch.zeros(NP)
    hist = []
    for t in range(1, STEPS + 1):
        lr_t = LR if W == 0 or t >= W else LR * t / W
        alpha = torch.tensor(lr_t * math.sqrt(1 - B2**t) / (1 - B1**t), dtype=torch.float32)
        g = grads[t - 1]
        for i in range(3):
            if frozen[t - 1, i]:
                continue
            s = slice(BLOCKS[i], BLOCKS[i + 1])
            m[s] += (g[s] - m[s]) * (1 - B1)
            v[s] += (g[s] * g[s] - v[s]) * (1 - B2)
            p[s] -= alpha * m[s] / (torch.sqrt(v[s]) + AEPS)
        hist.append(p.clone())
    return torch.stack(hist)


for W in (0, 3):
    hist = keras_adam(W)
    put("adam.params_w%d" % W, hist)
    # Cross-check block 0 (never frozen) against torch.optim.Adam with the eps mapping.
    q = p0[:4].clone().requires_grad_()
    opt = torch.optim.Adam([q], lr=LR, betas=(B1, B2), eps=AEPS)
    for t in range(1, STEPS + 1):
        for g_ in opt.param_groups:
            g_["lr"] = LR if W == 0 or t >= W else LR * t / W
            g_["eps"] = AEPS / math.sqrt(1 - B2**t)
        q.grad = grads[t - 1, :4].clone()
        opt.step()
        assert torch.allclose(q.detach(), hist[t - 1, :4], atol=1e-6, rtol=1e-6), (W, t)

# ---- write safetensors ------------------------------------------------------------------
DT = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("uint8"): "U8"}
header, data = {"__metadata__": {"generator": "tests/reference/nn_layers_reference.py"}}, b""
for name in sorted(T):
    a = np.ascontiguousarray(T[name])
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    blob = a.astype(a.dtype.newbyteorder("<")).tobytes()
    header[name] = {"dtype": DT[a.dtype], "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
hj = json.dumps(header, separators=(",", ":")).encode()
hj += b" " * ((8 - len(hj) % 8) % 8)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "nn", "layers_ref.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(hj)) + hj + data)
print("wrote", os.path.normpath(out), len(T), "tensors,", 8 + len(hj) + len(data), "bytes")
