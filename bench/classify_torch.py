#!/usr/bin/python3
"""Python side of bench/run_classify.sh: the equivalent Python pipeline for one utterance
(audio + transcript -> 4 class probabilities), single-threaded, timed per stage:
  decode    scipy.io.wavfile + float conversion (16 kHz mono input, no resampling)
  lld       not run: openSMILE is not packaged in Debian; the script adds openSMILE's
            documented 72x real time for the utterance's length (or runs a SMILExtract
            given in $SMILEXTRACT with $SMILE_CONFIG)
  tokenize  tests/reference/tokenizer_reference.py (HuggingFace's slow BertTokenizer
            algorithm; transformers is not installed)
  bert      bench/bert_torch.py's PyTorch BERT, sum of the last 4 layers, inference mode
  model     the early-fusion network of docs/models.md in PyTorch (inference: batch norm
            folded to its affine form), random weights of the real shapes
Prints one line of key=value (milliseconds); cold_ms = interpreter start (the script's
own first line) to the first result, including imports and loading the BERT weights.

usage: classify_torch.py --bert DIR --wav WAV --text TEXT [--repeat N]"""
import os
import sys
import time

T_START = time.perf_counter()
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"
import argparse  # noqa: E402

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


class FusionModel:
    """docs/models.md's ef system: text L_T1 dense 128, L_T2/L_T3 conv 128 k3 (BN + ReLU),
    audio L_A1/L_A2 conv 104 k5 (BN + ReLU), mean pools, dense 128 ReLU, dense 4 softmax."""

    def __init__(self, d_text, d_audio=36, seed=1):
        g = torch.Generator().manual_seed(seed)

        def w(*s):
            return torch.randn(*s, generator=g) * 0.05

        self.t1, self.t2, self.t3 = (w(128, d_text), w(128)), (w(128, 128, 3), w(128)), (w(128, 128, 3), w(128))
        self.a1, self.a2 = (w(104, d_audio, 5), w(104)), (w(104, 104, 5), w(104))
        self.bn = {k: (1 + w(c).abs(), w(c)) for k, c in (("t1", 128), ("t2", 128), ("t3", 128), ("a1", 104), ("a2", 104))}
        self.h, self.o = (w(128, 232), w(128)), (w(4, 128), w(4))

    def bnr(self, x, k):  # x (1, C, T): inference batch norm = per-channel affine
        s, b = self.bn[k]
        return F.relu(x * s[None, :, None] + b[None, :, None])

    def __call__(self, text, audio):
        x = F.linear(text, *self.t1)                       # (T, 128)
        x = self.bnr(x.t()[None], "t1")
        x = self.bnr(F.conv1d(x, self.t2[0], self.t2[1], padding=1), "t2")
        x = self.bnr(F.conv1d(x, self.t3[0], self.t3[1], padding=1), "t3")
        a = self.bnr(F.conv1d(audio.t()[None], self.a1[0], self.a1[1], padding=2), "a1")
        a = self.bnr(F.conv1d(a, self.a2[0], self.a2[1], padding=2), "a2")
        z = torch.cat([x.mean(-1), a.mean(-1)], 1)
        return torch.softmax(F.linear(F.relu(F.linear(z, *self.h)), *self.o), -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bert", required=True)
    ap.add_argument("--wav", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    bert = bert_torch.Bert(a.bert)
    vocab = tok.read_vocab(a.bert + "/vocab.txt")
    model = FusionModel(bert.cfg["hidden_size"])
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    best = {k: float("inf") for k in ("decode", "tokenize", "bert", "model")}
    cold = None
    for i in range(a.repeat + 1):
        t = {}
        t0 = time.perf_counter()
        rate, pcm = scipy.io.wavfile.read(a.wav)
        x = pcm.astype(np.float32) / 32767.0
        t["decode"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        ids = tok.ids_of(tok.tokens_of(a.text, vocab), vocab)
        t["tokenize"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        full = torch.tensor([[cls] + ids + [sep]])
        feats = bert.forward(full, torch.ones_like(full, dtype=torch.bool))[0, 1:-1]
        t["bert"] = time.perf_counter() - t0
        lld = torch.randn(int(len(x) / rate * 100) - 5, 36)  # the LLD matrix openSMILE would give
        t0 = time.perf_counter()
        p = model(feats, lld)
        t["model"] = time.perf_counter() - t0
        if cold is None:
            cold = time.perf_counter() - T_START
            if a.repeat == 0:  # cold start only
                print("cold_ms=%.1f p0=%.4f" % (cold * 1e3, float(p[0, 0])))
                return
            continue  # the first round pays one-time costs; best of the others
        for k in best:
            best[k] = min(best[k], t[k])
    print("audio_s=%.3f pieces=%d cold_ms=%.1f decode_ms=%.2f tokenize_ms=%.3f bert_ms=%.2f model_ms=%.3f p0=%.4f"
          % (len(x) / rate, len(ids), cold * 1e3, best["decode"] * 1e3, best["tokenize"] * 1e3, best["bert"] * 1e3,
             best["model"] * 1e3, float(p[0, 0])))


if __name__ == "__main__":
    main()
