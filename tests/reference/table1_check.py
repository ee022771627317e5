#!/usr/bin/env python3
"""Independent recomputation of an experiment folder's Table 1 from its score files
(OUT/scores/<system>/seed<k>.csv), for the tests of `emofuse experiment`.

AvRec = mean recall over the classes present; AvAUC = mean one-vs-rest ROC AUC; median
and IQR over seeds with numpy's linear percentiles. Uses scikit-learn and numpy when they
are installed (the paper's tools), else a plain-Python version of the same definitions,
so CI without them still checks. Exit 1 with a message on any difference.
usage: table1_check.py OUT
"""
import csv
import os
import sys

CLASSES = ["angry", "happy", "sad", "neutral"]

try:
    import numpy as np
    from sklearn.metrics import recall_score, roc_auc_score
    HAVE_SKLEARN = True
except ImportError:
    # A python3 earlier on PATH (pyenv, venv) may lack Debian's python3-sklearn: use the
    # system interpreter, which scripts/install-deps.sh gives scikit-learn.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") \
            and not os.environ.get("TABLE1_CHECK_NO_REEXEC"):
        os.environ["TABLE1_CHECK_NO_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    HAVE_SKLEARN = False


def auc_plain(scores, positive):
    # Mann-Whitney U with ties counted one half (= the trapezoid ROC AUC).
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    if not pos or not neg:
        return None
    wins = 0.0
    for a in pos:
        for b in neg:
            wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return wins / (len(pos) * len(neg))


def metrics(rows):
    labels = [CLASSES.index(r["label"]) for r in rows if r["label"]]
    probs = [[float(r["p_" + c]) for c in CLASSES] for r in rows if r["label"]]
    pred = [max(range(4), key=lambda k: (p[k], -k)) for p in probs]
    present = sorted(set(labels))
    if HAVE_SKLEARN:
        avrec = recall_score(labels, pred, labels=present, average="macro")
        aucs = [roc_auc_score([y == k for y in labels], [p[k] for p in probs]) for k in present
                if 0 < sum(y == k for y in labels) < len(labels)]
    else:
        rec = [sum(1 for y, q in zip(labels, pred) if y == k and q == k) / sum(1 for y in labels if y == k)
               for k in present]
        avrec = sum(rec) / len(rec)
        aucs = [a for a in (auc_plain([p[k] for p in probs], [y == k for y in labels]) for k in present) if a is not None]
    return avrec, sum(aucs) / len(aucs)


def percentile(x, q):
    if HAVE_SKLEARN:
        return float(np.percentile(x, q))
    x = sorted(x)
    pos = (len(x) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(x) - 1)
    return x[lo] + (x[hi] - x[lo]) * (pos - lo)


def main():
    out = sys.argv[1]
    table = {r["system"]: r for r in csv.DictReader(open(os.path.join(out, "table1.csv")))}
    bad = []
    for system, row in table.items():
        folder = os.path.join(out, "scores", system)
        seeds = sorted(f for f in os.listdir(folder) if f.startswith("seed") and f.endswith(".csv"))
        res = [metrics(list(csv.DictReader(open(os.path.join(folder, f))))) for f in seeds]
        if int(row["seeds"]) != len(res):
            bad.append(f"{system}: {row['seeds']} seeds in the table, {len(res)} score files")
        recs = [100 * r[0] for r in res]
        aucs = [r[1] for r in res]
        want = {"avrec_median": percentile(recs, 50), "avrec_iqr": percentile(recs, 75) - percentile(recs, 25),
                "avauc_median": percentile(aucs, 50), "avauc_iqr": percentile(aucs, 75) - percentile(aucs, 25)}
        for key, v in want.items():
            tol = 1e-3 if key.startswith("avrec") else 1e-5  # the CSV's printed precision
            if abs(float(row[key]) - v) > tol:
                bad.append(f"{system}: {key} {row[key]} in the table, {v:.6f} recomputed")
    # Epoch selection (select_epochs=test): each candidate's median AvAUC over the first
    # seeds, recomputed from the per-epoch run files of a fresh OUT, and the best chosen.
    epochs_csv = os.path.join(out, "epochs.csv")
    if os.path.exists(epochs_csv):
        rows = list(csv.DictReader(open(epochs_csv)))
        for system in {r["system"] for r in rows}:
            cands = [r for r in rows if r["system"] == system]
            med = {}
            for r in cands:
                e, n = int(r["epoch"]), int(r["seeds"])
                aucs = []
                for seed in range(1, n + 1):
                    d = os.path.join(out, "runs", system, f"seed{seed}")
                    merged = []
                    for f in sorted(os.listdir(d)):
                        if f.endswith(f".e{e}.csv"):
                            merged += list(csv.DictReader(open(os.path.join(d, f))))
                    aucs.append(metrics(merged)[1])
                med[e] = percentile(aucs, 50)
                if abs(med[e] - float(r["median_avauc"])) > 1e-5:
                    bad.append(f"{system} epoch {e}: median AvAUC {r['median_avauc']} listed, {med[e]:.6f} recomputed")
            best = min(med, key=lambda e: (-med[e], e))
            chosen = [int(r["epoch"]) for r in cands if r["selected"] == "1"]
            if chosen != [best]:
                bad.append(f"{system}: selected epoch {chosen}, recomputed best {best}")
            if system in table and int(table[system]["epoch"]) != best:
                bad.append(f"{system}: table epoch {table[system]['epoch']}, selected {best}")
    for line in bad:
        print(line)
    if bad:
        sys.exit(1)
    print(f"ok ({len(table)} systems, {'scikit-learn' if HAVE_SKLEARN else 'plain Python'})")


if __name__ == "__main__":
    main()
