/* Significance statistics (include/emofuse/stats.h) against scipy / numpy / scikit-learn
 * (tests/fixtures/eval/stats.json, made by tests/reference/stats_reference.py):
 *   - Wilcoxon signed-rank p-values (exact and normal branches, ties, zeros), to 1e-15 +
 *     1e-12 |ref|;
 *   - Holm adjustments (statsmodels' algorithm), to 1e-16 + 1e-15 |ref|;
 *   - bootstrap intervals: against the reference's own bootstrap within its Monte-Carlo
 *     tolerance (5 sqrt(2) se), against a replay of our resamples scored by scikit-learn to
 *     1e-12, degenerate data exactly, one resample against ef_evaluate on the materialised
 *     rows bit for bit;
 *   - permutation p-values: identical systems 1 exactly, perfect vs random 1 / (1 + n_perm),
 *     scipy's exact enumeration within 5 sqrt(p (1 - p) / n_perm) + 1 / (1 + n_perm), a
 *     replay of our permutations exactly;
 * plus determinism from the seed and argument errors. No timing. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/rng.h"
#include "emofuse/stats.h"
#include "testutil.h"

/* Largest differences seen, for the summary line. */
static double max_wilcoxon, max_holm, max_replay, max_mc_ratio, max_exact_ratio;

static double jnum(json_object *o) { return o && !json_object_is_type(o, json_type_null) ? json_object_get_double(o) : NAN; }

static json_object *key(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, k, &v)) {
        fprintf(stderr, "fixture: key '%s' missing\n", k);
        exit(1);
    }
    return v;
}

static double idx(json_object *a, size_t i) { return jnum(json_object_array_get_idx(a, i)); }

/* |got - ref| <= atol + rtol |ref|, NaN matching NaN only. Records the difference. */
static int close_to(double got, double ref, double atol, double rtol, double *maxdiff)
{
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got);
    double d = fabs(got - ref);
    if (maxdiff && d > *maxdiff) *maxdiff = d;
    return d <= atol + rtol * fabs(ref);
}

typedef struct {
    int K;
    int64_t n;
    int32_t *labels;
    float *a, *b; /* (n, K) */
} data;

static float *read_probs(json_object *c, const char *k, int64_t n, int K)
{
    json_object *j = key(c, k);
    CHECK((int64_t)json_object_array_length(j) == n * K);
    float *p = malloc((size_t)(n * K) * sizeof *p);
    for (int64_t i = 0; i < n * K; i++) p[i] = (float)idx(j, (size_t)i);
    return p;
}

static data read_data(json_object *c, const char *ka, const char *kb)
{
    data d = {0};
    d.K = json_object_get_int(key(c, "K"));
    d.n = json_object_get_int64(key(c, "n"));
    json_object *jl = key(c, "labels");
    d.labels = malloc((size_t)d.n * sizeof *d.labels);
    for (int64_t i = 0; i < d.n; i++) d.labels[i] = json_object_get_int(json_object_array_get_idx(jl, (size_t)i));
    d.a = read_probs(c, ka, d.n, d.K);
    if (kb) d.b = read_probs(c, kb, d.n, d.K);
    return d;
}

static void free_data(data *d)
{
    free(d->labels);
    free(d->a);
    free(d->b);
}

/* ---- Wilcoxon, Holm ------------------------------------------------------------------ */

