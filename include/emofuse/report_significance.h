/* Significance results of an experiment report: which of Table 1's differences are real?
 *
 * From each system's per-seed AvRec / AvAUC and its merged test scores (read on demand
 * through a loader, so a corpus of 260k utterances x 10 seeds x 7 systems is never held at
 * once), computed with the tools of include/emofuse/stats.h:
 *   - per system: a 95% percentile-bootstrap interval of AvRec and AvAUC of its median seed
 *     (the seed whose per-class recall and confusion matrix Table 1 shows), resampling
 *     utterances;
 *   - per pair of compared systems (Table 1's: the main grid's systems), paired by seed
 *     over the seeds both have finished: a Wilcoxon signed-rank test of AvAUC and of AvRec;
 *     paired by utterance on one seed (the lowest seed both finished): a paired permutation
 *     test of AvAUC and of AvRec;
 *   - Holm's adjustment of each of these four families across all pairs.
 * Every random draw is seeded with opts.seed (every bootstrap with the same seed, so
 * systems scored on the same utterances in the same order share their resample indices;
 * likewise every permutation test), so the results are the same in every run, for any
 * thread count. docs/evaluation.md ("In the report") states the methods. */
#ifndef EMOFUSE_REPORT_SIGNIFICANCE_H
#define EMOFUSE_REPORT_SIGNIFICANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "emofuse/stats.h"
#include "emofuse/status.h"

typedef struct {
    int n_boot;           /* bootstrap resamples (setting report.bootstrap, default 1000) */
    int n_perm;           /* permutations per pair (report.permutations, default 1000) */
    uint64_t seed;        /* report.seed, default 1 */
    double level;         /* confidence level of the intervals, 0.95 */
    double alpha;         /* family-wise error rate of the Table 1 marks, 0.05 */
    int threads;          /* 0 = all cores; the results do not depend on it */
} ef_signif_opts;

ef_signif_opts ef_signif_default_params(void);

/* One system (a Table 1 row). seeds ascending; avrec/avauc per seed (fractions). */
typedef struct {
    const char *name;
    int n_seeds;
    const int *seeds;
    const double *avrec, *avauc;
    int ci_seed;          /* the seed to bootstrap (its median seed); 0 = none */
    bool compared;        /* one of the pairwise-compared systems */
} ef_signif_system;

/* Merged test scores of one (system, seed): probs (n, K), labels (n, < 0 unknown) and a
 * hash of each utterance id (to pair utterances of two systems). */
typedef struct {
    float *probs;
    int32_t *labels;
    uint64_t *ids;
    int64_t n;
} ef_scores;

void ef_scores_free(ef_scores *s);

/* Fills *s with the scores of systems[system] at seed; called from several threads at once. */
typedef ef_code (*ef_scores_loader)(void *ctx, int system, int seed, ef_scores *s, ef_error *err);

typedef struct {
    int seed;                 /* the bootstrapped seed, 0 = none */
    int64_t n;                /* its labelled utterances */
    ef_bootstrap_result boot;
} ef_signif_ci;

typedef struct {
    int a, b;                 /* indices into the systems, a < b */
    int n_seeds;              /* seeds both finished (the Wilcoxon pairs) */
    double diff_avauc, diff_avrec;   /* median over those seeds of a - b */
    double w_avauc, w_avrec;         /* Wilcoxon p, NaN when n_seeds = 0 */
    double w_avauc_holm, w_avrec_holm;
    int perm_seed;            /* the seed of the permutation test, 0 = none */
    int64_t perm_n;           /* utterances scored by both on that seed (paired by id) */
    double perm_diff_avauc, perm_diff_avrec; /* a - b on that seed */
    double p_avauc, p_avrec;         /* permutation p */
    double p_avauc_holm, p_avrec_holm;
} ef_signif_pair;

typedef struct {
    ef_signif_opts opts;
    int n_systems, K;
    ef_signif_ci *ci;         /* n_systems */
    int n_pairs;
    ef_signif_pair *pairs;    /* compared systems in order: (0,1), (0,2), ..., (1,2), ... */
} ef_signif_result;

/* Compute everything above. Errors: a loader error, a bad value (EF_ERR_ARG from stats.h),
 * EF_ERR_NOMEM. On error *res is left empty. */
ef_code ef_significance(ef_signif_result *res, const ef_signif_system *systems, int n, int K,
                        const ef_signif_opts *opts, ef_scores_loader load, void *ctx, ef_error *err);
void ef_signif_free(ef_signif_result *res);

typedef enum { EF_SIGNIF_AVAUC, EF_SIGNIF_AVREC } ef_signif_metric;

/* +1 when system a is better than b over seeds (Wilcoxon, Holm-adjusted p <= alpha, median
 * difference > 0), -1 when b is better, 0 otherwise (or when the pair was not compared). */
int ef_signif_better(const ef_signif_result *res, int a, int b, ef_signif_metric m);

/* The letter of compared system i in Table 1's marks ('a', 'b', ...; '\0' when not
 * compared or when there is no pair), and the letters of the systems it beats on metric m (NUL-terminated). */
char ef_signif_letter(const ef_signif_result *res, const ef_signif_system *systems, int i);
void ef_signif_beats(const ef_signif_result *res, const ef_signif_system *systems, int i, ef_signif_metric m,
                     char *out, int cap);

/* The report's significance section as HTML (malloc'ed; NULL on allocation failure):
 * methods, the intervals, and one row per pair with raw and Holm p and the direction. */
char *ef_signif_html(const ef_signif_result *res, const ef_signif_system *systems, int expected_seeds);

#endif
