/* Significance tests (include/emofuse/stats.h, docs/evaluation.md "Significance"): the
 * Wilcoxon signed-rank test over seeds (scipy 1.10's defaults), the paired permutation test
 * over utterances, and Holm's step-down adjustment.
 *
 * Permutation test: both systems' scores of class k are sorted together once (2m entries,
 * tagged with their system and utterance). A permutation only decides, per utterance, which
 * of its two entries belongs to system a' and which to b', so one sweep over the merged order
 * gives both permuted AUCs: a' sees its own entries in descending order, its tie groups are
 * the a'-entries of a merged group, and a merged group without a'-entry adds exactly 0.
 * The integers summed are those ef_evaluate would sum on the permuted system, in the same
 * order, so the statistic of the identity permutation is exactly the observed one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/rng.h"
#include "emofuse/stats.h"

/* ---- Wilcoxon signed-rank test ----------------------------------------------------- */

typedef struct {
    double absd;
    int sign; /* +1, -1, 0 */
} signed_diff;

static int cmp_absd(const void *pa, const void *pb)
{
    double x = ((const signed_diff *)pa)->absd, y = ((const signed_diff *)pb)->absd;
    return (x > y) - (x < y);
}

/* scipy.special.ndtr(-x) for x >= 0, i.e. norm.sf(x), with cephes' branches. */
static double norm_sf(double x)
{
    double t = -x * M_SQRT1_2, z = fabs(t);
    if (z < M_SQRT1_2) return 0.5 + 0.5 * erf(t);
    double y = 0.5 * erfc(z);
    return t > 0 ? 1.0 - y : y;
}

ef_code ef_paired_seeds_test(const double *a, const double *b, int n, double *p, ef_error *err)
{
    *p = NAN;
    if (n < 1) return ef_fail(err, EF_ERR_ARG, "wilcoxon: %d pairs (need at least 1)", n);
    for (int i = 0; i < n; i++)
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return ef_fail(err, EF_ERR_ARG, "wilcoxon: value of pair %d is not finite", i);
    signed_diff *d = malloc((size_t)n * sizeof *d);
    if (!d) return ef_fail(err, EF_ERR_NOMEM, "wilcoxon: out of memory");
    int n_zero = 0;
    for (int i = 0; i < n; i++) {
        double x = a[i] - b[i];
        d[i].absd = fabs(x);
        d[i].sign = (x > 0) - (x < 0);
        n_zero += x == 0;
    }
    /* method='auto': exact for n <= 50 unless there is a zero (scipy 1.10 ignores ties). */
    int exact = n <= 50 && n_zero == 0;
    int c = n;
    if (!exact) { /* zero_method='wilcox': drop the zero differences */
        c = 0;
        for (int i = 0; i < n; i++)
            if (d[i].sign != 0) d[c++] = d[i];
        if (c == 0) { /* scipy raises here; nothing suggests a difference */
            free(d);
            *p = 1.0;
            return EF_OK;
        }
    }
    /* Average ranks (1-based) of |d|, as scipy.stats.rankdata; tie group sizes for the
     * variance correction. */
    qsort(d, (size_t)c, sizeof *d, cmp_absd);
    double r_plus = 0, r_minus = 0;
    int64_t ties = 0; /* sum over tie groups of t (t^2 - 1) */
    for (int i = 0; i < c;) {
        int j = i;
        while (j < c && d[j].absd == d[i].absd) j++;
        double r = 0.5 * (double)(i + 1 + j); /* mean of ranks i+1 .. j */
        for (int q = i; q < j; q++) {
            if (d[q].sign > 0) r_plus += r;
            if (d[q].sign < 0) r_minus += r;
        }
        int64_t t = j - i;
        if (t > 1) ties += t * (t * t - 1);
        i = j;
    }
    free(d);

    if (exact) {
        /* Null distribution of r_plus: counts of subsets of {1..c} by sum, c <= 50 so the
         * 2^c total fits in uint64 and every partial sum / 2^c is exact in double, as are
         * scipy's sums of its dyadic pmf: the p-values agree to the last bit. */
        int64_t T = (int64_t)c * (c + 1) / 2;
        uint64_t *cnt = calloc((size_t)T + 1, sizeof *cnt);
        if (!cnt) return ef_fail(err, EF_ERR_NOMEM, "wilcoxon: out of memory");
        cnt[0] = 1;
        for (int k = 1; k <= c; k++) {
            int64_t top = (int64_t)k * (k + 1) / 2;
            for (int64_t s = top; s >= k; s--) cnt[s] += cnt[s - k];
        }
        int64_t r = (int64_t)r_plus; /* scipy: int(r_plus), truncating a tied half rank */
        if (r == T / 2) {
            *p = 1.0;
        } else {
            uint64_t less = 0, greater = 0;
            for (int64_t s = 0; s <= r; s++) less += cnt[s];
            for (int64_t s = r; s <= T; s++) greater += cnt[s];
            double pl = ldexp((double)less, -c), pg = ldexp((double)greater, -c);
            double pv = 2.0 * (pl < pg ? pl : pg);
            *p = pv > 1.0 ? 1.0 : pv;
        }
        free(cnt);
        return EF_OK;
    }
    /* Normal approximation without continuity correction (correction=False). */
    double Tstat = r_plus < r_minus ? r_plus : r_minus;
    double cc = (double)c;
    double mn = cc * (cc + 1.0) * 0.25;
    double se = cc * (cc + 1.0) * (2.0 * cc + 1.0);
    se -= 0.5 * (double)ties;
    se = sqrt(se / 24);
    double z = (Tstat - mn) / se;
    *p = 2.0 * norm_sf(fabs(z));
    return EF_OK;
}

