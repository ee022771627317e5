/* Classification metrics of the paper: confusion matrix, per-class recall, AvRec
 * (unweighted mean recall over the classes present), one-vs-rest ROC AUC per class with
 * scikit-learn's tie handling, and AvAUC. Definitions in docs/evaluation.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"

int64_t ef_confusion_matrix(int64_t *cm, int K, const int32_t *y_true, const int32_t *y_pred, int64_t n)
{
    memset(cm, 0, (size_t)K * (size_t)K * sizeof *cm);
    int64_t counted = 0;
    for (int64_t i = 0; i < n; i++) {
        if (y_true[i] < 0 || y_true[i] >= K || y_pred[i] < 0 || y_pred[i] >= K) continue;
        cm[(int64_t)y_true[i] * K + y_pred[i]]++;
        counted++;
    }
    return counted;
}

void ef_recall_per_class(double *recall, const int64_t *cm, int K)
{
    for (int k = 0; k < K; k++) {
        int64_t row = 0;
        for (int j = 0; j < K; j++) row += cm[(int64_t)k * K + j];
        recall[k] = row > 0 ? (double)cm[(int64_t)k * K + k] / (double)row : NAN;
    }
}

double ef_average_recall(const int64_t *cm, int K)
{
    double r[EF_EVAL_MAX_CLASSES], sum = 0;
    EF_ASSERT(K >= 1 && K <= EF_EVAL_MAX_CLASSES);
    ef_recall_per_class(r, cm, K);
    int m = 0;
    for (int k = 0; k < K; k++)
        if (!isnan(r[k])) {
            sum += r[k];
            m++;
        }
    return m > 0 ? sum / m : NAN;
}

int ef_argmax(const float *x, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (x[k] > x[best]) best = k;
    return best;
}

/* Sort key for the ROC sweep: score descending (the order of thresholds). */
typedef struct {
    float score;
    uint8_t pos;
} scored;

static int cmp_desc(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x < y) - (x > y);
}

/* Sweep the distinct thresholds from high to low: each one adds its group of tied items
 * at once, i.e. one ROC point per distinct score (sklearn's roc_curve), and the area is
 * the trapezoid rule over those points starting at (0, 0). Integer counts keep the sum
 * exact: area = sum dFP * (TP_prev + TP) / (2 P N). */
ef_code ef_roc_auc(const float *scores, const uint8_t *positive, int64_t n, double *auc, ef_error *err)
{
    *auc = NAN;
    int64_t P = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(scores[i])) return ef_fail(err, EF_ERR_ARG, "roc auc: score %lld is not finite", (long long)i);
        P += positive[i] != 0;
    }
    int64_t N = n - P;
    if (P == 0 || N == 0) return EF_OK;
    scored *v = malloc((size_t)n * sizeof *v);
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "roc auc: out of memory");
    for (int64_t i = 0; i < n; i++) {
        v[i].score = scores[i];
        v[i].pos = positive[i] != 0;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_desc);
    double area2 = 0; /* twice the area in count units, exact below 2^53 */
    int64_t tp = 0, fp = 0;
    for (int64_t i = 0; i < n;) {
        int64_t tp0 = tp, fp0 = fp, j = i;
        for (; j < n && v[j].score == v[i].score; j++) {
            tp += v[j].pos;
            fp += !v[j].pos;
        }
        area2 += (double)(fp - fp0) * (double)(tp + tp0);
        i = j;
    }
    free(v);
    *auc = area2 / (2.0 * (double)P * (double)N);
    return EF_OK;
}

ef_code ef_evaluate(ef_eval_result *res, const float *probs, const int32_t *labels, int64_t n, int K,
                    ef_error *err)
{
    memset(res, 0, sizeof *res);
    res->K = K;
    res->av_rec = res->av_auc = NAN;
    for (int k = 0; k < EF_EVAL_MAX_CLASSES; k++) res->recall[k] = res->auc[k] = NAN;
    if (K < 2 || K > EF_EVAL_MAX_CLASSES)
        return ef_fail(err, EF_ERR_ARG, "evaluate: %d classes (2 to %d supported)", K, EF_EVAL_MAX_CLASSES);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] >= K) return ef_fail(err, EF_ERR_ARG, "evaluate: label %d of item %lld is not below %d",
                                           (int)labels[i], (long long)i, K);
        m += labels[i] >= 0;
    }
    /* Compact the labelled items so that the AUC sees exactly them. */
    float *sc = malloc((size_t)(m + 1) * sizeof *sc);
    uint8_t *pos = malloc((size_t)(m + 1));
    int32_t *yt = malloc((size_t)(m + 1) * sizeof *yt), *yp = malloc((size_t)(m + 1) * sizeof *yp);
    ef_code rc = EF_OK;
    if (!sc || !pos || !yt || !yp) {
        rc = ef_fail(err, EF_ERR_NOMEM, "evaluate: out of memory");
        goto out;
    }
    for (int64_t i = 0, j = 0; i < n; i++) {
        if (labels[i] < 0) continue;
        yt[j] = labels[i];
        yp[j] = ef_argmax(probs + i * K, K);
        j++;
    }
    res->n = ef_confusion_matrix(res->cm, K, yt, yp, m);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < K; j++) res->support[k] += res->cm[k * K + j];
    ef_recall_per_class(res->recall, res->cm, K);
    res->av_rec = ef_average_recall(res->cm, K);
    double auc_sum = 0;
    int n_auc = 0;
    for (int k = 0; k < K; k++) {
        for (int64_t i = 0, j = 0; i < n; i++) {
            if (labels[i] < 0) continue;
            sc[j] = probs[i * K + k];
            pos[j] = labels[i] == k;
            j++;
        }
        if ((rc = ef_roc_auc(sc, pos, m, &res->auc[k], err)) != EF_OK) goto out;
        if (!isnan(res->auc[k])) {
            auc_sum += res->auc[k];
            n_auc++;
        }
    }
    res->av_auc = n_auc > 0 ? auc_sum / n_auc : NAN;
out:
    free(sc);
    free(pos);
    free(yt);
    free(yp);
    return rc;
}
