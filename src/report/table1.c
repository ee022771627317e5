/* Table 1: one line per system, median +- IQR over seeds, as the paper prints it; the
 * CSV carries the same numbers with more digits for scripts. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/report.h"

/* Name of the row marked `letter` (NULL when none). */
static const char *row_of_letter(const ef_table1_row *rows, int n, char letter)
{
    for (int i = 0; i < n; i++)
        if (rows[i].letter == letter) return rows[i].system;
    return NULL;
}

/* " <sup>bc</sup>" after a value when it beats systems b and c. */
static void put_marks(FILE *f, const char *beats)
{
    if (beats[0]) fprintf(f, " <sup>%s</sup>", beats);
}

static void put_ci(FILE *f, const double ci[2], double scale, const char *fmt)
{
    if (isnan(ci[0]) || isnan(ci[1])) {
        fprintf(f, " n/a |");
        return;
    }
    fprintf(f, " [");
    fprintf(f, fmt, scale * ci[0]);
    fprintf(f, ", ");
    fprintf(f, fmt, scale * ci[1]);
    fprintf(f, "] |");
}

static ef_code write_md(const char *path, const ef_table1_row *rows, int n, const char *const *classes, int K,
                        const char *marks_note, const char *notes, ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    FILE *f = af.fp;
    fprintf(f, "# Table 1\n\nMedian and interquartile range over seeds of the merged test folds.\n\n");
    fprintf(f, "| system | seeds | AvRec (%%) | AvAUC |");
    for (int k = 0; k < K; k++) fprintf(f, " recall %s |", classes[k]);
    fprintf(f, " AvRec 95%% CI | AvAUC 95%% CI |\n|---|---:|---:|---:|");
    for (int k = 0; k < K; k++) fprintf(f, "---:|");
    fprintf(f, "---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const ef_table1_row *r = &rows[i];
        char name[128];
        if (r->epoch > 0) snprintf(name, sizeof name, "%s (epoch %d)", r->system, r->epoch);
        else snprintf(name, sizeof name, "%s", r->system);
        fprintf(f, "| %s", name);
        if (r->letter) fprintf(f, " (%c)", r->letter);
        fprintf(f, " | %d | %.1f ± %.1f", r->n_seeds, 100 * r->av_rec.median, 100 * r->av_rec.iqr);
        put_marks(f, r->beats_avrec);
        fprintf(f, " | %.3f ± %.3f", r->av_auc.median, r->av_auc.iqr);
        put_marks(f, r->beats_avauc);
        fprintf(f, " |");
        for (int k = 0; k < K; k++) fprintf(f, " %.1f |", 100 * r->median.recall[k]);
        put_ci(f, r->avrec_ci, 100, "%.1f");
        put_ci(f, r->avauc_ci, 1, "%.3f");
        fprintf(f, "\n");
    }
    fprintf(f, "\nPer-class recall and the 95%% bootstrap intervals: of the median seed (by AvAUC).\n");
    if (marks_note && *marks_note) fprintf(f, "\n%s\n", marks_note);
    for (int i = 0; i < n; i++) {
        const ef_table1_row *r = &rows[i];
        fprintf(f, "\n### %s: confusion matrix of seed %d (rows: true, columns: predicted)\n\n|  |", r->system,
                r->median_seed);
        for (int k = 0; k < K; k++) fprintf(f, " %s |", classes[k]);
        fprintf(f, "\n|---|");
        for (int k = 0; k < K; k++) fprintf(f, "---:|");
        fprintf(f, "\n");
        for (int t = 0; t < K; t++) {
            fprintf(f, "| %s |", classes[t]);
            for (int k = 0; k < K; k++) fprintf(f, " %lld |", (long long)r->median.cm[t * K + k]);
            fprintf(f, "\n");
        }
    }
    if (notes && *notes) fprintf(f, "\n%s\n", notes);
    if (ferror(f)) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed", path);
    }
    return ef_atomic_commit(&af, err);
}

static ef_code write_csv(const char *path, const ef_table1_row *rows, int n, const char *const *classes, int K,
                         ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    FILE *f = af.fp;
    fprintf(f, "system,seeds,avrec_median,avrec_q25,avrec_q75,avrec_iqr,avauc_median,avauc_q25,avauc_q75,avauc_iqr,"
               "median_seed,epoch");
    for (int k = 0; k < K; k++) fprintf(f, ",recall_%s", classes[k]);
    for (int t = 0; t < K; t++)
        for (int k = 0; k < K; k++) fprintf(f, ",cm_%s_%s", classes[t], classes[k]);
    fprintf(f, ",avrec_ci_lo,avrec_ci_hi,avauc_ci_lo,avauc_ci_hi,mark,better_avauc,better_avrec\n");
    for (int i = 0; i < n; i++) {
        const ef_table1_row *r = &rows[i];
        ef_csv_write_field(f, r->system);
        fprintf(f, ",%d,%.4f,%.4f,%.4f,%.4f,%.6f,%.6f,%.6f,%.6f,%d,%d", r->n_seeds, 100 * r->av_rec.median,
                100 * r->av_rec.q25, 100 * r->av_rec.q75, 100 * r->av_rec.iqr, r->av_auc.median, r->av_auc.q25,
                r->av_auc.q75, r->av_auc.iqr, r->median_seed, r->epoch);
        for (int k = 0; k < K; k++) fprintf(f, ",%.4f", 100 * r->median.recall[k]);
        for (int t = 0; t < K * K; t++) fprintf(f, ",%lld", (long long)r->median.cm[t]);
        const double ci[4] = {100 * r->avrec_ci[0], 100 * r->avrec_ci[1], r->avauc_ci[0], r->avauc_ci[1]};
        for (int c = 0; c < 4; c++) {
            if (isnan(ci[c])) fprintf(f, ",");
            else fprintf(f, c < 2 ? ",%.4f" : ",%.6f", ci[c]);
        }
        fputc(',', f);
        if (r->letter) fputc(r->letter, f);
        const char *beats[2] = {r->beats_avauc, r->beats_avrec};
        for (int m = 0; m < 2; m++) {
            fprintf(f, ",");
            for (const char *b = beats[m]; *b; b++) {
                const char *other = row_of_letter(rows, n, *b);
                if (b != beats[m]) fprintf(f, ";");
                if (other) ef_csv_write_field(f, other);
            }
        }
        fprintf(f, "\n");
    }
    if (ferror(f)) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed", path);
    }
    return ef_atomic_commit(&af, err);
}

ef_code ef_report_table1(const char *md_path, const char *csv_path, const ef_table1_row *rows, int n,
                         const char *const *classes, int K, const char *marks_note, const char *notes,
                         ef_error *err)
{
    ef_code rc = write_md(md_path, rows, n, classes, K, marks_note, notes, err);
    return rc ? rc : write_csv(csv_path, rows, n, classes, K, err);
}
