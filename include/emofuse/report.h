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
    /* Significance (report_significance.h); NaN / empty when not computed. */
    double avrec_ci[2];       /* 95% bootstrap interval of the median seed's AvRec */
    double avauc_ci[2];
    char letter;              /* this system's mark in Table 1 ('a', 'b', ...), '\0' = not compared */
    char beats_avauc[32];     /* marks of the systems it is better than over seeds (Holm) */
    char beats_avrec[32];
} ef_table1_row;

/* Write table1.md and table1.csv (atomically). `classes` names the K columns; `marks_note`
 * (may be NULL) explains the significance marks directly under the Markdown table, `notes`
 * (may be NULL) are lines printed at its end. CSV columns: system, seeds, avrec_median,
 * avrec_q25, avrec_q75, avrec_iqr (percent), avauc_median, avauc_q25, avauc_q75, avauc_iqr,
 * median_seed, epoch (0 = fixed), recall_<class>..., cm_<true>_<predicted>..., then
 * avrec_ci_lo, avrec_ci_hi (percent), avauc_ci_lo, avauc_ci_hi (empty when not computed),
 * mark (the letter), better_avauc, better_avrec (';'-separated system names it beats). */
ef_code ef_report_table1(const char *md_path, const char *csv_path, const ef_table1_row *rows, int n,
                         const char *const *classes, int K, const char *marks_note, const char *notes,
                         ef_error *err);

#endif
