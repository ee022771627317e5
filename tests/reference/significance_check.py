#!/usr/bin/env python3
"""Independent recomputation of an experiment report's significance results
(OUT/significance.csv, OUT/intervals.csv, the marks in OUT/table1.csv) from the score files
OUT/scores/<system>/seed<k>.csv, with scipy, numpy and scikit-learn (Debian 12: scipy
1.10.1, numpy 1.24.2, scikit-learn 1.2.1).

- per-seed AvRec / AvAUC: scikit-learn (recall_score over the classes present,
  roc_auc_score one-vs-rest), as tests/reference/table1_check.py;
- Wilcoxon over the seeds both systems finished: scipy.stats.wilcoxon(a, b) (defaults),
  all seeds both have finished as pairs; p within 1e-12 (the exact branch agrees to the
  bit); the median difference within 1e-12;
- Holm: statsmodels' multipletests(method='holm') algorithm (statsmodels is not in
  Debian's python3; its code is: sort, (m - i) p_(i), running maximum, cap at 1), NaN left
  out of m; within 1e-12;
- bootstrap intervals of the median seed: the resamples re-drawn with a Python copy of
  ef_rng (xoshiro256** seeded by splitmix64, ef_rng_below's rejection; every bootstrap uses
  report.seed), each scored with rank-based AUCs (scipy.stats.rankdata: the Mann-Whitney
  form of roc_auc_score, checked against scikit-learn on the full data here) and
  np.percentile; the interval ends within 1e-9, the count of resamples with AvAUC defined
  exactly;
- permutation tests on the lowest common seed: the swaps re-drawn with the same Python
  ef_rng (bit j % 64 of the (j / 64)-th draw swaps the j-th labelled utterance), the
  statistic |metric(a) - metric(b)| rank-based, counted at >= observed - max(1e-14, 1e-14
  observed); p within 2 / (1 + n_perm) (a permutation whose statistic ties the observed one
  to within rounding may count on one side here and the other in C; in practice equal);
- the marks of table1.csv: better_avauc / better_avrec list exactly the systems with Holm
  p <= 0.05 over seeds and a positive median difference.
The Python ef_rng, the metrics and Holm are imported from tests/reference/stats_reference.py.
Exit 1 with a message per difference, 77 when scipy or scikit-learn is missing.
usage: significance_check.py OUT
"""
import csv
import json
import math
import os
import sys

try:
    import numpy as np
    from scipy import stats
    import sklearn.metrics  # noqa: F401  (used through stats_reference below; probed here for the skip)
except ImportError:
    # A python3 earlier on PATH (pyenv, venv) may lack Debian's packages: use the system one.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") \
            and not os.environ.get("SIGNIF_CHECK_NO_REEXEC"):
        os.environ["SIGNIF_CHECK_NO_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("SKIP: numpy, scipy or scikit-learn missing")
    sys.exit(77)

# The Python ef_rng, the AvRec / AvAUC of scikit-learn and of ranks, and statsmodels' Holm
# algorithm are those of tests/reference/stats_reference.py (the reference of
# tests/eval/test_stats.c; importable, it writes its fixture only when run as a script).
# Imported outside the try above: a missing or broken stats_reference.py fails, not skips.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats_reference import (EfRng, holm_statsmodels as holm, metrics_fast as metrics_rank,  # noqa: E402
                             metrics_sklearn as metrics_sklearn_labelled)

CLASSES = ["angry", "happy", "sad", "neutral"]


def load(out, system, seed):
    """ids, labels (-1 unknown), float32 probabilities (as C reads them) of one score file."""
    rows = list(csv.DictReader(open(os.path.join(out, "scores", system, f"seed{seed}.csv"))))
    ids = [r["id"] for r in rows]
    y = np.array([CLASSES.index(r["label"]) if r["label"] in CLASSES else -1 for r in rows])
    p = np.array([[np.float32(r["p_" + c]) for c in CLASSES] for r in rows], dtype=np.float32).astype(np.float64)
    return ids, y, p


def metrics_sklearn(y, p):
    """AvRec, AvAUC of the labelled rows (y >= 0) with scikit-learn."""
    keep = y >= 0
    return metrics_sklearn_labelled(y[keep], p[keep])


def fnum(s):
    return float("nan") if s == "" else float(s)


