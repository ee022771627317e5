#!/usr/bin/python3
"""PyTorch side of the BERT benchmark (bench/run_bert.sh): the same workloads as
bench/bench_bert.c on the same model folder, float32, torch.inference_mode, eager.
The model is our own reference forward (tests/reference/bert_reference.py semantics,
transformers is not installed) with weights loaded from model.safetensors; the corpus runs
in length-sorted padded batches of 32 with an additive attention mask (the usual way to
batch BERT in PyTorch).

usage: /usr/bin/python3 bench/bert_torch.py --model DIR --threads N --workload W [--seconds S]
"""
import argparse
import json
import math
import os
import struct
import sys
import time

# Debian's torch does its float32 matmuls in the system BLAS (OpenBLAS), whose own thread
# pool ignores torch.set_num_threads: pin every pool BEFORE importing numpy/torch, or a
# "1 thread" run quietly uses all cores.
_t = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = _t

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_grad_enabled(False)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
    out = {}
    for k, m in header.items():
        if k == "__metadata__":
            continue
        a, b = m["data_offsets"]
        out[k.removeprefix("bert.")] = torch.from_numpy(
            np.frombuffer(data, dtype=dt[m["dtype"]], count=(b - a) // np.dtype(dt[m["dtype"]]).itemsize,
                          offset=a).reshape(m["shape"]).astype(np.float32) if m["dtype"] != "I64" else
            np.zeros(1))
    return out


class Bert:
    def __init__(self, folder):
        self.cfg = json.load(open(folder + "/config.json"))
        self.w = load_safetensors(folder + "/model.safetensors")

    def forward(self, ids, mask):
        """ids (B, T) long, mask (B, T) bool; returns (B, T, C): sum of the last 4 states."""
        w, c = self.w, self.cfg
        B, T = ids.shape
        C, NH = c["hidden_size"], c["num_attention_heads"]
        D, eps = C // NH, c["layer_norm_eps"]
        F = torch.nn.functional
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:T] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = F.layer_norm(x, (C,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        add_mask = (~mask)[:, None, None, :].float() * torch.finfo(torch.float32).min
        L = c["num_hidden_layers"]
        acc = torch.zeros_like(x) if L - 3 <= 0 else None
        for l in range(L):
            p = "encoder.layer.%d." % l

            def lin(inp, name):
                return F.linear(inp, w[p + name + ".weight"], w[p + name + ".bias"])

            q = lin(x, "attention.self.query").view(B, T, NH, D).transpose(1, 2)
            k = lin(x, "attention.self.key").view(B, T, NH, D).transpose(1, 2)
            v = lin(x, "attention.self.value").view(B, T, NH, D).transpose(1, 2)
            s = q @ k.transpose(-1, -2) / math.sqrt(D) + add_mask
            ctx = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, C)
            h = F.layer_norm(lin(ctx, "attention.output.dense") + x, (C,),
                             w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            x = F.layer_norm(lin(F.gelu(lin(h, "intermediate.dense")), "output.dense") + h, (C,),
                             w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
            if l + 1 >= L - 3:
                acc = x.clone() if acc is None else acc + x
        return acc


def corpus_len(i):
    u = math.fmod(i * 0.6180339887498949, 1.0)
    return 2 + int(58.0 * u ** 2.2)


def seq_flops(c, T):
    C, I = c["hidden_size"], c["intermediate_size"]
    return c["num_hidden_layers"] * (2.0 * T * (4.0 * C * C + 2.0 * C * I) + 4.0 * T * T * C)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workload", default="corpus")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--texts", type=int, default=5000)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: time in process CPU seconds (see bench_bert.c)")
    a = ap.parse_args()
    clock = time.process_time if a.clock == "cpu" else time.perf_counter
    torch.set_num_threads(a.threads)
    m = Bert(a.model)
    V = m.cfg["vocab_size"]
    vocab = open(a.model + "/vocab.txt").read().split("\n")
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    tokens = flops = 0.0
    with torch.inference_mode():
        if a.workload.startswith("single"):
            T = int(a.workload[6:])
            ids = torch.tensor([[cls_id] + [5 + (31 + j * 17) % (V - 5) for j in range(1, T - 1)] + [sep_id]])
            mask = torch.ones(1, T, dtype=torch.bool)
            m.forward(ids, mask)
            it, t0 = 0, clock()
            while True:
                m.forward(ids, mask)
                it += 1
                el = clock() - t0
                if el >= a.seconds:
                    break
            tokens, flops = it * T, it * seq_flops(m.cfg, T)
        else:
            texts = []
            for i in range(a.texts):
                n = corpus_len(i)
                texts.append([cls_id] + [5 + (i * 31 + j * 17) % (V - 5) for j in range(n)] + [sep_id])
            tokens = sum(len(t) for t in texts)
            flops = sum(seq_flops(m.cfg, len(t)) for t in texts)
            order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
            t0 = clock()
            for b in range(0, len(order), a.batch):
                idx = order[b:b + a.batch]
                T = max(len(texts[i]) for i in idx)
                ids = torch.zeros(len(idx), T, dtype=torch.long)
                mask = torch.zeros(len(idx), T, dtype=torch.bool)
                for r, i in enumerate(idx):
                    ids[r, :len(texts[i])] = torch.tensor(texts[i])
                    mask[r, :len(texts[i])] = True
                m.forward(ids, mask)
            el = clock() - t0
    if a.workload == "corpus":
        print("texts=%d " % a.texts, end="")
    print("workload=%s impl=torch threads=%d tokens=%.0f seconds=%.3f tokens_per_s=%.1f gflops=%.1f"
          % (a.workload, a.threads, tokens, el, tokens / el, flops / el / 1e9))


if __name__ == "__main__":
    main()
