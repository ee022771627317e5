#!/usr/bin/python3
"""Reference values for src/eval/stats_*.c (tests/eval/test_stats.c) from scipy, numpy and
scikit-learn.

Regenerate (Debian 12's python3: numpy 1.24, scipy 1.10, scikit-learn 1.2; about 30 s):
    /usr/bin/python3 tests/reference/stats_reference.py tests/fixtures/eval/stats.json

What it writes (see docs/evaluation.md, "Significance"):
  wilcoxon     scipy.stats.wilcoxon(a, b) p-values with the defaults (zero_method='wilcox',
               correction=False, two-sided, method='auto') for n = 1, 5, 10, 30, 50, 51,
               60, without and with ties, with zeros, and at the centre of the
               distribution. Values on a 1/1024 grid where ties are wanted, so that the
               differences are exact and tie in C exactly as in numpy.
  holm         Holm step-down adjustment by statsmodels' multipletests(method='holm')
               algorithm (statsmodels is not in Debian's python3; its code is: sort,
               p_(i) * (m - i), running maximum, values > 1 set to 1), ties, capping, m = 1,
               and a NaN (left out of m, our documented rule).
  bootstrap    - mc: a fixed 4-class dataset (n = 300), the reference's own percentile
                 bootstrap (numpy's generator, B = 20000 resamples) of AvRec and AvAUC and
                 the Monte-Carlo standard error of each interval end (half the distance
                 between the order statistics B q -/+ sqrt(B q (1 - q))); C runs its own B =
                 20000 and must agree within atol = 5 sqrt(2) se (independent estimates);
               - replay: the resamples of ef_bootstrap re-drawn here with a Python copy of
                 ef_rng (xoshiro256** seeded by splitmix64, ef_rng_below's rejection), each
                 materialised and scored with scikit-learn: the intervals must agree to
                 1e-12 and the counts of skipped resamples exactly (this check does depend
                 on the documented draw order);
               - degenerate: perfect scores (every resample scores 1), all scores tied
                 (AvAUC 0.5 on every resample).
  permutation  - identical systems: p = 1 exactly;
               - perfect vs random (n = 150): no permutation comes near the observed
                 difference (the largest of 2000 reference permutations is stored), so
                 p = 1 / (1 + n_perm) exactly;
               - exact: scipy.stats.permutation_test(permutation_type='samples',
                 alternative='greater', every one of the 2^n swaps) of |metric(a) -
                 metric(b)| on n = 10 and 12 utterances; C's Monte-Carlo p with n_perm =
                 20000 must agree within 5 sqrt(p (1 - p) / n_perm) + 1 / (1 + n_perm);
               - replay: the permutations of ef_paired_permutation_test re-drawn with the
                 Python ef_rng, scored with scikit-learn: the p-values must be equal.
Scores are float32 (written as their shortest float32 decimal) so C sees the same numbers.
Importing it writes nothing: significance_check.py imports EfRng, the metrics and Holm.
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy import stats
from sklearn import __version__ as sklearn_version
from sklearn.metrics import recall_score, roc_auc_score

rng = np.random.default_rng(20200505)
M64 = (1 << 64) - 1


def num(x):
    return None if x is None or not np.isfinite(x) else float(x)


def f32list(a):
    """float32 values as their shortest decimal (reads back as the same float32)."""
    return [float(repr(np.float32(v))) for v in np.asarray(a, dtype=np.float32).ravel()]


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---- ef_evaluate's metrics, with scikit-learn ------------------------------------------

def metrics_sklearn(y, p):
    """AvRec, AvAUC of labelled rows y (>= 0), p (m, K) as ef_evaluate defines them."""
    K = p.shape[1]
    pred = p.argmax(axis=1)
    present = np.unique(y)
    avrec = recall_score(y, pred, labels=present, average="macro")
    aucs = [roc_auc_score(y == k, p[:, k]) for k in range(K) if 0 < (y == k).sum() < len(y)]
    return float(avrec), (float(np.mean(aucs)) if aucs else float("nan"))


def metrics_fast(y, p):
    """Same numbers through average ranks (Mann-Whitney); checked against sklearn."""
    K = p.shape[1]
    pred = p.argmax(axis=1)
    rec = [np.mean(pred[y == k] == k) for k in range(K) if (y == k).any()]
    aucs = []
    for k in range(K):
        pos = y == k
        P = pos.sum()
        N = len(y) - P
        if P == 0 or N == 0:
            continue
        r = stats.rankdata(p[:, k])
        aucs.append((r[pos].sum() - P * (P + 1) / 2) / (P * N))
    return float(np.mean(rec)), (float(np.mean(aucs)) if aucs else float("nan"))


# ---- Python copy of ef_rng (src/core/rng.c) ----------------------------------------------

class EfRng:
    def __init__(self, seed):
        x = seed & M64
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def u64(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def below(self, n):
        limit = M64 - M64 % n
        while True:
            x = self.u64()
            if x < limit:
                return x % n


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def dataset(n, K, signal, labels=None):
    y = rng.integers(0, K, n) if labels is None else np.asarray(labels)
    z = rng.normal(size=(n, K))
    z[np.arange(n), np.clip(y, 0, K - 1)] += signal
    return y, f32(softmax(z))


# ---- Wilcoxon ------------------------------------------------------------------------------

def wilcoxon_case(name, a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = a - b
    res = stats.wilcoxon(a, b)
    nz = d[d != 0]
    # p of (b, a): equal to p except in the exact branch with a tied half rank, where
    # scipy 1.10 truncates r_plus (so the two orders truncate different sums).
    p_swapped = float(stats.wilcoxon(b, a).pvalue)
    return {"name": name, "n": len(a), "a": a.tolist(), "b": b.tolist(), "p": float(res.pvalue),
            "p_swapped": p_swapped,
            "statistic": float(res.statistic),
            "method": "exact" if len(d) <= 50 and (d != 0).all() else "approx",
            "ties": bool(len(np.unique(np.abs(nz))) < len(nz)), "zeros": int((d == 0).sum())}


def wilcoxon_cases():
    wilcoxon = []
    for n in [1, 5, 10, 30, 50, 51, 60]:
        # AvRec-like values, a slightly better on average: no ties, no zeros.
        a = 0.62 + 0.02 * rng.normal(size=n)
        b = a - 0.004 - 0.01 * rng.normal(size=n)
        wilcoxon.append(wilcoxon_case(f"plain_n{n}", a, b))
    for n in [5, 10, 30, 60]:
        # Ties in |d| (grid values), no zero difference.
        b = np.round((0.6 + 0.02 * rng.normal(size=n)) * 1024) / 1024
        steps = rng.choice([-3, -2, -1, 1, 2, 3, 4], size=n)
        a = b + steps / 1024
        wilcoxon.append(wilcoxon_case(f"ties_n{n}", a, b))
    for n in [10, 30, 60]:
        # Zeros (dropped; normal approximation) and ties.
        b = np.round((0.6 + 0.02 * rng.normal(size=n)) * 1024) / 1024
        steps = rng.choice([-2, -1, 0, 1, 2, 3], size=n)
        steps[0] = 0
        steps[1] = 1
        a = b + steps / 1024
        wilcoxon.append(wilcoxon_case(f"zeros_n{n}", a, b))
    # r_plus at the centre (n = 4: ranks 1+4 positive, 2+3 negative): p = 1.
    wilcoxon.append(wilcoxon_case("centre_n4", [1.0, -2.0, -3.0, 4.0], [0.0, 0.0, 0.0, 0.0]))
    # Every difference positive, n = 10: the smallest exact p, 2 / 2^10.
    wilcoxon.append(wilcoxon_case("all_positive_n10", np.arange(1, 11) * 0.01 + 0.5, np.full(10, 0.5)))
    # A tie with a half rank in the exact branch: r_plus = 10.5, which scipy truncates to 10
    # (and, with the systems swapped, r_plus = 4.5 to 4).
    wilcoxon.append(wilcoxon_case("half_rank_n5", [0.5, -0.5, 0.25, 0.75, -0.125], [0.0] * 5))
    return wilcoxon


# ---- Holm ----------------------------------------------------------------------------------

def holm_statsmodels(p):
    """statsmodels.stats.multitest.multipletests(p, method='holm')[1], NaN left out of m."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(len(p), np.nan)
    keep = ~np.isnan(p)
    pv = p[keep]
    order = np.argsort(pv)
    srt = pv[order]
    ntests = len(pv)
    corr = np.maximum.accumulate(srt * np.arange(ntests, 0, -1))
    corr[corr > 1] = 1
    back = np.empty(ntests)
    back[order] = corr
    out[keep] = back
    return out


