/* Prediction CSVs (`emofuse predict --manifest ...` output) as `emofuse evaluate` reads
 * them: one run is a CSV, or a directory whose *.csv files (its folds) are merged.
 * Strict: class columns p_<class> must agree across the files of a run, probabilities are
 * numbers in [0, 1], a non-empty label must be one of the classes (case-sensitive), an id
 * may be scored only once per run, and a run needs at least one labelled row. Errors name
 * the file and data row (or both places of a duplicated id). */
#ifndef EMOFUSE_PREDICTIONS_H
#define EMOFUSE_PREDICTIONS_H

#include <stdint.h>

#include "emofuse/metrics.h"
#include "emofuse/status.h"

typedef struct {
    float *probs;    /* (n, K) */
    int32_t *labels; /* (n) class index, -1 = unlabelled */
    char **ids;      /* (n) NULL entries when a file has no id column */
    char **where;    /* (n) "file:line" of each row */
    int64_t n, cap;
    int K;
    char names[EF_EVAL_MAX_CLASSES][64];
    int n_files;      /* CSVs merged (1 for a file) */
    int missing_fold; /* files named <prefix><number>.csv with a gap: the first missing number; 0 none */
} ef_pred_run;

/* Load and check one run (a file or a directory of folds). Free with ef_pred_run_free
 * in every case. */
ef_code ef_pred_run_load(ef_pred_run *run, const char *path, ef_error *err);
/* Append one CSV (the building block; classes must match what is already there). */
ef_code ef_pred_run_add_csv(ef_pred_run *run, const char *path, ef_error *err);
/* The checks of a complete run: ids scored once, something labelled. */
ef_code ef_pred_run_check(const ef_pred_run *run, const char *name, ef_error *err);
void ef_pred_run_free(ef_pred_run *run);

#endif