static void check_wilcoxon(json_object *cases)
{
    for (size_t c = 0; c < json_object_array_length(cases); c++) {
        json_object *w = json_object_array_get_idx(cases, c);
        const char *name = json_object_get_string(key(w, "name"));
        int n = json_object_get_int(key(w, "n"));
        double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
        for (int i = 0; i < n; i++) {
            a[i] = idx(key(w, "a"), (size_t)i);
            b[i] = idx(key(w, "b"), (size_t)i);
        }
        double p, want = jnum(key(w, "p"));
        ef_error err = {0};
        CHECK_MSG(ef_paired_seeds_test(a, b, n, &p, &err) == EF_OK, "%s: %s", name, err.msg);
        CHECK_MSG(close_to(p, want, 1e-15, 1e-12, &max_wilcoxon), "wilcoxon %s: p = %.17g, scipy %.17g", name, p,
                  want);
        /* Swapped systems: the same two-sided p, except where scipy 1.10 truncates a half
         * rank sum in the exact branch (then we follow scipy there too). */
        double q, want_q = jnum(key(w, "p_swapped"));
        CHECK(ef_paired_seeds_test(b, a, n, &q, NULL) == EF_OK);
        CHECK_MSG(close_to(q, want_q, 1e-15, 1e-12, &max_wilcoxon), "wilcoxon %s swapped: p = %.17g, scipy %.17g", name,
                  q, want_q);
        free(a);
        free(b);
    }
}

static void check_holm(json_object *cases)
{
    for (size_t c = 0; c < json_object_array_length(cases); c++) {
        json_object *h = json_object_array_get_idx(cases, c);
        int m = (int)json_object_array_length(key(h, "p"));
        double p[32], adj[32];
        for (int i = 0; i < m; i++) p[i] = idx(key(h, "p"), (size_t)i);
        ef_holm(p, m, adj);
        for (int i = 0; i < m; i++) {
            double want = idx(key(h, "adjusted"), (size_t)i);
            CHECK_MSG(close_to(adj[i], want, 1e-16, 1e-15, &max_holm), "holm case %zu [%d]: %.17g, statsmodels %.17g",
                      c, i, adj[i], want);
            /* Never below the raw p, never above 1; ordered like the raw p. */
            if (!isnan(p[i])) CHECK(adj[i] >= p[i] && adj[i] <= 1);
            for (int j = 0; j < m; j++)
                if (!isnan(p[i]) && !isnan(p[j]) && p[i] <= p[j]) CHECK(adj[i] <= adj[j]);
        }
    }
}

/* ---- bootstrap ----------------------------------------------------------------------- */

static void check_bootstrap_mc(json_object *c)
{
    data d = read_data(c, "probs", NULL);
    int B = json_object_get_int(key(c, "n_boot"));
    double level = jnum(key(c, "level"));
    ef_bootstrap_result r;
    ef_error err = {0};
    CHECK_MSG(ef_bootstrap(&r, d.a, d.labels, d.n, d.K, B, 1, level, &err) == EF_OK, "%s", err.msg);
    CHECK(close_to(r.avrec, jnum(key(c, "avrec")), 1e-12, 0, NULL));
    CHECK(close_to(r.avauc, jnum(key(c, "avauc")), 1e-12, 0, NULL));
    CHECK(r.n_avrec == B && r.n_avauc == B && r.n_class_missing == 0);
    const char *what[2] = {"avrec", "avauc"};
    double *got[2] = {r.avrec_ci, r.avauc_ci};
    for (int m = 0; m < 2; m++) {
        char kc[16], ks[16];
        snprintf(kc, sizeof kc, "%s_ci", what[m]);
        snprintf(ks, sizeof ks, "%s_se", what[m]);
        for (int e = 0; e < 2; e++) {
            double want = idx(key(c, kc), (size_t)e), se = idx(key(c, ks), (size_t)e);
            double atol = 5 * sqrt(2.0) * se, diff = fabs(got[m][e] - want);
            if (diff / atol > max_mc_ratio) max_mc_ratio = diff / atol;
            CHECK_MSG(close_to(got[m][e], want, atol, 0, NULL), "bootstrap mc %s[%d] = %.6f, numpy %.6f (atol %.2g)",
                      what[m], e, got[m][e], want, atol);
        }
        CHECK(got[m][0] < got[m][1]);
    }
    CHECK(r.avrec_ci[0] < r.avrec && r.avrec < r.avrec_ci[1]);
    CHECK(r.avauc_ci[0] < r.avauc && r.avauc < r.avauc_ci[1]);
    free_data(&d);
}