def holm_cases():
    holm = []
    for p in [
        [0.01, 0.04, 0.03, 0.005],
        [0.5, 0.003, 0.32, 0.054, 0.0003],             # pingouin's / statsmodels' doc example
        [0.02, 0.02, 0.02, 0.9, 0.001, 0.3],           # ties
        [0.3, 0.4, 0.6, 0.2],                          # capped at 1
        [0.04],                                        # m = 1
        [0.012, 0.011, 0.2, 0.0125, 0.013, 0.05, 0.0001, 0.7],  # step-down monotonicity matters
        list(rng.uniform(0, 0.1, 12)),
        [0.01, float("nan"), 0.04, 0.02],              # an undefined test
    ]:
        holm.append({"p": [num(x) for x in p], "adjusted": [num(x) for x in holm_statsmodels(p)]})
    return holm


# ---- bootstrap ------------------------------------------------------------------------------

def bootstrap_values(y, p, B, batch=2000):
    """Vectorised percentile bootstrap with numpy's generator: AvRec, AvAUC per resample."""
    m, K = p.shape
    pred = p.argmax(axis=1)
    brng = np.random.default_rng(7)
    vr, va = [], []
    for start in range(0, B, batch):
        nb = min(batch, B - start)
        idx = brng.integers(0, m, size=(nb, m))
        yy = y[idx]
        corr = pred[idx] == yy
        recs, cnt = np.zeros(nb), np.zeros(nb)
        aucs, acnt = np.zeros(nb), np.zeros(nb)
        for k in range(K):
            pos = yy == k
            P = pos.sum(axis=1)
            ok = P > 0
            recs[ok] += (corr & pos).sum(axis=1)[ok] / P[ok]
            cnt += ok
            N = m - P
            okk = (P > 0) & (N > 0)
            r = stats.rankdata(p[idx, k], axis=1)
            auc = ((r * pos).sum(axis=1) - P * (P + 1) / 2) / np.where(okk, P * N, 1)
            aucs[okk] += auc[okk]
            acnt += okk
        if start == 0:  # the vectorised numbers are scikit-learn's
            for b in range(20):
                ar, aa = metrics_sklearn(yy[b], p[idx[b]])
                assert abs(ar - recs[b] / cnt[b]) < 1e-12 and abs(aa - aucs[b] / acnt[b]) < 1e-12
        vr.append(recs / cnt)
        va.append(np.where(acnt > 0, aucs / np.maximum(acnt, 1), np.nan))
    return np.concatenate(vr), np.concatenate(va)


