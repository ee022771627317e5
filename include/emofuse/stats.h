/* Significance for the report: which differences between systems are real?
 *
 * The paper reports the median and IQR of AvRec / AvAUC over 10 seeds and warns that
 * rankings change with the seed. This module gives the tools to say more
 * (docs/evaluation.md, "Significance"):
 *   - ef_bootstrap_ci: a percentile-bootstrap confidence interval of AvRec and AvAUC of ONE
 *     run (resampling utterances): how much the score depends on the test set;
 *   - ef_paired_permutation_test: are two systems different on the SAME utterances (one run
 *     each, e.g. the same seed)?  Paired permutation over utterances;
 *   - ef_paired_seeds_test: are two systems different over seeds (one AvRec or AvAUC per
 *     seed, paired by seed)?  Two-sided Wilcoxon signed-rank test, as scipy 1.10;
 *   - ef_holm: Holm-Bonferroni adjusted p-values when several comparisons are made.
 *
 * The metrics are those of ef_evaluate (include/emofuse/metrics.h): the prediction is the
 * argmax, a label < 0 is unknown and left out, a class absent from the true labels of a
 * (re)sample is left out of AvRec, an undefined AUC is left out of AvAUC. Every random draw
 * comes from an ef_rng seeded with the caller's seed: same inputs + same seed = same result,
 * on every machine. Nothing here prints or exits. */
#ifndef EMOFUSE_STATS_H
#define EMOFUSE_STATS_H

#include <stdint.h>

#include "emofuse/status.h"

/* ---- bootstrap confidence intervals (src/eval/stats_bootstrap.c) ------------------- */

typedef struct {
    double avrec, avauc;         /* on the data itself: ef_evaluate's av_rec, av_auc */
    double avrec_ci[2];          /* [lo, hi]; NaN when no resample had the metric defined */
    double avauc_ci[2];
    int n_boot;                  /* resamples drawn */
    int n_avrec;                 /* resamples where AvRec was defined (always n_boot) */
    int n_avauc;                 /* resamples where AvAUC was defined (>= 2 classes drawn) */
    int n_class_missing;         /* resamples that lacked a class present in the data (its
                                    recall / AUC was left out of that resample's averages) */
} ef_bootstrap_result;

/* Percentile bootstrap of AvRec and AvAUC of probs (n, K) against labels (n).
 *
 * The m utterances with a known label (0 <= label < K) are resampled: each of the n_boot
 * resamples draws m of them uniformly with replacement (ef_rng seeded with seed; resample b
 * uses draws b*m .. b*m+m-1 of ef_rng_below(m), in that order). On each resample AvRec and
 * AvAUC are computed exactly as ef_evaluate would on the resampled rows (duplicates are tied
 * items; a class not drawn is left out of the averages). A resample where a metric is
 * undefined (NaN: AvAUC when the resample holds a single class) is skipped for that metric
 * and counted (n_avauc). The interval is numpy.percentile(values, [50 (1 - level),
 * 50 (1 + level)]) over the kept resamples (default linear method), e.g. level = 0.95 gives
 * the 2.5th and 97.5th percentiles.
 *
 * Errors (EF_ERR_ARG): n < 1, K outside [2, EF_EVAL_MAX_CLASSES], a label >= K, no
 * utterance with a known label, n_boot < 1, level not in (0, 1), a non-finite probability
 * of a labelled utterance. EF_ERR_NOMEM on allocation failure. Cost: O(K m log m) once,
 * then O(K m) per resample. */
ef_code ef_bootstrap(ef_bootstrap_result *res, const float *probs, const int32_t *labels, int64_t n, int K,
                     int n_boot, uint64_t seed, double level, ef_error *err);

/* The intervals of ef_bootstrap only (avrec_ci = [lo, hi], avauc_ci = [lo, hi]). */
ef_code ef_bootstrap_ci(const float *probs, const int32_t *labels, int64_t n, int K, int n_boot, uint64_t seed,
                        double level, double avrec_ci[2], double avauc_ci[2], ef_error *err);