/* ---- paired permutation test ------------------------------------------------------- */

typedef struct {
    float score;
    int32_t item;
    uint8_t sys; /* 0: system a, 1: system b */
} pentry;

static int cmp_pentry(const void *pa, const void *pb)
{
    const pentry *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    if (a->item != b->item) return (a->item > b->item) - (a->item < b->item);
    return (a->sys > b->sys) - (a->sys < b->sys);
}

enum { F_SYS = 1, F_POS = 2, F_LAST = 4 };

typedef struct {
    int K;
    int64_t m;
    int32_t *y, *pred; /* (m), (2, m): pred[s * m + i] of system s */
    int64_t support[EF_EVAL_MAX_CLASSES];
    int32_t *item; /* (K, 2m) merged order per class */
    uint8_t *flag; /* (K, 2m) F_SYS | F_POS | F_LAST */
} perm_plan;

static void pplan_free(perm_plan *p)
{
    free(p->y);
    free(p->pred);
    free(p->item);
    free(p->flag);
}

static ef_code pplan_build(perm_plan *p, const float *pa, const float *pb, const int32_t *labels, int64_t n, int K,
                           ef_error *err)
{
    memset(p, 0, sizeof *p);
    p->K = K;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) m += labels[i] >= 0;
    p->m = m;
    p->y = malloc((size_t)m * sizeof *p->y);
    p->pred = malloc((size_t)m * 2 * sizeof *p->pred);
    p->item = malloc((size_t)m * 2 * (size_t)K * sizeof *p->item);
    p->flag = malloc((size_t)m * 2 * (size_t)K);
    pentry *e = malloc((size_t)m * 2 * sizeof *e);
    if (!p->y || !p->pred || !p->item || !p->flag || !e) {
        free(e);
        pplan_free(p);
        return ef_fail(err, EF_ERR_NOMEM, "permutation test: out of memory");
    }
    for (int64_t i = 0, j = 0; i < n; i++) {
        if (labels[i] < 0) continue;
        p->y[j] = labels[i];
        p->support[labels[i]]++;
        p->pred[j] = ef_argmax(pa + i * K, K);
        p->pred[m + j] = ef_argmax(pb + i * K, K);
        j++;
    }
    for (int k = 0; k < K; k++) {
        int64_t q = 0;
        for (int64_t i = 0, j = 0; i < n; i++) {
            if (labels[i] < 0) continue;
            e[q++] = (pentry){pa[i * K + k], (int32_t)j, 0};
            e[q++] = (pentry){pb[i * K + k], (int32_t)j, 1};
            j++;
        }
        qsort(e, (size_t)q, sizeof *e, cmp_pentry);
        int32_t *it = p->item + (int64_t)k * 2 * m;
        uint8_t *fl = p->flag + (int64_t)k * 2 * m;
        for (int64_t r = 0; r < q; r++) {
            it[r] = e[r].item;
            fl[r] = (uint8_t)((e[r].sys ? F_SYS : 0) | (p->y[e[r].item] == k ? F_POS : 0) |
                              (r + 1 == q || e[r + 1].score != e[r].score ? F_LAST : 0));
        }
    }
    free(e);
    return EF_OK;
}

static inline int swapped(const uint64_t *sw, int64_t i) { return (int)((sw[i >> 6] >> (i & 63)) & 1u); }

/* AvRec and AvAUC of a' and b' (index 0, 1) for swap bits sw, with ef_evaluate's rules
 * and arithmetic. with_auc = 0 skips the AUC sweeps (AvAUC undefined on the data). */