static void check_bootstrap_replay(json_object *c)
{
    data d = read_data(c, "probs", NULL);
    const char *name = json_object_get_string(key(c, "name"));
    int B = json_object_get_int(key(c, "n_boot"));
    uint64_t seed = (uint64_t)json_object_get_int64(key(c, "seed"));
    ef_bootstrap_result r;
    ef_error err = {0};
    CHECK_MSG(ef_bootstrap(&r, d.a, d.labels, d.n, d.K, B, seed, jnum(key(c, "level")), &err) == EF_OK, "%s: %s",
              name, err.msg);
    CHECK_MSG(close_to(r.avrec, jnum(key(c, "avrec")), 1e-12, 0, NULL), "%s: AvRec %.15g", name, r.avrec);
    CHECK_MSG(close_to(r.avauc, jnum(key(c, "avauc")), 1e-12, 0, NULL), "%s: AvAUC %.15g", name, r.avauc);
    for (int e = 0; e < 2; e++) {
        double wr = idx(key(c, "avrec_ci"), (size_t)e), wa = idx(key(c, "avauc_ci"), (size_t)e);
        CHECK_MSG(close_to(r.avrec_ci[e], wr, 1e-12, 0, &max_replay), "%s: AvRec ci[%d] %.15g, sklearn %.15g", name,
                  e, r.avrec_ci[e], wr);
        CHECK_MSG(close_to(r.avauc_ci[e], wa, 1e-12, 0, &max_replay), "%s: AvAUC ci[%d] %.15g, sklearn %.15g", name,
                  e, r.avauc_ci[e], wa);
    }
    CHECK(r.n_boot == B);
    CHECK_MSG(r.n_avrec == json_object_get_int(key(c, "n_avrec")), "%s: n_avrec %d", name, r.n_avrec);
    CHECK_MSG(r.n_avauc == json_object_get_int(key(c, "n_avauc")), "%s: n_avauc %d", name, r.n_avauc);
    CHECK_MSG(r.n_class_missing == json_object_get_int(key(c, "n_class_missing")), "%s: n_class_missing %d", name,
              r.n_class_missing);
    free_data(&d);
}

static void check_bootstrap_degenerate(json_object *perfect, json_object *tied)
{
    data d = read_data(perfect, "probs", NULL);
    double rc[2], ac[2];
    for (uint64_t seed = 1; seed <= 3; seed++) {
        CHECK(ef_bootstrap_ci(d.a, d.labels, d.n, d.K, 200, seed, 0.95, rc, ac, NULL) == EF_OK);
        CHECK_MSG(rc[0] == 1 && rc[1] == 1 && ac[0] == 1 && ac[1] == 1, "perfect: [%g %g] [%g %g]", rc[0], rc[1],
                  ac[0], ac[1]);
    }
    free_data(&d);
    d = read_data(tied, "probs", NULL);
    CHECK(ef_bootstrap_ci(d.a, d.labels, d.n, d.K, 200, 5, 0.9, rc, ac, NULL) == EF_OK);
    CHECK_MSG(ac[0] == 0.5 && ac[1] == 0.5, "tied: AvAUC [%g %g]", ac[0], ac[1]);
    /* Everything predicted as class 0: recall 1, 0, 0, 0 (all 4 classes drawn). */
    CHECK_MSG(rc[0] == 0.25 && rc[1] == 0.25, "tied: AvRec [%g %g]", rc[0], rc[1]);
    free_data(&d);
}

/* One resample (n_boot = 1: both ends of the interval are its value) against ef_evaluate
 * on the rows it drew, materialised, following the documented draw order. */
