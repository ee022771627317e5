/* Percentile-bootstrap confidence intervals of AvRec and AvAUC (include/emofuse/stats.h,
 * docs/evaluation.md "Significance").
 *
 * A resample is represented by its multiplicities w[i] (how often labelled utterance i was
 * drawn), never by copied rows: duplicated rows are tied items, so the ROC sweep of a
 * resample is the sweep of the original score order with weights. The order (and its tie
 * groups) of each class is sorted once; each resample then costs O(K m) instead of
 * O(K m log m), and sums exactly the same integers, in the same order, as ef_evaluate would
 * on the materialised resample, so the metric values agree to the last bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/rng.h"
#include "emofuse/stats.h"

typedef struct {
    float score;
    int32_t item;
} entry;

/* Score descending, then item (any fixed order within a tie group would do). */
static int cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return (a->item > b->item) - (a->item < b->item);
}

/* Per class k: the labelled items by descending score (order, K x m), whether each is a
 * positive of k (pos), and whether it closes a group of equal scores (last). */
typedef struct {
    int K;
    int64_t m;
    int32_t *y, *pred;  /* (m) */
    int32_t *order;     /* (K, m) */
    uint8_t *pos, *last; /* (K, m) */
} sweep_plan;

static void plan_free(sweep_plan *p)
{
    free(p->y);
    free(p->pred);
    free(p->order);
    free(p->pos);
    free(p->last);
}

static ef_code plan_build(sweep_plan *p, const float *probs, const int32_t *labels, int64_t n, int K, ef_error *err)
{
    memset(p, 0, sizeof *p);
    p->K = K;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) m += labels[i] >= 0;
    p->m = m;
    p->y = malloc((size_t)m * sizeof *p->y);
    p->pred = malloc((size_t)m * sizeof *p->pred);
    p->order = malloc((size_t)m * (size_t)K * sizeof *p->order);
    p->pos = malloc((size_t)m * (size_t)K);
    p->last = malloc((size_t)m * (size_t)K);
    entry *e = malloc((size_t)m * sizeof *e);
    if (!p->y || !p->pred || !p->order || !p->pos || !p->last || !e) {
        free(e);
        plan_free(p);
        return ef_fail(err, EF_ERR_NOMEM, "bootstrap: out of memory");
    }
    for (int64_t i = 0, j = 0; i < n; i++) {
        if (labels[i] < 0) continue;
        p->y[j] = labels[i];
        p->pred[j] = ef_argmax(probs + i * K, K);
        j++;
    }
    for (int k = 0; k < K; k++) {
        for (int64_t i = 0, j = 0; i < n; i++) {
            if (labels[i] < 0) continue;
            e[j].score = probs[i * K + k];
            e[j].item = (int32_t)j;
            j++;
        }
        qsort(e, (size_t)m, sizeof *e, cmp_entry);
        int32_t *ord = p->order + (int64_t)k * m;
        uint8_t *ps = p->pos + (int64_t)k * m, *ls = p->last + (int64_t)k * m;
        for (int64_t r = 0; r < m; r++) {
            ord[r] = e[r].item;
            ps[r] = p->y[e[r].item] == k;
            ls[r] = r + 1 == m || e[r + 1].score != e[r].score;
        }
    }
    free(e);
    return EF_OK;
}

/* AvRec and AvAUC of the resample with multiplicities w (m), with ef_evaluate's rules and
 * arithmetic (ef_average_recall, ef_roc_auc). support (K) gets the drawn count per class. */
static void weighted_metrics(const sweep_plan *p, const int32_t *w, int64_t *support, double *avrec, double *avauc)
{
    int K = p->K;
    int64_t m = p->m, correct[EF_EVAL_MAX_CLASSES] = {0}, total = 0;
    for (int k = 0; k < K; k++) support[k] = 0;
    for (int64_t i = 0; i < m; i++) {
        support[p->y[i]] += w[i];
        if (p->pred[i] == p->y[i]) correct[p->y[i]] += w[i];
    }
    double rsum = 0, asum = 0;
    int nr = 0, na = 0;
    for (int k = 0; k < K; k++) {
        total += support[k];
        if (support[k] > 0) {
            rsum += (double)correct[k] / (double)support[k];
            nr++;
        }
    }
    *avrec = nr > 0 ? rsum / nr : NAN;
    for (int k = 0; k < K; k++) {
        int64_t P = support[k], N = total - P;
        if (P == 0 || N == 0) continue; /* AUC undefined: left out of AvAUC */
        const int32_t *ord = p->order + (int64_t)k * m;
        const uint8_t *ps = p->pos + (int64_t)k * m, *ls = p->last + (int64_t)k * m;
        int64_t tp = 0, fp = 0, tp0 = 0, fp0 = 0;
        double area2 = 0;
        for (int64_t r = 0; r < m; r++) {
            int64_t wi = w[ord[r]];
            tp += ps[r] ? wi : 0;
            fp += ps[r] ? 0 : wi;
            if (ls[r]) {
                /* A group with no drawn item adds exactly 0, as if it were absent. */
                area2 += (double)(fp - fp0) * (double)(tp + tp0);
                tp0 = tp;
                fp0 = fp;
            }
        }
        asum += area2 / (2.0 * (double)P * (double)N);
        na++;
    }
    *avauc = na > 0 ? asum / na : NAN;
}