def mc_se(values, q):
    """Monte-Carlo standard error of numpy.percentile(values, 100 q): half the distance
    between the order statistics B q -/+ sqrt(B q (1 - q)) (a 68% distribution-free
    interval of the quantile)."""
    v = np.sort(values)
    B = len(v)
    h = np.sqrt(B * q * (1 - q))
    lo = int(np.floor(B * q - h))
    hi = int(np.ceil(B * q + h))
    return float((v[min(hi, B - 1)] - v[max(lo, 0)]) / 2)


def bootstrap_replay(name, y_all, p_all, K, B, seed, level):
    keep = y_all >= 0
    y, p = y_all[keep], p_all[keep]
    m = len(y)
    r = EfRng(seed)
    vr, va, missing = [], [], 0
    present = set(np.unique(y).tolist())
    for _ in range(B):
        idx = np.array([r.below(m) for _ in range(m)])
        ar, aa = metrics_sklearn(y[idx], p[idx])
        if set(np.unique(y[idx]).tolist()) != present:
            missing += 1
        vr.append(ar)
        if np.isfinite(aa):
            va.append(aa)
    qs = [50 * (1 - level), 50 * (1 + level)]
    full = metrics_sklearn(y, p)
    return {"name": name, "K": K, "n": len(y_all), "labels": y_all.tolist(), "probs": f32list(p_all),
            "n_boot": B, "seed": seed, "level": level, "avrec": num(full[0]), "avauc": num(full[1]),
            "avrec_ci": [num(x) for x in np.percentile(vr, qs)],
            "avauc_ci": [num(x) for x in np.percentile(va, qs)] if va else [None, None],
            "n_avrec": len(vr), "n_avauc": len(va), "n_class_missing": missing}