static void check_one_resample(json_object *c)
{
    data d = read_data(c, "probs", NULL);
    int64_t m = 0;
    for (int64_t i = 0; i < d.n; i++) m += d.labels[i] >= 0;
    int64_t *lab_idx = malloc((size_t)m * sizeof *lab_idx);
    for (int64_t i = 0, j = 0; i < d.n; i++)
        if (d.labels[i] >= 0) lab_idx[j++] = i;
    float *rp = malloc((size_t)(m * d.K) * sizeof *rp);
    int32_t *rl = malloc((size_t)m * sizeof *rl);
    for (uint64_t seed = 0; seed < 40; seed++) {
        ef_rng rng;
        ef_rng_seed(&rng, seed);
        for (int64_t j = 0; j < m; j++) {
            int64_t i = lab_idx[ef_rng_below(&rng, (uint64_t)m)];
            rl[j] = d.labels[i];
            memcpy(rp + j * d.K, d.a + i * d.K, (size_t)d.K * sizeof *rp);
        }
        ef_eval_result want;
        CHECK(ef_evaluate(&want, rp, rl, m, d.K, NULL) == EF_OK);
        ef_bootstrap_result r;
        CHECK(ef_bootstrap(&r, d.a, d.labels, d.n, d.K, 1, seed, 0.5, NULL) == EF_OK);
        CHECK_MSG(r.avrec_ci[0] == want.av_rec && r.avrec_ci[1] == want.av_rec, "seed %llu: AvRec %.17g vs %.17g",
                  (unsigned long long)seed, r.avrec_ci[0], want.av_rec);
        if (isnan(want.av_auc))
            CHECK(isnan(r.avauc_ci[0]) && r.n_avauc == 0);
        else
            CHECK_MSG(r.avauc_ci[0] == want.av_auc && r.avauc_ci[1] == want.av_auc, "seed %llu: AvAUC %.17g vs %.17g",
                      (unsigned long long)seed, r.avauc_ci[0], want.av_auc);
    }
    free(lab_idx);
    free(rp);
    free(rl);
    free_data(&d);
}

/* ---- permutation tests --------------------------------------------------------------- */

static void check_permutation(json_object *perm)
{
    /* Identical systems: p = 1 exactly, for every seed and number of permutations. */
    data d = read_data(key(perm, "identical"), "probs_a", "probs_b");
    for (uint64_t seed = 0; seed < 5; seed++) {
        double pa, pr;
        CHECK(ef_paired_permutation_test(d.a, d.b, d.labels, d.n, d.K, 1 + 97 * (int)seed, seed, &pa, &pr, NULL) ==
              EF_OK);
        CHECK_MSG(pa == 1.0 && pr == 1.0, "identical: p %.17g %.17g", pa, pr);
    }
    free_data(&d);

    json_object *c = key(perm, "perfect_vs_random");
    d = read_data(c, "probs_a", "probs_b");
    int np_ = json_object_get_int(key(c, "n_perm"));
    double pa, pr;
    CHECK(ef_paired_permutation_test(d.a, d.b, d.labels, d.n, d.K, np_, 4, &pa, &pr, NULL) == EF_OK);
    CHECK_MSG(pa == jnum(key(c, "p_avauc")) && pr == jnum(key(c, "p_avrec")), "perfect vs random: %.17g %.17g", pa,
              pr);
    free_data(&d);

    json_object *ex = key(perm, "exact");
    for (size_t i = 0; i < json_object_array_length(ex); i++) {
        c = json_object_array_get_idx(ex, i);
        d = read_data(c, "probs_a", "probs_b");
        np_ = json_object_get_int(key(c, "n_perm"));
        CHECK(ef_paired_permutation_test(d.a, d.b, d.labels, d.n, d.K, np_, 12345, &pa, &pr, NULL) == EF_OK);
        double want[2] = {jnum(key(c, "p_avauc")), jnum(key(c, "p_avrec"))}, got[2] = {pa, pr};
        for (int t = 0; t < 2; t++) {
            double atol = 5 * sqrt(want[t] * (1 - want[t]) / np_) + 1.0 / (1 + np_);
            double diff = fabs(got[t] - want[t]);
            if (diff / atol > max_exact_ratio) max_exact_ratio = diff / atol;
            CHECK_MSG(diff <= atol, "exact case %zu %s: p %.6f, scipy exact %.6f (atol %.2g)", i,
                      t ? "avrec" : "avauc", got[t], want[t], atol);
        }
        free_data(&d);
    }

    c = key(perm, "replay");
    d = read_data(c, "probs_a", "probs_b");
    np_ = json_object_get_int(key(c, "n_perm"));
    CHECK(ef_paired_permutation_test(d.a, d.b, d.labels, d.n, d.K, np_, (uint64_t)json_object_get_int64(key(c, "seed")),
                                     &pa, &pr, NULL) == EF_OK);
    CHECK_MSG(pa == jnum(key(c, "p_avauc")) && pr == jnum(key(c, "p_avrec")), "replay: p %.17g %.17g, want %.17g %.17g",
              pa, pr, jnum(key(c, "p_avauc")), jnum(key(c, "p_avrec")));
    /* Swapping the systems changes nothing: the statistic is symmetric. */
    double qa, qr;
    CHECK(ef_paired_permutation_test(d.b, d.a, d.labels, d.n, d.K, np_, (uint64_t)json_object_get_int64(key(c, "seed")),
                                     &qa, &qr, NULL) == EF_OK);
    CHECK_MSG(qa == pa && qr == pr, "swapped systems: %.17g %.17g", qa, qr);
    free_data(&d);
}

