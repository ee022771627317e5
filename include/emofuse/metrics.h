/* Evaluation metrics of Pepino et al. (2020): confusion matrix, per-class recall and its
 * unweighted average (AvRec), one-vs-rest ROC AUC per class and its average (AvAUC), and
 * the median / interquartile range used to summarise runs over seeds. Also the paper's
 * 4-class label mapping shared by `emofuse train` and `emofuse predict`.
 *
 * Conventions (docs/evaluation.md):
 *   - class indices are 0..K-1; a label < 0 means "unknown" and is left out everywhere;
 *   - a class absent from the true labels has no recall (NaN) and is excluded from AvRec
 *     (scikit-learn's recall_score(average='macro') would count it as 0 when it is
 *     predicted; ours equals recall_score(labels=<classes present>, average='macro'));
 *   - the AUC of a class is scikit-learn's roc_auc_score(y == k, score_k): trapezoid over
 *     the distinct score thresholds, so tied scores count one half; it is NaN when the
 *     class has no positive or no negative utterance, and AvAUC averages the others;
 *   - percentiles follow numpy's default (linear interpolation between order statistics). */
#ifndef EMOFUSE_METRICS_H
#define EMOFUSE_METRICS_H

#include <stdint.h>

#include "emofuse/status.h"

#define EF_EVAL_MAX_CLASSES 16

/* ---- labels ------------------------------------------------------------------------ */

/* The paper's 4 classes in output order: angry, happy, sad, neutral. */
extern const char *const ef_emotion4_names[4];
/* Map a corpus emotion label to 0..3 (excitement counts as happiness; IEMOCAP codes
 * ang/hap/exc/sad/neu accepted; case-insensitive), -1 for every other label. */
int ef_emotion4_class(const char *label);

/* ---- building blocks (src/eval/metrics.c) ------------------------------------------ */

/* cm (K, K) row = true class, column = predicted class; pairs with a label outside
 * [0, K) on either side are skipped. Returns the number of pairs counted. */
int64_t ef_confusion_matrix(int64_t *cm, int K, const int32_t *y_true, const int32_t *y_pred, int64_t n);
/* recall (K): cm[k][k] / row sum k, NaN for a class with no true utterance. */
void ef_recall_per_class(double *recall, const int64_t *cm, int K);
/* Mean of the non-NaN recalls; NaN when there is none. */
double ef_average_recall(const int64_t *cm, int K);
/* Binary ROC AUC of scores (n) against positive (n, nonzero = positive class), exactly as
 * scikit-learn's roc_auc_score; NaN when all items are of one kind. O(n log n); fails
 * only on allocation (EF_ERR_NOMEM, *auc = NaN). */
ef_code ef_roc_auc(const float *scores, const uint8_t *positive, int64_t n, double *auc, ef_error *err);
/* Index of the largest of K scores (the first one on ties, like numpy's argmax). */
int ef_argmax(const float *x, int K);

/* ---- all at once ------------------------------------------------------------------- */

typedef struct {
    int K;
    int64_t n;                                        /* utterances with a known label */
    int64_t cm[EF_EVAL_MAX_CLASSES * EF_EVAL_MAX_CLASSES]; /* (K, K), row = true */
    int64_t support[EF_EVAL_MAX_CLASSES];             /* true utterances per class */
    double recall[EF_EVAL_MAX_CLASSES];               /* NaN: class absent */
    double auc[EF_EVAL_MAX_CLASSES];                  /* one-vs-rest; NaN: undefined */
    double av_rec;                                    /* AvRec (NaN when n == 0) */
    double av_auc;                                    /* AvAUC (NaN when no AUC defined) */
} ef_eval_result;

/* Evaluate class probabilities probs (n, K) against labels (n) (label < 0: left out);
 * the prediction is the argmax. K in [2, EF_EVAL_MAX_CLASSES]. */
ef_code ef_evaluate(ef_eval_result *res, const float *probs, const int32_t *labels, int64_t n, int K,
                    ef_error *err);

/* ---- summaries over seeds ---------------------------------------------------------- */

/* numpy.percentile(x, p) with the default linear method, p in [0, 100]; x (n) is not
 * modified; NaN when n == 0. Fails only on allocation. */
ef_code ef_percentile(const double *x, int64_t n, double p, double *out, ef_error *err);

typedef struct {
    double median, q25, q75, iqr; /* iqr = q75 - q25 */
} ef_summary;

ef_code ef_summarise(const double *x, int64_t n, ef_summary *s, ef_error *err);

#endif
