#!/usr/bin/python3
"""PyTorch reference for emofuse's models and training step (src/nn/model*.c, train.c).

Independent re-implementation of the text, audio, early-fusion (ef) and late-fusion (lf)
models of Pepino et al. (2020) in float64 PyTorch, with ragged sequences handled the
"pad-and-mask" way per sequence (conv1d with Keras 'same' padding on each sequence alone,
batch norm over the valid rows only, mean over the valid rows), tf.keras batch-norm
running statistics (biased variance, momentum 0.99, eps 1e-3), tf.keras Adam (epsilon-hat
form, eps 1e-7) with linear warm-up, class-weighted cross-entropy sum_b w[y_b] nll_b / B,
and the freezing rules of the strategies (cs / pt / ws; frozen layers run batch norm with
running statistics). Dropout is off (rate 0) so that no random mask has to be shared.

From identical initial weights (fixtures) it runs 10 training steps on one fixed ragged
batch for text-cs, audio-cs, ef-{cs,pt,ws}, lf-{cs,pt,ws} and stores the loss of every
step plus the final weights and buffers. tests/nn/test_models_reference.c replays the
same steps in C and compares.

Regenerate (from the repository root; needs Debian's python3 with torch and numpy):
    /usr/bin/python3 tests/reference/nn_models_reference.py
Writes tests/fixtures/models/{inputs,init_<system>,final_<system>_<strategy>}.safetensors
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "models")
STEPS = 10
K = 4
MOMENTUM, EPS_BN = 0.99, 1e-3
BETA1, BETA2, EPS_ADAM = 0.9, 0.999, 1e-7

# Small sizes (every kernel/padding case: odd and even kernels).
CONFIG = {
    "n_classes": K,
    "fusion_hidden": 6,
    "batch_norm_momentum": MOMENTUM,
    "batch_norm_eps": EPS_BN,
    "text": {"input_dim": 6, "dense_units": 5, "conv1_filters": 4, "conv1_kernel": 3,
             "conv2_filters": 4, "conv2_kernel": 2, "batch_norm": True, "dropout": 0.0},
    "audio": {"input_dim": 4, "conv1_filters": 5, "conv1_kernel": 3,
              "conv2_filters": 3, "conv2_kernel": 4, "batch_norm": True, "dropout": 0.0},
}
TEXT_LENS = [3, 1, 5, 2]
AUDIO_LENS = [7, 4, 9, 5]
LABELS = [0, 3, 1, 2]
CLASS_W = [0.9, 1.6, 1.2, 0.7]
# (system, strategy, lr, warm-up steps): paper-like schedule shapes, rates large enough
# that 10 steps move the weights visibly.
CASES = [("text", "cs", 2e-3, 3), ("audio", "cs", 2e-3, 3),
         ("ef", "cs", 2e-3, 3), ("ef", "pt", 2e-3, 3), ("ef", "ws", 1e-3, 3),
         ("lf", "cs", 2e-3, 3), ("lf", "pt", 1e-2, 0), ("lf", "ws", 1e-3, 3)]


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer (format: 8-byte LE header size, JSON header, data)."""
    header, blobs, off = {}, [], 0
    dtypes = {np.float32: "F32", np.int64: "I64", np.int32: "I32"}
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        b = arr.tobytes()
        header[name] = {"dtype": dtypes[arr.dtype.type], "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def branch_layout(branch):
    c = CONFIG[branch]
    if branch == "text":
        return [("text.t1", "dense", c["input_dim"], c["dense_units"], 1),
                ("text.t2", "conv", c["dense_units"], c["conv1_filters"], c["conv1_kernel"]),
                ("text.t3", "conv", c["conv1_filters"], c["conv2_filters"], c["conv2_kernel"])]
    return [("audio.a1", "conv", c["input_dim"], c["conv1_filters"], c["conv1_kernel"]),
            ("audio.a2", "conv", c["conv1_filters"], c["conv2_filters"], c["conv2_kernel"])]


def tensor_specs(system):
    """(name, shape, kind) in the C table order; kind: w (weight), b, g (gamma), z (beta),
    m (running mean buffer), v (running variance buffer)."""
    specs = []
    branches = {"text": ["text"], "audio": ["audio"], "ef": ["text", "audio"], "lf": ["text", "audio"]}[system]
    for br in branches:
        for layer, kind, C, OC, Ks in branch_layout(br):
            specs.append((layer + ".weight", (OC, C) if kind == "dense" else (OC, C, Ks), "w"))
            specs.append((layer + ".bias", (OC,), "b"))
            specs += [(layer + ".bn_gamma", (OC,), "g"), (layer + ".bn_beta", (OC,), "z"),
                      (layer + ".bn_mean", (OC,), "m"), (layer + ".bn_var", (OC,), "v")]
        if system != "ef":
            F_ = branch_layout(br)[-1][3]
            specs += [(br + ".out.weight", (K, F_), "w"), (br + ".out.bias", (K,), "b")]
    if system == "ef":
        cin = CONFIG["text"]["conv2_filters"] + CONFIG["audio"]["conv2_filters"]
        H = CONFIG["fusion_hidden"]
        specs += [("fusion.hidden.weight", (H, cin), "w"), ("fusion.hidden.bias", (H,), "b"),
                  ("fusion.out.weight", (K, H), "w"), ("fusion.out.bias", (K,), "b")]
    if system == "lf":
        specs += [("fusion.out.weight", (K, 2 * K), "w"), ("fusion.out.bias", (K,), "b")]
    return specs


def init_weights(system, rng):
    out = {}
    for name, shape, kind in tensor_specs(system):
        n = int(np.prod(shape))
        if kind == "w":
            lim = 1.0 / np.sqrt(shape[1] * (shape[2] if len(shape) == 3 else 1))
            x = rng.uniform(-1.5 * lim, 1.5 * lim, n)
        elif kind in ("b", "z", "m"):
            x = rng.uniform(-0.2, 0.2, n)
        elif kind == "g":
            x = rng.uniform(0.7, 1.3, n)
        else:
            x = rng.uniform(0.5, 1.5, n)
        out[name] = x.reshape(shape).astype(np.float32)
    return out


def trainable(name, strategy):
    layer = name.rsplit(".", 1)[0]
    if name.endswith(".bn_mean") or name.endswith(".bn_var"):
        return False
    if strategy == "cs" or layer.startswith("fusion."):
        return True
    return strategy == "ws" and layer in ("text.t3", "text.out", "audio.a2", "audio.out")


def ragged_conv(x, offsets, w, b):
    Ks = w.shape[2]
    outs = []
    for s, e in zip(offsets[:-1], offsets[1:]):
        seq = x[s:e].T.unsqueeze(0)                      # (1, C, T)
        seq = F.pad(seq, ((Ks - 1) // 2, Ks // 2))       # Keras 'same'
        outs.append(F.conv1d(seq, w, b)[0].T)            # (T, OC)
    return torch.cat(outs, 0)


def mean_pool(x, offsets):
    return torch.stack([x[s:e].mean(0) for s, e in zip(offsets[:-1], offsets[1:])])


def branch_forward(br, x, offsets, P, Bf, strategy, with_head):
    for layer, kind, C, OC, Ks in branch_layout(br):
        w, b = P[layer + ".weight"], P[layer + ".bias"]
        h = x @ w.T + b if kind == "dense" else ragged_conv(x, offsets, w, b)
        g, z = P[layer + ".bn_gamma"], P[layer + ".bn_beta"]
        rm, rv = Bf[layer + ".bn_mean"], Bf[layer + ".bn_var"]
        if trainable(layer + ".weight", strategy):
            mean, var = h.mean(0), h.var(0, unbiased=False)
            hn = (h - mean) / torch.sqrt(var + EPS_BN) * g + z
            with torch.no_grad():      # tf.keras update: biased batch variance
                rm -= (rm - mean) * (1 - MOMENTUM)
                rv -= (rv - var) * (1 - MOMENTUM)
        else:
            hn = (h - rm) / torch.sqrt(rv + EPS_BN) * g + z
        x = torch.relu(hn)
    pooled = mean_pool(x, offsets)
    if with_head:
        return pooled @ P[br + ".out.weight"].T + P[br + ".out.bias"]
    return pooled


def forward(system, strategy, P, Bf, inp):
    if system == "text":
        return branch_forward("text", inp["text"], inp["toff"], P, Bf, strategy, True)
    if system == "audio":
        return branch_forward("audio", inp["audio"], inp["aoff"], P, Bf, strategy, True)
    heads = system == "lf"
    t = branch_forward("text", inp["text"], inp["toff"], P, Bf, strategy, heads)
    a = branch_forward("audio", inp["audio"], inp["aoff"], P, Bf, strategy, heads)
    x = torch.cat([t, a], 1)
    if system == "ef":
        x = torch.relu(x @ P["fusion.hidden.weight"].T + P["fusion.hidden.bias"])
    return x @ P["fusion.out.weight"].T + P["fusion.out.bias"]


def run_case(system, strategy, lr, warmup, init, inp):
    P, Bf = {}, {}
    for name, arr in init.items():
        t = torch.tensor(arr.astype(np.float64))
        if name.endswith(".bn_mean") or name.endswith(".bn_var"):
            Bf[name] = t
        else:
            P[name] = t.requires_grad_(trainable(name, strategy))
    labels = torch.tensor(LABELS)
    cw = torch.tensor(CLASS_W)
    mom = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in P.items() if p.requires_grad}
    losses = []
    for t in range(1, STEPS + 1):
        logits = forward(system, strategy, P, Bf, inp)
        nll = -F.log_softmax(logits, 1)[torch.arange(len(LABELS)), labels]
        loss = (cw[labels] * nll).sum() / len(LABELS)
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, [P[n] for n in mom])
        lr_t = lr if warmup <= 0 or t >= warmup else lr * t / warmup
        alpha = lr_t * np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
        with torch.no_grad():
            for (n, (m, v)), g in zip(mom.items(), grads):
                m += (g - m) * (1 - BETA1)
                v += (g * g - v) * (1 - BETA2)
                P[n] -= alpha * m / (torch.sqrt(v) + EPS_ADAM)
    final = {n: p.detach().numpy().astype(np.float32) for n, p in P.items()}
    final.update({n: b.numpy().astype(np.float32) for n, b in Bf.items()})
    return losses, final


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20200504)
    text = rng.standard_normal((sum(TEXT_LENS), CONFIG["text"]["input_dim"])).astype(np.float32)
    audio = rng.standard_normal((sum(AUDIO_LENS), CONFIG["audio"]["input_dim"])).astype(np.float32)
    toff = np.concatenate([[0], np.cumsum(TEXT_LENS)]).astype(np.int64)
    aoff = np.concatenate([[0], np.cumsum(AUDIO_LENS)]).astype(np.int64)
    write_safetensors(os.path.join(OUT, "inputs.safetensors"),
                      {"text": text, "text_offsets": toff, "audio": audio, "audio_offsets": aoff,
                       "labels": np.array(LABELS, np.int32), "class_weights": np.array(CLASS_W, np.float32)},
                      {"config": json.dumps(CONFIG), "steps": str(STEPS)})
    inp = {"text": torch.tensor(text.astype(np.float64)), "audio": torch.tensor(audio.astype(np.float64)),
           "toff": toff.tolist(), "aoff": aoff.tolist()}
    inits = {}
    for system in ("text", "audio", "ef", "lf"):
        inits[system] = init_weights(system, rng)
        write_safetensors(os.path.join(OUT, f"init_{system}.safetensors"), inits[system])
    for system, strategy, lr, warmup in CASES:
        losses, final = run_case(system, strategy, lr, warmup, inits[system], inp)
        final["losses"] = np.array(losses, np.float32)
        write_safetensors(os.path.join(OUT, f"final_{system}_{strategy}.safetensors"), final,
                          {"lr": repr(lr), "warmup_steps": str(warmup), "system": system, "strategy": strategy})
        print(f"{system}-{strategy}: loss {losses[0]:.6f} -> {losses[-1]:.6f}")


if __name__ == "__main__":
    main()