/* ---- determinism, errors, hand-made cases -------------------------------------------- */

static void check_determinism_and_errors(json_object *c)
{
    data d = read_data(c, "probs", NULL);
    ef_bootstrap_result r1, r2, r3;
    CHECK(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 300, 77, 0.9, NULL) == EF_OK);
    CHECK(ef_bootstrap(&r2, d.a, d.labels, d.n, d.K, 300, 77, 0.9, NULL) == EF_OK);
    CHECK(ef_bootstrap(&r3, d.a, d.labels, d.n, d.K, 300, 78, 0.9, NULL) == EF_OK);
    CHECK(memcmp(&r1, &r2, sizeof r1) == 0);
    ef_bootstrap_result r0 = r1;
    CHECK(r1.avrec_ci[0] != r3.avrec_ci[0] || r1.avrec_ci[1] != r3.avrec_ci[1] || r1.avauc_ci[0] != r3.avauc_ci[0]);
    /* A wider level gives a wider interval from the same resamples. */
    CHECK(ef_bootstrap(&r3, d.a, d.labels, d.n, d.K, 300, 77, 0.99, NULL) == EF_OK);
    CHECK(r3.avrec_ci[0] <= r1.avrec_ci[0] && r3.avrec_ci[1] >= r1.avrec_ci[1]);
    double rc[2], ac[2];
    CHECK(ef_bootstrap_ci(d.a, d.labels, d.n, d.K, 300, 77, 0.9, rc, ac, NULL) == EF_OK);
    CHECK(memcmp(rc, r1.avrec_ci, sizeof rc) == 0 && memcmp(ac, r1.avauc_ci, sizeof ac) == 0);

    /* Permutation p from the seed; a second system = the first with one class's scores
     * rescaled (so predictions and AUCs differ). */
    float *b = malloc((size_t)(d.n * d.K) * sizeof *b);
    for (int64_t i = 0; i < d.n * d.K; i++) b[i] = (i % d.K == 1) ? d.a[i] * 0.5f : d.a[i];
    double p1a, p1r, p2a, p2r;
    CHECK(ef_paired_permutation_test(d.a, b, d.labels, d.n, d.K, 500, 9, &p1a, &p1r, NULL) == EF_OK);
    CHECK(ef_paired_permutation_test(d.a, b, d.labels, d.n, d.K, 500, 9, &p2a, &p2r, NULL) == EF_OK);
    CHECK(p1a == p2a && p1r == p2r);
    CHECK(p1a >= 1.0 / 501 && p1a <= 1 && p1r >= 1.0 / 501 && p1r <= 1);

    ef_error err = {0};
    double p;