/* n, K, labels below K, at least one known label, finite scores of labelled items. */
static ef_code check_inputs(const float *probs, const int32_t *labels, int64_t n, int K, ef_error *err)
{
    if (n < 1) return ef_fail(err, EF_ERR_ARG, "bootstrap: %lld utterances (need at least 1)", (long long)n);
    if (K < 2 || K > EF_EVAL_MAX_CLASSES)
        return ef_fail(err, EF_ERR_ARG, "bootstrap: %d classes (2 to %d supported)", K, EF_EVAL_MAX_CLASSES);
    if (n > INT32_MAX)
        return ef_fail(err, EF_ERR_ARG, "bootstrap: %lld utterances (at most %d)", (long long)n, INT32_MAX);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] >= K)
            return ef_fail(err, EF_ERR_ARG, "bootstrap: label %d of item %lld is not below %d", (int)labels[i],
                           (long long)i, K);
        if (labels[i] < 0) continue;
        m++;
        for (int k = 0; k < K; k++)
            if (!isfinite(probs[i * K + k]))
                return ef_fail(err, EF_ERR_ARG, "bootstrap: score %d of item %lld is not finite", k, (long long)i);
    }
    if (m == 0) return ef_fail(err, EF_ERR_ARG, "bootstrap: no utterance has a known label");
    return EF_OK;
}

ef_code ef_bootstrap(ef_bootstrap_result *res, const float *probs, const int32_t *labels, int64_t n, int K,
                     int n_boot, uint64_t seed, double level, ef_error *err)
{
    memset(res, 0, sizeof *res);
    res->avrec = res->avauc = NAN;
    res->avrec_ci[0] = res->avrec_ci[1] = res->avauc_ci[0] = res->avauc_ci[1] = NAN;
    ef_code rc = check_inputs(probs, labels, n, K, err);
    if (rc != EF_OK) return rc;
    if (n_boot < 1) return ef_fail(err, EF_ERR_ARG, "bootstrap: %d resamples (need at least 1)", n_boot);
    if (!(level > 0 && level < 1)) return ef_fail(err, EF_ERR_ARG, "bootstrap: level %g is not in (0, 1)", level);

    ef_eval_result full;
    if ((rc = ef_evaluate(&full, probs, labels, n, K, err)) != EF_OK) return rc;
    res->avrec = full.av_rec;
    res->avauc = full.av_auc;
    res->n_boot = n_boot;

    sweep_plan plan;
    if ((rc = plan_build(&plan, probs, labels, n, K, err)) != EF_OK) return rc;
    int64_t m = plan.m;
    int32_t *w = malloc((size_t)m * sizeof *w);
    double *vr = malloc((size_t)n_boot * sizeof *vr), *va = malloc((size_t)n_boot * sizeof *va);
    if (!w || !vr || !va) {
        rc = ef_fail(err, EF_ERR_NOMEM, "bootstrap: out of memory");
        goto out;
    }
    ef_rng rng;
    ef_rng_seed(&rng, seed);
    for (int b = 0; b < n_boot; b++) {
        memset(w, 0, (size_t)m * sizeof *w);
        for (int64_t j = 0; j < m; j++) w[ef_rng_below(&rng, (uint64_t)m)]++;
        int64_t support[EF_EVAL_MAX_CLASSES];
        double ar, aa;
        weighted_metrics(&plan, w, support, &ar, &aa);
        for (int k = 0; k < K; k++)
            if (full.support[k] > 0 && support[k] == 0) {
                res->n_class_missing++;
                break;
            }
        if (!isnan(ar)) vr[res->n_avrec++] = ar;
        if (!isnan(aa)) va[res->n_avauc++] = aa;
    }
    /* numpy.percentile(values, [50 (1 - level), 50 (1 + level)]). */
    double qlo = 50.0 * (1.0 - level), qhi = 50.0 * (1.0 + level);
    if ((rc = ef_percentile(vr, res->n_avrec, qlo, &res->avrec_ci[0], err)) != EF_OK ||
        (rc = ef_percentile(vr, res->n_avrec, qhi, &res->avrec_ci[1], err)) != EF_OK ||
        (rc = ef_percentile(va, res->n_avauc, qlo, &res->avauc_ci[0], err)) != EF_OK ||
        (rc = ef_percentile(va, res->n_avauc, qhi, &res->avauc_ci[1], err)) != EF_OK)
        goto out;
out:
    if (rc != EF_OK) res->avrec_ci[0] = res->avrec_ci[1] = res->avauc_ci[0] = res->avauc_ci[1] = NAN;
    free(w);
    free(vr);
    free(va);
    plan_free(&plan);
    return rc;
}

ef_code ef_bootstrap_ci(const float *probs, const int32_t *labels, int64_t n, int K, int n_boot, uint64_t seed,
                        double level, double avrec_ci[2], double avauc_ci[2], ef_error *err)
{
    ef_bootstrap_result r;
    ef_code rc = ef_bootstrap(&r, probs, labels, n, K, n_boot, seed, level, err);
    avrec_ci[0] = r.avrec_ci[0];
    avrec_ci[1] = r.avrec_ci[1];
    avauc_ci[0] = r.avauc_ci[0];
    avauc_ci[1] = r.avauc_ci[1];
    return rc;
}