def close(a, b, tol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


def main():
    out = sys.argv[1]
    settings = json.load(open(os.path.join(out, "experiment.json")))
    rep = settings.get("report", {})
    n_boot, n_perm, seed = rep.get("bootstrap", 1000), rep.get("permutations", 1000), rep.get("seed", 1)
    table = list(csv.DictReader(open(os.path.join(out, "table1.csv"))))
    systems = [r["system"] for r in table]
    bad = []
    worst = {"ci": 0.0, "perm_p": 0.0}

    # Per-seed metrics from the score files (the seeds with a merged file).
    per_seed = {}
    for s in systems:
        folder = os.path.join(out, "scores", s)
        seeds = sorted(int(f[4:-4]) for f in os.listdir(folder) if f.startswith("seed") and f.endswith(".csv"))
        per_seed[s] = {k: metrics_sklearn(*load(out, s, k)[1:]) for k in seeds}

    # Bootstrap intervals of the median seed, replayed.
    intervals = list(csv.DictReader(open(os.path.join(out, "intervals.csv"))))
    if [r["system"] for r in intervals] != systems:
        bad.append(f"intervals.csv systems {[r['system'] for r in intervals]} != table1 {systems}")
    for r in intervals:
        s, k = r["system"], int(r["seed"])
        if k != int(next(t for t in table if t["system"] == s)["median_seed"]):
            bad.append(f"{s}: bootstrapped seed {k} is not the median seed")
        _, y, p = load(out, s, k)
        keep = y >= 0
        y, p = y[keep], p[keep]
        m = len(y)
        full_sk = metrics_sklearn(y, p)
        if not (close(full_sk[0], metrics_rank(y, p)[0], 1e-12) and close(full_sk[1], metrics_rank(y, p)[1], 1e-12)):
            bad.append(f"{s}: rank-based metrics disagree with scikit-learn")
        rng = EfRng(seed)
        recs, aucs = [], []
        for _ in range(n_boot):
            idx = np.array([rng.below(m) for _ in range(m)])
            a, u = metrics_rank(y[idx], p[idx])
            recs.append(a)
            if not math.isnan(u):
                aucs.append(u)
        want = {"avrec": full_sk[0], "avauc": full_sk[1],
                "avrec_lo": np.percentile(recs, 2.5), "avrec_hi": np.percentile(recs, 97.5),
                "avauc_lo": np.percentile(aucs, 2.5) if aucs else float("nan"),
                "avauc_hi": np.percentile(aucs, 97.5) if aucs else float("nan")}
        for key, v in want.items():
            if not math.isnan(float(v)):
                worst["ci"] = max(worst["ci"], abs(fnum(r[key]) - float(v)))
            if not close(fnum(r[key]), float(v), 1e-9):
                bad.append(f"{s}: {key} {r[key]} in intervals.csv, {v!r} recomputed")
        if int(r["n"]) != m or int(r["n_boot"]) != n_boot or int(r["n_avauc"]) != len(aucs):
            bad.append(f"{s}: counts n {r['n']} n_boot {r['n_boot']} n_avauc {r['n_avauc']}, want {m} {n_boot} {len(aucs)}")
        row = next(t for t in table if t["system"] == s)
        for key, v, tol in [("avrec_ci_lo", 100 * want["avrec_lo"], 1e-4), ("avrec_ci_hi", 100 * want["avrec_hi"], 1e-4),
                            ("avauc_ci_lo", want["avauc_lo"], 1e-6), ("avauc_ci_hi", want["avauc_hi"], 1e-6)]:
            if not close(fnum(row[key]), float(v), tol):
                bad.append(f"{s}: table1.csv {key} {row[key]}, {v!r} recomputed")

    # Pairs: Wilcoxon over seeds, permutation on the lowest common seed, Holm per family.
    sig = list(csv.DictReader(open(os.path.join(out, "significance.csv"))))
    compared = [s for s in systems if s in settings["systems"]]
    want_pairs = [(a, b) for i, a in enumerate(compared) for b in compared[i + 1:]]
    if [(r["a"], r["b"]) for r in sig] != want_pairs:
        bad.append(f"pairs {[(r['a'], r['b']) for r in sig]} != {want_pairs}")
    fam = {key: [] for key in ("w_avauc", "w_avrec", "p_avauc", "p_avrec")}
    for r in sig:
        a, b = r["a"], r["b"]
        common = sorted(set(per_seed[a]) & set(per_seed[b]))
        if int(r["seeds"]) != len(common):
            bad.append(f"{a} vs {b}: {r['seeds']} seeds, {len(common)} common seeds on disk")
        for mi, name in ((1, "avauc"), (0, "avrec")):
            va = np.array([per_seed[a][k][mi] for k in common])
            vb = np.array([per_seed[b][k][mi] for k in common])
            d = va - vb
            pw = 1.0 if len(d) and (d == 0).all() else float(stats.wilcoxon(va, vb).pvalue) if len(d) else float("nan")
            fam["w_" + name].append(pw)
            if not close(fnum(r["w_" + name]), pw, 1e-12):
                bad.append(f"{a} vs {b}: Wilcoxon {name} p {r['w_' + name]}, scipy {pw!r}")
            md = float(np.median(d)) if len(d) else float("nan")
            if not close(fnum(r["diff_" + name]), md, 1e-12):
                bad.append(f"{a} vs {b}: median difference {name} {r['diff_' + name]}, {md!r} recomputed")
        k = common[0]
        if int(r["perm_seed"]) != k:
            bad.append(f"{a} vs {b}: permutation on seed {r['perm_seed']}, want {k}")
        ia, ya, pa = load(out, a, k)
        ib, yb, pb = load(out, b, k)
        pos = {u: j for j, u in enumerate(ib)}
        rows_a = [j for j, u in enumerate(ia) if u in pos and ya[j] >= 0]
        y = ya[rows_a]
        A, B = pa[rows_a], pb[[pos[ia[j]] for j in rows_a]]
        if int(r["perm_n"]) != len(y):
            bad.append(f"{a} vs {b}: {r['perm_n']} paired utterances, want {len(y)}")
        ma, mb = metrics_rank(y, A), metrics_rank(y, B)
        obs = [abs(ma[1] - mb[1]), abs(ma[0] - mb[0])]
        if not close(fnum(r["perm_diff_avauc"]), ma[1] - mb[1], 1e-12) or \
                not close(fnum(r["perm_diff_avrec"]), ma[0] - mb[0], 1e-12):
            bad.append(f"{a} vs {b}: differences on seed {k}")
        rng = EfRng(seed)
        m = len(y)
        hits = [0, 0]
        for _ in range(n_perm):
            words = [rng.u64() for _ in range((m + 63) // 64)]
            swap = np.array([(words[j // 64] >> (j % 64)) & 1 for j in range(m)], dtype=bool)
            A2 = np.where(swap[:, None], B, A)
            B2 = np.where(swap[:, None], A, B)
            m2a, m2b = metrics_rank(y, A2), metrics_rank(y, B2)
            st = [abs(m2a[1] - m2b[1]), abs(m2a[0] - m2b[0])]
            for i in range(2):
                hits[i] += st[i] >= obs[i] - max(1e-14, 1e-14 * obs[i])
        for i, name in enumerate(("avauc", "avrec")):
            pp = (1 + hits[i]) / (1 + n_perm)
            fam["p_" + name].append(pp)
            worst["perm_p"] = max(worst["perm_p"], abs(fnum(r["p_" + name]) - pp))
            if not close(fnum(r["p_" + name]), pp, 2 / (1 + n_perm)):
                bad.append(f"{a} vs {b}: permutation {name} p {r['p_' + name]}, replayed {pp!r}")
    for key, ps in fam.items():
        adj = holm(ps)
        for r, v in zip(sig, adj):
            if not close(fnum(r[key + "_holm"]), float(v), 1e-12 if key.startswith("w_") else 2 * len(ps) / (1 + n_perm)):
                bad.append(f"{r['a']} vs {r['b']}: {key}_holm {r[key + '_holm']}, {v!r} recomputed")
    # Table 1's marks: over seeds, Holm p <= 0.05, positive median difference.
    holm_w = {name: dict(zip([(r["a"], r["b"]) for r in sig], holm(fam["w_" + name]))) for name in ("avauc", "avrec")}
    for row in table:
        s = row["system"]
        for name in ("avauc", "avrec"):
            want = []
            for o in compared:
                if o == s or s not in compared:
                    continue
                key = (s, o) if (s, o) in holm_w[name] else (o, s)
                d = np.median([per_seed[s][k][name == "avrec" and 0 or 1] - per_seed[o][k][name == "avrec" and 0 or 1]
                               for k in sorted(set(per_seed[s]) & set(per_seed[o]))])
                if holm_w[name][key] <= 0.05 and d > 0:
                    want.append(o)
            got = [x for x in row["better_" + name].split(";") if x]
            if got != want:
                bad.append(f"{s}: better_{name} {got}, want {want}")
    for line in bad:
        print(line)
    if bad:
        sys.exit(1)
    print(f"ok ({len(intervals)} intervals, {len(sig)} pairs; scipy, scikit-learn; largest difference: interval "
          f"ends {worst['ci']:.1e}, permutation p {worst['perm_p']:.1e})")


if __name__ == "__main__":
    main()