#define ARG_ERR(call) CHECK_MSG((call) == EF_ERR_ARG && err.msg[0] != 0, "%s", #call)
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, 0, d.K, 10, 1, 0.95, &err));
    CHECK(isnan(r1.avrec_ci[0]) && isnan(r1.avauc_ci[1]));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, -3, d.K, 10, 1, 0.95, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, 1, 10, 1, 0.95, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, EF_EVAL_MAX_CLASSES + 1, 10, 1, 0.95, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 0, 1, 0.95, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, 0.0, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, 1.0, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, -0.5, &err));
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, NAN, &err));
    ARG_ERR(ef_bootstrap_ci(d.a, d.labels, d.n, d.K, 10, 1, 1.5, rc, ac, &err));
    CHECK(isnan(rc[0]) && isnan(ac[1]));
    ARG_ERR(ef_paired_permutation_test(d.a, b, d.labels, 0, d.K, 10, 1, &p1a, &p1r, &err));
    CHECK(isnan(p1a) && isnan(p1r));
    ARG_ERR(ef_paired_permutation_test(d.a, b, d.labels, d.n, 1, 10, 1, &p1a, &p1r, &err));
    ARG_ERR(ef_paired_permutation_test(d.a, b, d.labels, d.n, EF_EVAL_MAX_CLASSES + 1, 10, 1, &p1a, &p1r, &err));
    ARG_ERR(ef_paired_permutation_test(d.a, b, d.labels, d.n, d.K, 0, 1, &p1a, &p1r, &err));

    /* NaN / Inf scores of a labelled utterance are errors; of an unknown one, ignored. */
    int64_t lab = -1, unk = -1;
    for (int64_t i = 0; i < d.n; i++) {
        if (d.labels[i] >= 0 && lab < 0) lab = i;
        if (d.labels[i] < 0 && unk < 0) unk = i;
    }
    CHECK(lab >= 0 && unk >= 0);
    float keep = d.a[lab * d.K + 1];
    d.a[lab * d.K + 1] = NAN;
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, 0.95, &err));
    CHECK(strstr(err.msg, "not finite") != NULL);
    ARG_ERR(ef_paired_permutation_test(d.a, b, d.labels, d.n, d.K, 10, 1, &p1a, &p1r, &err));
    ARG_ERR(ef_paired_permutation_test(b, d.a, d.labels, d.n, d.K, 10, 1, &p1a, &p1r, &err));
    d.a[lab * d.K + 1] = INFINITY;
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, 0.95, &err));
    d.a[lab * d.K + 1] = keep;
    keep = d.a[unk * d.K];
    d.a[unk * d.K] = NAN;
    CHECK(ef_bootstrap(&r2, d.a, d.labels, d.n, d.K, 300, 77, 0.9, NULL) == EF_OK);
    CHECK(memcmp(&r2, &r0, sizeof r0) == 0);
    CHECK(ef_paired_permutation_test(d.a, b, d.labels, d.n, d.K, 10, 1, &p1a, &p1r, NULL) == EF_OK);
    d.a[unk * d.K] = keep;

    /* Labels: one >= K is an error; none known is an error. */
    int32_t keep_l = d.labels[lab];
    d.labels[lab] = d.K;
    ARG_ERR(ef_bootstrap(&r1, d.a, d.labels, d.n, d.K, 10, 1, 0.95, &err));
    ARG_ERR(ef_paired_permutation_test(d.a, b, d.labels, d.n, d.K, 10, 1, &p1a, &p1r, &err));
    d.labels[lab] = keep_l;
    int32_t none[3] = {-1, -1, -1};
    ARG_ERR(ef_bootstrap(&r1, d.a, none, 3, d.K, 10, 1, 0.95, &err));
    CHECK(strstr(err.msg, "known label") != NULL);
    ARG_ERR(ef_paired_permutation_test(d.a, b, none, 3, d.K, 10, 1, &p1a, &p1r, &err));

    /* Wilcoxon: n < 1, non-finite values; all differences zero gives p = 1. */
    double x[4] = {0.5, 0.6, 0.7, 0.8}, y[4] = {0.5, 0.6, 0.7, 0.8};
    ARG_ERR(ef_paired_seeds_test(x, y, 0, &p, &err));
    CHECK(isnan(p));
    CHECK(ef_paired_seeds_test(x, y, 4, &p, NULL) == EF_OK && p == 1.0);
    y[2] = NAN;
    ARG_ERR(ef_paired_seeds_test(x, y, 4, &p, &err));
    y[2] = INFINITY;
    ARG_ERR(ef_paired_seeds_test(x, y, 4, &p, &err));
