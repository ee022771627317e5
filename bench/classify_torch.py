#!/usr/bin/python3
"""Python side of bench/run_classify.sh: the equivalent Python pipeline for one utterance
(audio + transcript -> class probabilities) with the same trained emofuse model, one
thread, timed per stage:
  decode    scipy.io.wavfile + float conversion (16 kHz mono input, no resampling)
  lld       not run here: openSMILE is not packaged in Debian; run_classify.sh adds
            openSMILE's documented 72x real time for the utterance's length, or times a
            SMILExtract given as SMILE=... SMILE_CONF=... The model's input is the LLD
            matrix emofuse computed (--lld, raw float32 T x 36, written by bench_classify),
            so that both pipelines classify the same numbers
  tokenize  tests/reference/tokenizer_reference.py (HuggingFace's slow BertTokenizer
            algorithm; transformers is not installed)
  bert      bench/bert_torch.py's PyTorch BERT, sum of the last 4 layers, [CLS]/[SEP]
            dropped, inference mode (the features `emofuse features text` stores)
  model     the model file's ef network (docs/models.md) in PyTorch: its own weights,
            batch norm with the stored running statistics, audio z-normalised with the
            stored norm.audio.mean/std; softmax
Prints one line of key=value (milliseconds) ending with probs=p1,...,pK; cold_ms =
interpreter start (the script's own first line) to the first result, including imports
and loading the BERT weights.

usage: classify_torch.py --bert DIR --model MODEL --wav WAV --text TEXT --lld FILE [--repeat N] [--clock wall|cpu]"""
import os
import sys
import time

T_START = time.perf_counter()
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"
import argparse  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402

import numpy as np  # noqa: E402
import scipy.io.wavfile  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "tests", "reference"))
import bert_torch  # noqa: E402
import tokenizer_reference as tok  # noqa: E402

torch.set_num_threads(1)
torch.set_grad_enabled(False)


def read_model(path):
    """An emofuse model file: its F32 tensors by name and its metadata."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    w = {}
    for k, m in header.items():
        assert m["dtype"] == "F32", (path, k, m["dtype"])
        a, b = m["data_offsets"]
        w[k] = torch.from_numpy(np.frombuffer(data, np.float32, (b - a) // 4, a).reshape(m["shape"]).copy())
    return w, meta


class FusionModel:
    """docs/models.md's ef system in inference mode: text L_T1 dense, L_T2/L_T3 conv 'same'
    (each + batch norm on running statistics + ReLU), audio L_A1/L_A2 likewise, mean pools,
    fusion.hidden ReLU, fusion.out, softmax."""

    def __init__(self, path):
        self.w, meta = read_model(path)
        cfg = json.loads(meta["emofuse.config"])
        assert cfg["system"] == "ef", "the benchmark's model must be an early-fusion (ef) model"
        self.eps = cfg.get("batch_norm_eps", 1e-3)
        self.labels = json.loads(meta["emofuse.labels"])

    def block(self, x, name, conv):
        """x (1, C, T) -> (1, OC, T)."""
        w = self.w
        if conv:
            K = w[name + ".weight"].shape[2]
            x = F.conv1d(F.pad(x, ((K - 1) // 2, K // 2)), w[name + ".weight"], w[name + ".bias"])
        else:
            x = F.linear(x.transpose(1, 2), w[name + ".weight"], w[name + ".bias"]).transpose(1, 2)
        if name + ".bn_gamma" in w:
            s = w[name + ".bn_gamma"] / torch.sqrt(w[name + ".bn_var"] + self.eps)
            x = (x - w[name + ".bn_mean"][None, :, None]) * s[None, :, None] + w[name + ".bn_beta"][None, :, None]
        return F.relu(x)

    def __call__(self, text, audio):
        """text (T, D) BERT features, audio (T, 36) raw LLDs -> (1, K) probabilities."""
        w = self.w
        a = (audio - w["norm.audio.mean"]) / w["norm.audio.std"]
        x = self.block(text.t()[None], "text.t1", False)
        x = self.block(x, "text.t2", True)
        x = self.block(x, "text.t3", True)
        y = self.block(a.t()[None], "audio.a1", True)
        y = self.block(y, "audio.a2", True)
        z = torch.cat([x.mean(-1), y.mean(-1)], 1)
        h = F.relu(F.linear(z, w["fusion.hidden.weight"], w["fusion.hidden.bias"]))
        return torch.softmax(F.linear(h, w["fusion.out.weight"], w["fusion.out.bias"]), -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bert", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--wav", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--lld", required=True, help="raw float32 T x 36 LLD matrix (bench_classify --dump-lld)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: the stages in process CPU seconds (cold_ms is always wall)")
    a = ap.parse_args()
    clock = time.process_time if a.clock == "cpu" else time.perf_counter
    bert = bert_torch.Bert(a.bert)
    vocab = tok.read_vocab(a.bert + "/vocab.txt")
    model = FusionModel(a.model)
    lld = torch.from_numpy(np.fromfile(a.lld, dtype=np.float32).reshape(-1, 36))
    best = {k: float("inf") for k in ("decode", "tokenize", "bert", "model")}
    cold = None
    for i in range(a.repeat + 1):
        t = {}
        t0 = clock()
        rate, pcm = scipy.io.wavfile.read(a.wav)
        x = pcm.astype(np.float32) / 32767.0
        t["decode"] = clock() - t0
        t0 = clock()
        ids = tok.ids_of(tok.tokens_of(a.text, vocab), vocab)
        t["tokenize"] = clock() - t0
        t0 = clock()
        full = torch.tensor([ids])  # tokens_of adds [CLS] and [SEP]
        feats = bert.forward(full, torch.ones_like(full, dtype=torch.bool))[0, 1:-1]
        t["bert"] = clock() - t0
        t0 = clock()
        p = model(feats, lld)
        t["model"] = clock() - t0
        if cold is None:
            cold = time.perf_counter() - T_START
            if a.repeat == 0:  # cold start only
                break
            continue  # the first round pays one-time costs; best of the others
        for k in best:
            best[k] = min(best[k], t[k])
    probs = ",".join("%.6f" % v for v in p[0].tolist())
    if a.repeat == 0:
        print("cold_ms=%.1f probs=%s" % (cold * 1e3, probs))
        return
    print("audio_s=%.3f pieces=%d cold_ms=%.1f decode_ms=%.2f tokenize_ms=%.3f bert_ms=%.2f model_ms=%.3f probs=%s"
          % (len(x) / rate, len(ids) - 2, cold * 1e3, best["decode"] * 1e3, best["tokenize"] * 1e3, best["bert"] * 1e3,
             best["model"] * 1e3, probs))


if __name__ == "__main__":
    main()
