/* Reports of experiments: Table 1 of the paper (median and interquartile range over seeds
 * of AvRec and AvAUC per system) as Markdown and CSV. */
#ifndef EMOFUSE_REPORT_H
#define EMOFUSE_REPORT_H

#include <stdint.h>

#include "emofuse/metrics.h"
#include "emofuse/status.h"

typedef struct {
    char system[96];          /* the score folder name */
    int n_seeds;              /* seeds with every fold finished */
    ef_summary av_rec;        /* fractions in [0, 1] */
    ef_summary av_auc;
    int median_seed;          /* the seed whose AvAUC is the (lower) median */
    ef_eval_result median;    /* per-class recall and confusion of that seed */
    int epoch;                /* the selected epoch, 0 when epochs were fixed */
} ef_table1_row;

/* Write table1.md and table1.csv (atomically). `classes` names the K columns; `notes`
 * (may be NULL) are lines printed under the Markdown table. CSV columns: system, seeds,
 * avrec_median, avrec_q25, avrec_q75, avrec_iqr (percent), avauc_median, avauc_q25,
 * avauc_q75, avauc_iqr, median_seed, epoch (0 = fixed), recall_<class>..., cm_<true>_<predicted>... */
ef_code ef_report_table1(const char *md_path, const char *csv_path, const ef_table1_row *rows, int n,
                         const char *const *classes, int K, const char *notes, ef_error *err);

#endif