#undef ARG_ERR
    free(b);
    free_data(&d);
}

/* A single labelled class: AvAUC undefined everywhere (NaN interval / p, counted), AvRec
 * still defined. */
static void check_single_class(void)
{
    float pa[8] = {0.9f, 0.1f, 0.6f, 0.4f, 0.2f, 0.8f, 0.7f, 0.3f};
    float pb[8] = {0.4f, 0.6f, 0.6f, 0.4f, 0.9f, 0.1f, 0.3f, 0.7f};
    int32_t y[4] = {0, 0, 0, 0};
    ef_bootstrap_result r;
    CHECK(ef_bootstrap(&r, pa, y, 4, 2, 50, 1, 0.95, NULL) == EF_OK);
    CHECK(r.n_avauc == 0 && isnan(r.avauc_ci[0]) && isnan(r.avauc_ci[1]) && isnan(r.avauc));
    CHECK(r.n_avrec == 50 && r.avrec == 0.75 && r.avrec_ci[0] >= 0 && r.avrec_ci[1] <= 1);
    double p_auc, p_rec;
    CHECK(ef_paired_permutation_test(pa, pb, y, 4, 2, 100, 1, &p_auc, &p_rec, NULL) == EF_OK);
    CHECK(isnan(p_auc) && p_rec > 0 && p_rec <= 1);

    /* Holm by hand: m = 0 touches nothing; in a larger family a p is never adjusted down. */
    double adj[3] = {-1, -1, -1}, ps[3] = {0.01, 0.02, 0.03};
    ef_holm(ps, 0, adj);
    CHECK(adj[0] == -1);
    ef_holm(ps, 3, adj);
    CHECK(fabs(adj[0] - 0.03) < 1e-15 && fabs(adj[1] - 0.04) < 1e-15 && fabs(adj[2] - 0.04) < 1e-15);
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/eval/stats.json", ef_test_fixtures_dir());
    json_object *root = json_object_from_file(path);
    CHECK_MSG(root != NULL, "cannot read %s", path);
    if (!root) return ef_test_exit();
    check_wilcoxon(key(root, "wilcoxon"));
    check_holm(key(root, "holm"));
    json_object *boot = key(root, "bootstrap"), *replay = key(boot, "replay");
    check_bootstrap_mc(key(boot, "mc"));
    for (size_t i = 0; i < json_object_array_length(replay); i++)
        check_bootstrap_replay(json_object_array_get_idx(replay, i));
    check_bootstrap_degenerate(key(boot, "perfect"), key(boot, "tied"));
    for (size_t i = 0; i < json_object_array_length(replay); i++)
        check_one_resample(json_object_array_get_idx(replay, i));
    check_permutation(key(root, "permutation"));
    check_determinism_and_errors(json_object_array_get_idx(replay, 0));
    check_single_class();
    printf("max |C - scipy| wilcoxon %.3g, |C - statsmodels| holm %.3g, bootstrap replay %.3g; "
           "worst MC diff / tolerance: bootstrap %.2f, exact permutation %.2f\n",
           max_wilcoxon, max_holm, max_replay, max_mc_ratio, max_exact_ratio);
    json_object_put(root);
    return ef_test_exit();
}