def bootstrap_cases():
    bootstrap = {}
    y, p = dataset(300, 4, 1.2)
    level, B = 0.95, 20000
    vr, va = bootstrap_values(y, p, B)
    qs = [50 * (1 - level), 50 * (1 + level)]
    full = metrics_sklearn(y, p)
    bootstrap["mc"] = {
        "K": 4, "n": 300, "labels": y.tolist(), "probs": f32list(p), "level": level, "n_boot": B,
        "avrec": full[0], "avauc": full[1],
        "avrec_ci": [float(x) for x in np.percentile(vr, qs)],
        "avauc_ci": [float(x) for x in np.percentile(va, qs)],
        "avrec_se": [mc_se(vr, q / 100) for q in qs], "avauc_se": [mc_se(va, q / 100) for q in qs],
        "tolerance": "atol = 5 * sqrt(2) * se (two independent Monte-Carlo estimates), rtol = 0",
    }

    replay = []
    y, p = dataset(60, 3, 0.8, labels=rng.integers(-1, 3, 60))
    p = f32(np.round(p, 1))  # heavy ties
    replay.append(bootstrap_replay("ties_unknown", y, p, 3, 300, 11, 0.9))
    y = np.array([0, 0, 0, 0, 0, 1, -1])
    _, p = dataset(7, 2, 1.0, labels=np.array([0, 0, 0, 0, 0, 1, 0]))
    replay.append(bootstrap_replay("rare_class", y, p, 2, 200, 3, 0.5))
    y, p = dataset(40, 4, 1.0)
    replay.append(bootstrap_replay("plain", y, p, 4, 250, 20200504, 0.95))
    bootstrap["replay"] = replay

    # Degenerate: perfect scores (every resample: AvRec = AvAUC = 1) and all scores tied
    # (AvAUC = 0.5 on every resample with two classes; everything predicted as class 0).
    y = np.repeat(np.arange(4), 25)
    perfect = np.full((100, 4), 0.1)
    perfect[np.arange(100), y] = 0.7
    bootstrap["perfect"] = {"K": 4, "n": 100, "labels": y.tolist(), "probs": f32list(perfect),
                            "avrec_ci": [1.0, 1.0], "avauc_ci": [1.0, 1.0]}
    bootstrap["tied"] = {"K": 4, "n": 100, "labels": y.tolist(), "probs": f32list(np.full((100, 4), 0.25)),
                         "avauc_ci": [0.5, 0.5]}
    return bootstrap


# ---- permutation tests --------------------------------------------------------------------

def perm_stat(y, pa, pb, which):
    i = 1 if which == "avauc" else 0
    return abs(metrics_fast(y, pa)[i] - metrics_fast(y, pb)[i])


def exact_permutation(y, pa, pb):
    """scipy.stats.permutation_test over all 2^n within-utterance swaps."""
    m = len(y)
    allp = np.vstack([pa, pb])
    out = {}
    for which in ["avauc", "avrec"]:
        def stat(ca, cb):
            return perm_stat(y, allp[np.asarray(ca).astype(int)], allp[np.asarray(cb).astype(int)], which)

        res = stats.permutation_test((np.arange(m), np.arange(m) + m), stat, permutation_type="samples",
                                     vectorized=False, n_resamples=np.inf, alternative="greater")
        out[which] = float(res.pvalue)
        # The exact enumeration really happened: 2^m null values.
        assert len(res.null_distribution) == 2 ** m
    return out