/* ---- tests (src/eval/stats_tests.c) ------------------------------------------------ */

/* Two-sided Wilcoxon signed-rank test of the paired values a[i], b[i] (n seeds; pair i =
 * seed i), equal to scipy.stats.wilcoxon(a, b) with scipy 1.10's defaults (Debian 12):
 * zero_method='wilcox' (zero differences dropped), correction=False (no continuity
 * correction), alternative='two-sided', method='auto':
 *   - n <= 50 and no zero difference: exact null distribution of r_plus (sum of the ranks of
 *     the positive differences; ranks of |d| averaged over ties), p = 2 min(P(R <= r),
 *     P(R >= r)) capped at 1, and 1 when r is the centre. As scipy 1.10 does, tied |d| do
 *     NOT switch to the normal approximation: r_plus is truncated to an integer (int()) and
 *     looked up in the tie-free distribution (so with ties, swapping a and b can change p).
 *     Later scipy (1.15, gh-21567) runs a permutation test there instead;
 *   - otherwise (n > 50, or a zero difference): the zeros are dropped, T = min(r_plus,
 *     r_minus), z = (T - c(c+1)/4) / sqrt((c(c+1)(2c+1) - sum_ties t(t^2 - 1) / 2) / 24) with
 *     c the number of non-zero differences, p = 2 * (1 - Phi(|z|)).
 * d = a[i] - b[i] in double; only exactly equal |d| are ties, exactly zero d are zeros.
 * When every difference is zero scipy raises; here *p = 1 (no evidence of a difference).
 * Errors (EF_ERR_ARG, *p = NaN): n < 1, a non-finite value. EF_ERR_NOMEM. */
ef_code ef_paired_seeds_test(const double *a, const double *b, int n, double *p, ef_error *err);

/* Paired permutation test of two systems scored on the same utterances: probs_a, probs_b
 * (n, K) against labels (n). Under the null hypothesis the two systems are exchangeable on
 * each utterance, so each of the n_perm permutations swaps the K scores of system a and b of
 * each labelled utterance with probability 1/2 (ef_rng seeded with seed; permutation r takes
 * ceil(m / 64) ef_rng_u64 draws, bit j % 64 of draw j / 64 swaps the j-th labelled utterance).
 * Statistic: |metric(a) - metric(b)| with the metrics of ef_evaluate (AvAUC, AvRec).
 * p = (1 + #{permutations with statistic >= observed - gamma}) / (1 + n_perm), gamma =
 * max(1e-14, 1e-14 |observed|) (scipy.stats.permutation_test's guard against rounding),
 * so p is never 0 and two identical systems give p = 1 exactly. *p_avauc is NaN when AvAUC
 * is undefined on the data (a single class labelled).
 * Errors (EF_ERR_ARG): n < 1, K outside [2, EF_EVAL_MAX_CLASSES], a label >= K, no
 * utterance with a known label, n_perm < 1, a non-finite probability of a labelled
 * utterance. EF_ERR_NOMEM. Cost: O(K m log m) once, then O(K m) per permutation. */
ef_code ef_paired_permutation_test(const float *probs_a, const float *probs_b, const int32_t *labels, int64_t n,
                                   int K, int n_perm, uint64_t seed, double *p_avauc, double *p_avrec,
                                   ef_error *err);

/* Holm-Bonferroni step-down adjusted p-values of m tests: with the p-values sorted
 * ascending, adjusted_(i) = max_{j <= i} (m - j) p_(j) (i, j from 0), capped at 1, as
 * statsmodels.stats.multitest.multipletests(p, method='holm')[1]; reject hypothesis i at
 * family-wise error rate alpha when adjusted[i] <= alpha. adjusted (m) is in the input's
 * order and must not overlap p. A NaN p (an undefined test) stays NaN and is not counted in m (as
 * R's p.adjust; statsmodels would count it). m <= 0: nothing. Never fails (without memory
 * for the sort it falls back to an O(m^2) loop with the same result). */
void ef_holm(const double *p, int m, double *adjusted);

#endif