static void permuted_metrics(const perm_plan *p, const uint64_t *sw, int with_auc, double avrec[2], double avauc[2])
{
    int K = p->K;
    int64_t m = p->m, correct[2][EF_EVAL_MAX_CLASSES] = {{0}};
    for (int64_t i = 0; i < m; i++) {
        int s = swapped(sw, i), y = p->y[i];
        /* a' takes b's prediction when swapped, b' takes a's. */
        correct[0][y] += p->pred[(int64_t)s * m + i] == y;
        correct[1][y] += p->pred[(int64_t)(1 - s) * m + i] == y;
    }
    for (int s = 0; s < 2; s++) {
        double sum = 0;
        int nr = 0;
        for (int k = 0; k < K; k++)
            if (p->support[k] > 0) {
                sum += (double)correct[s][k] / (double)p->support[k];
                nr++;
            }
        avrec[s] = nr > 0 ? sum / nr : NAN;
        avauc[s] = NAN;
    }
    if (!with_auc) return;
    double asum[2] = {0, 0};
    int na = 0;
    for (int k = 0; k < K; k++) {
        int64_t P = p->support[k], N = m - P;
        if (P == 0 || N == 0) continue;
        const int32_t *it = p->item + (int64_t)k * 2 * m;
        const uint8_t *fl = p->flag + (int64_t)k * 2 * m;
        /* Branch-free counts of a' (tpa, fpa) and b' (tpb, fpb); a group's area is added at its end. */
        int64_t tpa = 0, fpa = 0, tpb = 0, fpb = 0, tpa0 = 0, fpa0 = 0, tpb0 = 0, fpb0 = 0;
        double area2[2] = {0, 0};
        for (int64_t r = 0; r < 2 * m; r++) {
            unsigned f = fl[r];
            unsigned s = (f & F_SYS) ^ (unsigned)swapped(sw, it[r]); /* 0: entry of a', 1: of b' */
            unsigned pos = (f & F_POS) >> 1;
            tpa += pos & (s ^ 1u);
            fpa += (pos ^ 1u) & (s ^ 1u);
            tpb += pos & s;
            fpb += (pos ^ 1u) & s;
            if (f & F_LAST) {
                area2[0] += (double)(fpa - fpa0) * (double)(tpa + tpa0);
                area2[1] += (double)(fpb - fpb0) * (double)(tpb + tpb0);
                tpa0 = tpa;
                fpa0 = fpa;
                tpb0 = tpb;
                fpb0 = fpb;
            }
        }
        for (int t = 0; t < 2; t++) asum[t] += area2[t] / (2.0 * (double)P * (double)N);
        na++;
    }
    for (int s = 0; s < 2; s++) avauc[s] = na > 0 ? asum[s] / na : NAN;
}

