#!/usr/bin/python3
"""Independent PyTorch reference for emofuse's BERT encoder (src/text/bert_*.c).

Does NOT import transformers: the BERT forward pass below is written from the paper /
HuggingFace's BertModel semantics (post-LayerNorm, exact erf GELU, token type 0, absolute
positions) and computed in float64. It also writes HuggingFace model folders
(config.json + model.safetensors + vocab.txt) with a small hand-written safetensors writer,
because neither transformers nor safetensors is installed.

Regenerate the committed fixtures (tests/fixtures/bert/, < 1 MB):
    /usr/bin/python3 tests/reference/bert_reference.py tiny tests/fixtures/bert
Full-size random BERT-base (12 layers, 768 hidden; ~440 MB, used by the slow test and the
benchmark, never committed):
    /usr/bin/python3 tests/reference/bert_reference.py full OUTDIR [--no-expected]

Windows for long texts follow docs/bert.md: windows of W = P-2 pieces starting at
0, s, 2s, ... with the last one aligned to the text end; a piece takes its states from the
window where min(distance to either window edge) is largest, ties to the earlier window.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_grad_enabled(False)

# ---------------------------------------------------------------- safetensors writer

_DT = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int32): "I32",
       np.dtype(np.int64): "I64", "bf16": "BF16"}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, array) or (name, ("bf16", uint16 array, shape))."""
    header, blobs, off = {}, [], 0
    for name, arr in tensors:
        if isinstance(arr, tuple):
            dt, raw, shape = arr[0], arr[1].astype("<u2").tobytes(), list(arr[2])
            dtype = _DT[dt]
        else:
            a = np.ascontiguousarray(arr)
            dtype, shape = _DT[a.dtype], list(a.shape)
            raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # keep tensor data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def bf16_round(x):
    """float32 array -> (bf16 bits as uint16, float32 values they represent); round to nearest even."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return r, (r.astype(np.uint32) << 16).view(np.float32)


# ---------------------------------------------------------------- model

def make_vocab(size):
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    toks += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += list(".,!?'-")
    words = ("i am you are is it the a not very so happy sad angry calm fear disgust surprise "
             "neutral what why no yes oh well do don this that today really feel good bad "
             "we they he she was were be").split()
    toks += [w for w in words if w not in toks]
    i = 0
    while len(toks) < size:
        toks.append("tok%d" % i)
        i += 1
    return toks[:size]


def random_model(cfg, seed, scale=0.15):
    g = np.random.default_rng(seed)
    C, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]

    def n(*shape, s=scale):
        return (g.standard_normal(shape) * s).astype(np.float32)

    w = {}
    w["embeddings.word_embeddings.weight"] = n(cfg["vocab_size"], C, s=1.0)
    w["embeddings.position_embeddings.weight"] = n(cfg["max_position_embeddings"], C, s=0.5)
    w["embeddings.token_type_embeddings.weight"] = n(cfg["type_vocab_size"], C, s=0.5)
    w["embeddings.LayerNorm.weight"] = 1.0 + n(C, s=0.1)
    w["embeddings.LayerNorm.bias"] = n(C, s=0.1)
    # Scale so that products stay O(1): std of W ~ scale*sqrt(64/fan_in) keeps the tiny
    # and the full model alike.
    for l in range(L):
        p = "encoder.layer.%d." % l
        for nm in ("query", "key", "value"):
            w[p + "attention.self.%s.weight" % nm] = n(C, C, s=scale * math.sqrt(64.0 / C) * 2)
            w[p + "attention.self.%s.bias" % nm] = n(C, s=0.1)
        w[p + "attention.output.dense.weight"] = n(C, C, s=scale * math.sqrt(64.0 / C))
        w[p + "attention.output.dense.bias"] = n(C, s=0.1)
        w[p + "attention.output.LayerNorm.weight"] = 1.0 + n(C, s=0.1)
        w[p + "attention.output.LayerNorm.bias"] = n(C, s=0.1)
        w[p + "intermediate.dense.weight"] = n(I, C, s=scale * math.sqrt(64.0 / C) * 2)
        w[p + "intermediate.dense.bias"] = n(I, s=0.1)
        w[p + "output.dense.weight"] = n(C, I, s=scale * math.sqrt(64.0 / I))
        w[p + "output.dense.bias"] = n(C, s=0.1)
        w[p + "output.LayerNorm.weight"] = 1.0 + n(C, s=0.1)
        w[p + "output.LayerNorm.bias"] = n(C, s=0.1)
    return w


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * g + b


def bert_forward(w, cfg, ids, dtype=torch.float64):
    """ids: list of int (already framed with [CLS]/[SEP]). Returns (L+1, T, C) float64 states."""
    t = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)).to(dtype) for k, v in w.items()}
    eps = cfg["layer_norm_eps"]
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    D = C // NH
    T = len(ids)
    ii = torch.tensor(ids, dtype=torch.long)
    x = t["embeddings.word_embeddings.weight"][ii] + t["embeddings.position_embeddings.weight"][:T] \
        + t["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    states = [x]
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l

        def lin(inp, name):
            return inp @ t[p + name + ".weight"].T + t[p + name + ".bias"]

        q = lin(x, "attention.self.query").view(T, NH, D).transpose(0, 1)
        k = lin(x, "attention.self.key").view(T, NH, D).transpose(0, 1)
        v = lin(x, "attention.self.value").view(T, NH, D).transpose(0, 1)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(D), dim=-1)
        ctx = (a @ v).transpose(0, 1).reshape(T, C)
        h = layer_norm(lin(ctx, "attention.output.dense") + x, t[p + "attention.output.LayerNorm.weight"],
                       t[p + "attention.output.LayerNorm.bias"], eps)
        f = torch.nn.functional.gelu(lin(h, "intermediate.dense"))
        x = layer_norm(lin(f, "output.dense") + h, t[p + "output.LayerNorm.weight"],
                       t[p + "output.LayerNorm.bias"], eps)
        states.append(x)
    return torch.stack(states)


def windowed_states(w, cfg, pieces, cls_id, sep_id, stride=0):
    """(L+1, n+2, C) states of a text of any length, by the documented window rule."""
    n, W = len(pieces), cfg["max_position_embeddings"] - 2
    if n <= W:
        return bert_forward(w, cfg, [cls_id] + pieces + [sep_id])
    s = stride if stride > 0 else W // 2
    starts, a = [], 0
    while True:
        if a + W >= n:
            starts.append(n - W)
            break
        starts.append(a)
        a += s
    outs = [bert_forward(w, cfg, [cls_id] + pieces[a:a + W] + [sep_id]) for a in starts]
    res = torch.zeros(outs[0].shape[0], n + 2, outs[0].shape[2], dtype=outs[0].dtype)
    res[:, 0] = outs[0][:, 0]
    res[:, n + 1] = outs[-1][:, W + 1]
    for j in range(n):
        best, bk = -1, -1
        for k, a in enumerate(starts):
            if a <= j < a + W:
                d = min(j - a, a + W - 1 - j)
                if d > best:
                    best, bk = d, k
        res[:, j + 1] = outs[bk][:, j - starts[bk] + 1]
    return res


def write_folder(folder, cfg, weights, vocab, prefix="", dtype="F32", extras=False, gamma_beta=False):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(cfg, architectures=["BertModel"], model_type="bert", hidden_act="gelu",
                       position_embedding_type="absolute"), f, indent=2)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("".join(t + "\n" for t in vocab))
    used = {}
    tensors = []
    for name, arr in weights.items():
        out_name = name
        if gamma_beta and "LayerNorm" in name:
            out_name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        out_name = prefix + out_name
        if dtype == "F16":
            a16 = arr.astype(np.float16)
            used[name] = a16.astype(np.float32)
            tensors.append((out_name, a16))
        elif dtype == "BF16":
            bits, vals = bf16_round(arr)
            used[name] = vals
            tensors.append((out_name, ("bf16", bits, arr.shape)))
        else:
            used[name] = arr
            tensors.append((out_name, arr))
    if extras:
        C = cfg["hidden_size"]
        g = np.random.default_rng(99)
        tensors.append((prefix + "embeddings.position_ids",
                        np.arange(cfg["max_position_embeddings"], dtype=np.int64)[None, :]))
        tensors.append((prefix + "pooler.dense.weight", g.standard_normal((C, C)).astype(np.float32)))
        tensors.append((prefix + "pooler.dense.bias", np.zeros(C, np.float32)))
        tensors.append(("cls.predictions.bias", np.zeros(cfg["vocab_size"], np.float32)))
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors, {"format": "pt"})
    return used


TINY = dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=64, layer_norm_eps=1e-12, vocab_size=100, type_vocab_size=2)
FULL = dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072,
            max_position_embeddings=512, layer_norm_eps=1e-12, vocab_size=30522, type_vocab_size=2)


def simple_tokenize(text, vocab):
    """Whitespace/punctuation split + lower case; every word must be in the vocab (enough
    for the synthetic test texts; the real tokenizer has its own reference)."""
    index = {t: i for i, t in enumerate(vocab)}
    words = []
    for wd in text.lower().split():
        cur = ""
        for ch in wd:
            if ch in ".,!?'-":
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    return [index[w] for w in words]


def tiny(outdir):
    vocab = make_vocab(TINY["vocab_size"])
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    w = random_model(TINY, seed=1234)
    write_folder(os.path.join(outdir, "tiny"), TINY, w, vocab)
    wb = write_folder(os.path.join(outdir, "tiny-bf16"), TINY, w, vocab, prefix="bert.", dtype="BF16",
                      extras=True, gamma_beta=True)
    wh = write_folder(os.path.join(outdir, "tiny-f16"), TINY, w, vocab, prefix="bert.", dtype="F16")
    rng = np.random.default_rng(7)
    out = []
    lens = [0, 1, 5, 17, 30, 62]
    for i, n in enumerate(lens):
        pieces = [int(x) for x in rng.integers(5, TINY["vocab_size"], size=n)]
        ids = [cls_id] + pieces + [sep_id]
        out.append(("seq%d.input_ids" % i, np.array(ids, np.int32)))
        out.append(("seq%d.hidden" % i, bert_forward(w, TINY, ids).numpy().astype(np.float32)))
    # Same sequences through the BF16 and F16 folders' (rounded) weights.
    for tag, ww in (("bf16", wb), ("f16", wh)):
        ids = [int(x) for x in out[2 * 4][1]]
        out.append(("%s.hidden" % tag, bert_forward(ww, TINY, ids).numpy().astype(np.float32)))
    # A long text: windows (default stride) for all states; stride 20 for the features.
    long_pieces = [int(x) for x in rng.integers(5, TINY["vocab_size"], size=150)]
    out.append(("long.pieces", np.array(long_pieces, np.int32)))
    out.append(("long.hidden", windowed_states(w, TINY, long_pieces, cls_id, sep_id).numpy().astype(np.float32)))
    hs = windowed_states(w, TINY, long_pieces, cls_id, sep_id, stride=20)
    out.append(("long.features_s20_l1n2", (hs[1] + hs[2])[1:-1].numpy().astype(np.float32)))
    # The CLI test text (words of the synthetic vocab only).
    text = "I am not happy, I am very sad!"
    ids = [cls_id] + simple_tokenize(text, vocab) + [sep_id]
    hs = bert_forward(w, TINY, ids)
    out.append(("text.input_ids", np.array(ids, np.int32)))
    out.append(("text.hidden", hs.numpy().astype(np.float32)))
    out.append(("text.embeddings", hs[-3:].sum(0)[1:-1].numpy().astype(np.float32)))
    write_safetensors(os.path.join(outdir, "expected.safetensors"), out,
                      {"text": text, "generator": "tests/reference/bert_reference.py tiny"})


def full(outdir, expected=True):
    vocab = make_vocab(FULL["vocab_size"])
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    w = random_model(FULL, seed=4321)
    write_folder(outdir, FULL, w, vocab)
    if not expected:
        return
    rng = np.random.default_rng(11)
    out = []
    for i, n in enumerate([3, 40, 140]):
        pieces = [int(x) for x in rng.integers(5, FULL["vocab_size"], size=n)]
        ids = [cls_id] + pieces + [sep_id]
        out.append(("seq%d.input_ids" % i, np.array(ids, np.int32)))
        out.append(("seq%d.hidden" % i, bert_forward(w, FULL, ids).numpy().astype(np.float32)))
    write_safetensors(os.path.join(outdir, "expected.safetensors"), out)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("tiny", "full"):
        sys.exit(__doc__)
    if sys.argv[1] == "tiny":
        tiny(sys.argv[2])
    else:
        full(sys.argv[2], expected="--no-expected" not in sys.argv)
