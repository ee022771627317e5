#!/usr/bin/python3
"""Reference values for src/eval (tests/eval/test_metrics.c) from scikit-learn and numpy.

Regenerate (Debian's python3 has numpy and scikit-learn):
    /usr/bin/python3 tests/reference/metrics_reference.py tests/fixtures/eval/metrics.json

Cases: random 4-class probabilities, scores with many ties, a class absent from the true
labels (our AvRec = recall_score(labels=<present>, average='macro'); scikit-learn's default
macro average, which counts the absent-but-predicted class as 0, is stored for the record),
unknown labels (-1, left out), perfect and inverted scores, binary AUCs of raw scores, and
numpy percentiles (25/50/75, default linear method) of short vectors.
Scores are rounded to float32 so that the C side (float) sees exactly the same numbers.
"""
import json
import sys
import warnings

import numpy as np
from sklearn.metrics import confusion_matrix, recall_score, roc_auc_score

warnings.filterwarnings("ignore")
rng = np.random.default_rng(20200504)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def num(x):
    return None if x is None or not np.isfinite(x) else float(x)


def case(name, labels, probs, K):
    labels = np.asarray(labels, dtype=np.int64)
    probs = f32(probs).reshape(len(labels), K)
    keep = labels >= 0
    y, p = labels[keep], probs[keep]
    pred = p.argmax(axis=1)
    present = np.unique(y)
    cm = confusion_matrix(y, pred, labels=np.arange(K))
    rec = [num(recall_score(y == k, pred == k)) if (y == k).any() else None for k in range(K)]
    auc = []
    for k in range(K):
        pos = y == k
        auc.append(num(roc_auc_score(pos, p[:, k])) if 0 < pos.sum() < len(y) else None)
    defined = [a for a in auc if a is not None]
    ovr = None
    if len(present) == K and np.allclose(p.sum(axis=1), 1, atol=1e-6):
        # Same thing through scikit-learn's multi-class API (needs every class present).
        pn = p / p.sum(axis=1, keepdims=True)
        ovr = num(roc_auc_score(y, pn, multi_class="ovr", average="macro"))
    return {
        "name": name, "K": K, "n": int(len(labels)),
        "labels": labels.tolist(), "probs": probs.ravel().tolist(),
        "pred": pred.tolist(), "cm": cm.ravel().tolist(), "recall": rec, "auc": auc,
        "avrec": num(recall_score(y, pred, labels=present, average="macro")),
        "avrec_sklearn_default": num(recall_score(y, pred, average="macro")),
        "avauc": num(np.mean(defined)) if defined else None,
        "avauc_sklearn_ovr": ovr,
    }


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


cases = []
K = 4
n = 200
y = rng.integers(0, K, n)
z = rng.normal(size=(n, K))
z[np.arange(n), y] += 1.0
cases.append(case("random", y, softmax(z), K))

# Heavy ties: probabilities rounded to one decimal.
y = rng.integers(0, K, 60)
z = rng.normal(size=(60, K))
z[np.arange(60), y] += 0.7
cases.append(case("ties", y, np.round(softmax(z), 1), K))

# Class 2 never a true label but sometimes predicted.
y = rng.choice([0, 1, 3], 40)
z = rng.normal(size=(40, K))
z[np.arange(40), y] += 0.8
cases.append(case("class_absent", y, softmax(z), K))

# Unknown labels are left out.
y = rng.integers(-1, K, 50)
z = rng.normal(size=(50, K))
cases.append(case("unknown_labels", y, softmax(z), K))

# Perfect and inverted scores.
y = np.repeat(np.arange(K), 5)
perfect = np.full((len(y), K), 0.1)
perfect[np.arange(len(y)), y] = 0.7
cases.append(case("perfect", y, perfect, K))
inverted = np.full((len(y), K), 0.3)
inverted[np.arange(len(y)), y] = 0.1
cases.append(case("inverted", y, inverted, K))

# Three classes, all scores equal: every AUC is 0.5, everything predicted as class 0.
y = np.array([0, 1, 2, 0, 1, 2, 2])
cases.append(case("all_tied", y, np.full((7, 3), 1 / 3), 3))

binary = []
for m, levels in [(30, None), (25, 3), (8, 1), (100, 5)]:
    s = rng.normal(size=m) * 3
    if levels:
        s = np.round(s / 3 * levels) * 0.25
    s = f32(s)
    pos = rng.integers(0, 2, m)
    pos[0], pos[1] = 0, 1
    binary.append({"scores": s.tolist(), "positive": pos.tolist(), "auc": float(roc_auc_score(pos, s))})

percentiles = []
for m in [1, 2, 3, 4, 5, 7, 10]:
    x = rng.normal(size=m)
    if m >= 4:
        x[1] = x[2]  # a tie
    percentiles.append({"x": x.tolist(), "q25": float(np.percentile(x, 25)),
                        "median": float(np.percentile(x, 50)), "q75": float(np.percentile(x, 75)),
                        "p10": float(np.percentile(x, 10))})

out = {"generator": "tests/reference/metrics_reference.py", "numpy": np.__version__,
       "cases": cases, "binary": binary, "percentiles": percentiles}
with open(sys.argv[1] if len(sys.argv) > 1 else "metrics.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