ef_code ef_paired_permutation_test(const float *probs_a, const float *probs_b, const int32_t *labels, int64_t n,
                                   int K, int n_perm, uint64_t seed, double *p_avauc, double *p_avrec,
                                   ef_error *err)
{
    *p_avauc = *p_avrec = NAN;
    if (n < 1) return ef_fail(err, EF_ERR_ARG, "permutation test: %lld utterances (need at least 1)", (long long)n);
    if (K < 2 || K > EF_EVAL_MAX_CLASSES)
        return ef_fail(err, EF_ERR_ARG, "permutation test: %d classes (2 to %d supported)", K, EF_EVAL_MAX_CLASSES);
    if (n > INT32_MAX)
        return ef_fail(err, EF_ERR_ARG, "permutation test: %lld utterances (at most %d)", (long long)n, INT32_MAX);
    if (n_perm < 1) return ef_fail(err, EF_ERR_ARG, "permutation test: %d permutations (need at least 1)", n_perm);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] >= K)
            return ef_fail(err, EF_ERR_ARG, "permutation test: label %d of item %lld is not below %d",
                           (int)labels[i], (long long)i, K);
        if (labels[i] < 0) continue;
        m++;
        for (int k = 0; k < K; k++)
            if (!isfinite(probs_a[i * K + k]) || !isfinite(probs_b[i * K + k]))
                return ef_fail(err, EF_ERR_ARG, "permutation test: score %d of item %lld (system %c) is not finite", k,
                               (long long)i, isfinite(probs_a[i * K + k]) ? 'b' : 'a');
    }
    if (m == 0) return ef_fail(err, EF_ERR_ARG, "permutation test: no utterance has a known label");

    perm_plan plan;
    ef_code rc = pplan_build(&plan, probs_a, probs_b, labels, n, K, err);
    if (rc != EF_OK) return rc;
    int64_t words = (m + 63) / 64;
    uint64_t *sw = calloc((size_t)words, sizeof *sw);
    if (!sw) {
        pplan_free(&plan);
        return ef_fail(err, EF_ERR_NOMEM, "permutation test: out of memory");
    }
    /* AvAUC is defined on the data iff some class has positives and negatives; the labels
     * do not move under a permutation, so then it is defined for every permutation. */
    int with_auc = 0;
    for (int k = 0; k < K; k++) with_auc |= plan.support[k] > 0 && plan.support[k] < m;

    double ar[2], aa[2];
    permuted_metrics(&plan, sw, with_auc, ar, aa); /* all bits 0: the data as given */
    double obs_rec = fabs(ar[0] - ar[1]), obs_auc = fabs(aa[0] - aa[1]);
    /* scipy.stats.permutation_test's rounding guard. */
    double g_rec = fmax(1e-14, fabs(1e-14 * obs_rec)), g_auc = fmax(1e-14, fabs(1e-14 * obs_auc));
    int64_t ge_rec = 0, ge_auc = 0;
    ef_rng rng;
    ef_rng_seed(&rng, seed);
    for (int r = 0; r < n_perm; r++) {
        for (int64_t w = 0; w < words; w++) sw[w] = ef_rng_u64(&rng);
        permuted_metrics(&plan, sw, with_auc, ar, aa);
        ge_rec += fabs(ar[0] - ar[1]) >= obs_rec - g_rec;
        if (with_auc) ge_auc += fabs(aa[0] - aa[1]) >= obs_auc - g_auc;
    }
    *p_avrec = (double)(1 + ge_rec) / (double)(1 + (int64_t)n_perm);
    *p_avauc = with_auc ? (double)(1 + ge_auc) / (double)(1 + (int64_t)n_perm) : NAN;
    free(sw);
    pplan_free(&plan);
    return EF_OK;
}

/* ---- Holm-Bonferroni ----------------------------------------------------------------- */

typedef struct {
    double p;
    int idx;
} pidx;

static int cmp_pidx(const void *pa, const void *pb)
{
    const pidx *a = pa, *b = pb;
    if (a->p != b->p) return a->p < b->p ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Out-of-memory fallback, O(m^2) without a sort: with r(j) = #{k : p_k < p_j} (the first
 * sorted position of p_j's tie group), adjusted_i = min(1, max_{j : p_j <= p_i} (M - r(j))
 * p_j). Equal p-values get equal adjusted values, whatever their sorted order. The second
 * pass may overwrite out in place: a finished out[j] with p_j <= p_i is itself a maximum
 * over a subset of i's set. */
static void holm_naive(const double *p, int m, int M, double *out)
{
    for (int j = 0; j < m; j++) {
        if (isnan(p[j])) {
            out[j] = NAN;
            continue;
        }
        int r = 0;
        for (int k = 0; k < m; k++) r += !isnan(p[k]) && p[k] < p[j];
        out[j] = (double)(M - r) * p[j];
    }
    for (int i = 0; i < m; i++) {
        if (isnan(p[i])) continue;
        double best = out[i];
        for (int j = 0; j < m; j++)
            if (!isnan(p[j]) && p[j] <= p[i] && out[j] > best) best = out[j];
        out[i] = best;
    }
    for (int i = 0; i < m; i++)
        if (out[i] > 1) out[i] = 1;
}

void ef_holm(const double *p, int m, double *adjusted)
{
    if (m <= 0) return;
    int M = 0;
    for (int i = 0; i < m; i++) M += !isnan(p[i]);
    pidx *v = malloc((size_t)m * sizeof *v);
    if (!v) {
        holm_naive(p, m, M, adjusted);
        return;
    }
    int q = 0;
    for (int i = 0; i < m; i++)
        if (!isnan(p[i])) v[q++] = (pidx){p[i], i};
    qsort(v, (size_t)q, sizeof *v, cmp_pidx);
    for (int i = 0; i < m; i++)
        if (isnan(p[i])) adjusted[i] = NAN;
    /* Raw (M - i) p_(i), running maximum, cap at 1 (statsmodels' order of operations).
     * Ties: the running maximum carries the first of the group's value to the others. */
    double run = 0;
    for (int i = 0; i < q; i++) {
        double raw = (double)(M - i) * v[i].p;
        if (raw > run || i == 0) run = raw;
        adjusted[v[i].idx] = run > 1 ? 1 : run;
    }
    free(v);
}