def permutation_replay(y_all, pa_all, pb_all, n_perm, seed):
    keep = y_all >= 0
    y, pa, pb = y_all[keep], pa_all[keep], pb_all[keep]
    m = len(y)
    obs = {w: perm_stat(y, pa, pb, w) for w in ["avauc", "avrec"]}
    ge = {"avauc": 0, "avrec": 0}
    r = EfRng(seed)
    words = (m + 63) // 64
    for _ in range(n_perm):
        draws = [r.u64() for _ in range(words)]
        s = np.array([(draws[j // 64] >> (j % 64)) & 1 for j in range(m)], dtype=bool)
        a2 = np.where(s[:, None], pb, pa)
        b2 = np.where(s[:, None], pa, pb)
        for w in ge:
            gamma = max(1e-14, abs(1e-14 * obs[w]))
            ge[w] += perm_stat(y, a2, b2, w) >= obs[w] - gamma
    # The rank-based metrics are scikit-learn's.
    for w, i in [("avauc", 1), ("avrec", 0)]:
        assert abs(obs[w] - abs(metrics_sklearn(y, pa)[i] - metrics_sklearn(y, pb)[i])) < 1e-12
    return {"K": pa_all.shape[1], "n": len(y_all), "labels": y_all.tolist(), "probs_a": f32list(pa_all),
            "probs_b": f32list(pb_all), "n_perm": n_perm, "seed": seed,
            "p_avauc": (1 + ge["avauc"]) / (1 + n_perm), "p_avrec": (1 + ge["avrec"]) / (1 + n_perm)}


def permutation_cases():
    permutation = {}
    y, pa = dataset(30, 4, 1.0)
    permutation["identical"] = {"K": 4, "n": 30, "labels": y.tolist(), "probs_a": f32list(pa), "probs_b": f32list(pa),
                                "p_avauc": 1.0, "p_avrec": 1.0}

    y = np.repeat(np.arange(4), 150 // 4 + 1)[:150]
    perfect = np.full((150, 4), 0.1)
    perfect[np.arange(150), y] = 0.7
    _, rnd = dataset(150, 4, 0.0, labels=y)
    obs = [perm_stat(y, perfect, rnd, w) for w in ["avauc", "avrec"]]
    mx = [0.0, 0.0]
    for _ in range(2000):
        s = rng.integers(0, 2, 150).astype(bool)
        a2 = np.where(s[:, None], rnd, perfect)
        b2 = np.where(s[:, None], perfect, rnd)
        mx = [max(mx[0], perm_stat(y, a2, b2, "avauc")), max(mx[1], perm_stat(y, a2, b2, "avrec"))]
    permutation["perfect_vs_random"] = {
        "K": 4, "n": 150, "labels": y.tolist(), "probs_a": f32list(perfect), "probs_b": f32list(rnd),
        "observed": obs, "max_of_2000_null": mx, "n_perm": 999, "p_avauc": 1 / 1000, "p_avrec": 1 / 1000}
    assert mx[0] < obs[0] / 2 and mx[1] < obs[1] / 2

    exact = []
    for n, K, sig in [(10, 3, 2.0), (12, 2, 0.8)]:
        labels = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
        _, pa = dataset(n, K, sig, labels=labels)
        _, pb = dataset(n, K, sig * 0.3, labels=labels)
        pv = exact_permutation(labels, pa, pb)
        exact.append({"K": K, "n": n, "labels": labels.tolist(), "probs_a": f32list(pa), "probs_b": f32list(pb),
                      "observed": [perm_stat(labels, pa, pb, w) for w in ["avauc", "avrec"]],
                      "p_avauc": pv["avauc"], "p_avrec": pv["avrec"], "n_perm": 20000,
                      "tolerance": "atol = 5 sqrt(p (1 - p) / n_perm) + 1 / (1 + n_perm), rtol = 0"})
    permutation["exact"] = exact

    labels = rng.integers(-1, 4, 90)  # 70-odd labelled: two 64-bit words per permutation
    _, pa = dataset(90, 4, 1.0, labels=labels)
    _, pb = dataset(90, 4, 0.8, labels=labels)
    pb = f32(np.round(pb, 2))  # ties within and across systems
    permutation["replay"] = permutation_replay(labels, pa, pb, 400, 99)
    return permutation


def main():
    warnings.filterwarnings("ignore")
    # In this order: every case draws from the one generator rng.
    wilcoxon, holm, bootstrap, permutation = wilcoxon_cases(), holm_cases(), bootstrap_cases(), permutation_cases()
    out = {"generator": "tests/reference/stats_reference.py", "numpy": np.__version__, "scipy": scipy.__version__,
           "sklearn": sklearn_version, "wilcoxon": wilcoxon, "holm": holm, "bootstrap": bootstrap,
           "permutation": permutation}
    with open(sys.argv[1] if len(sys.argv) > 1 else "stats.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
