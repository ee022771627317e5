/* Results: merge each (system, seed)'s finished test folds into scores/<name>/seed<k>.csv
 * and summarise the seeds as Table 1. Works on whatever has finished (any shards), and
 * only on the runs whose keys match OUT/experiment.json, so stale runs never count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/metrics.h"
#include "emofuse/report.h"
#include "experiment/internal.h"

/* Append one run file's rows to the merged file and to probs/labels. */
static ef_code append_run(FILE *out, bool header, const char *path, float **probs, int32_t **labels, int64_t *n,
                          int64_t *cap, ef_error *err)
{
    ef_csv csv;
    ef_code rc = ef_csv_load(&csv, path, ',', err);
    if (rc) return rc;
    int lc = ef_csv_column(&csv, "label"), pc[4];
    for (int k = 0; k < 4; k++) {
        char name[40];
        snprintf(name, sizeof name, "p_%s", ef_emotion4_names[k]);
        pc[k] = ef_csv_column(&csv, name);
        if (pc[k] < 0) lc = -1;
    }
    if (lc < 0 || csv.cols != 7) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: not a run scores file (id,fold,label,p_<class>...)", path);
    }
    if (header) ef_csv_write_row(out, (const char *const *)csv.header, csv.cols);
    for (int64_t r = 0; r < csv.rows; r++) {
        const char *row[7];
        for (int c = 0; c < 7; c++) row[c] = ef_csv_cell(&csv, r, c);
        ef_csv_write_row(out, row, 7);
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 4096;
            float *np = realloc(*probs, sizeof(float) * 4 * (size_t)*cap);
            int32_t *nl = realloc(*labels, sizeof(int32_t) * (size_t)*cap);
            if (np) *probs = np;
            if (nl) *labels = nl;
            if (!np || !nl) {
                ef_csv_free(&csv);
                return ef_fail(err, EF_ERR_NOMEM, "out of memory");
            }
        }
        for (int k = 0; k < 4; k++) (*probs)[*n * 4 + k] = strtof(ef_csv_cell(&csv, r, pc[k]), NULL);
        (*labels)[*n] = ef_emotion4_class(ef_csv_cell(&csv, r, lc));
        (*n)++;
    }
    ef_csv_free(&csv);
    return EF_OK;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The scores file of a run at an epoch (0 = the run's own choice). */
static void scores_path(const exp_run *r, int epoch, char *buf, size_t n)
{
    if (epoch > 0) exp_run_epoch_path(r, epoch, buf, n);
    else snprintf(buf, n, "%s", r->path);
}

/* Merge one (name, seed) at an epoch if all its folds finished; *ok tells whether it did.
 * write: also write scores/<name>/seed<k>.csv. */
static ef_code merge_seed(const exp_plan *p, const char *name, int seed, int epoch, bool write, bool *ok,
                          ef_eval_result *ev, ef_error *err)
{
    *ok = false;
    char path[4400];
    for (int64_t i = 0; i < p->n_runs; i++)
        if (!strcmp(p->runs[i].name, name) && p->runs[i].seed == seed) {
            scores_path(&p->runs[i], epoch, path, sizeof path);
            if (!exists(path)) {
                /* Unfinished: a merged file of earlier settings must not stay behind, or scripts
                 * recomputing from scores/ would count a seed the tables leave out. */
                if (write) {
                    snprintf(path, sizeof path, "%s/scores/%s/seed%d.csv", p->out, name, seed);
                    remove(path);
                }
                return EF_OK;
            }
        }
    ef_code rc = EF_OK;
    FILE *sink = NULL;
    ef_atomic_file af;
    memset(&af, 0, sizeof af);
    if (write) {
        snprintf(path, sizeof path, "%s/scores/%s", p->out, name);
        if ((rc = ef_mkdir_p(path, err))) return rc;
        snprintf(path, sizeof path, "%s/scores/%s/seed%d.csv", p->out, name, seed);
        if ((rc = ef_atomic_open(&af, path, err))) return rc;
        sink = af.fp;
    } else if (!(sink = fopen("/dev/null", "w"))) {
        return ef_fail(err, EF_ERR_IO, "/dev/null: cannot open");
    }
    float *probs = NULL;
    int32_t *labels = NULL;
    int64_t n = 0, cap = 0;
    bool first = true;
    for (int64_t i = 0; i < p->n_runs && !rc; i++)
        if (!strcmp(p->runs[i].name, name) && p->runs[i].seed == seed) {
            scores_path(&p->runs[i], epoch, path, sizeof path);
            rc = append_run(sink, first, path, &probs, &labels, &n, &cap, err);
            first = false;
        }
    if (!rc) rc = ef_evaluate(ev, probs, labels, n, 4, err);
    if (write) {
        if (rc) ef_atomic_abort(&af);
        else rc = ef_atomic_commit(&af, err);
    } else {
        fclose(sink);
    }
    free(probs);
    free(labels);
    *ok = rc == EF_OK;
    return rc;
}

/* select_epochs=test (the paper): the candidate epoch with the best median AvAUC over
 * the first 5 seeds' merged test folds (ties: the earlier epoch). 0 while those seeds are
 * unfinished. Every candidate's median goes to epochs.csv. */
static ef_code select_epoch(const exp_plan *p, const char *name, int seeds, FILE *epochs_csv, int *chosen,
                            int *cands, double *med, int *n_cands, ef_error *err)
{
    *chosen = 0;
    *n_cands = 0;
    int nc = exp_candidates(p->x, cands, EXP_MAX_CANDIDATES);
    int first = seeds < 5 ? seeds : 5;
    double best = -1;
    for (int c = 0; c < nc; c++) {
        double auc[5];
        int n = 0;
        for (int s = 1; s <= first; s++) {
            bool ok;
            ef_eval_result ev;
            ef_code rc = merge_seed(p, name, s, cands[c], false, &ok, &ev, err);
            if (rc) return rc;
            if (!ok) return EF_OK; /* not all of the first seeds are done yet */
            auc[n++] = ev.av_auc;
        }
        ef_summary sm;
        ef_code rc = ef_summarise(auc, n, &sm, err);
        if (rc) return rc;
        med[c] = sm.median;
        if (sm.median > best) {
            best = sm.median;
            *chosen = cands[c];
        }
    }
    for (int c = 0; c < nc; c++)
        fprintf(epochs_csv, "%s,%d,%d,%.6f,%d\n", name, cands[c], first, med[c], cands[c] == *chosen);
    *n_cands = nc;
    return EF_OK;
}

/* OUT/seeds.csv: every row's per-seed AvRec and AvAUC (full precision); the combined
 * Figure 3 of several OUTs reads it. */
static ef_code write_seeds_csv(const char *out, const ef_table1_row *rows, const exp_seed_values *sv, int n,
                               ef_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/seeds.csv", out);
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    fprintf(af.fp, "system,seed,avrec,avauc\n");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < sv[i].n; k++) {
            ef_csv_write_field(af.fp, rows[i].system);
            fprintf(af.fp, ",%d,%.17g,%.17g\n", sv[i].seeds[k], sv[i].avrec[k], sv[i].avauc[k]);
        }
    return ef_atomic_commit(&af, err);
}

ef_code ef_experiment_report(const char *out, FILE *log, bool *complete, ef_error *err)
{
    if (complete) *complete = false;
    char path[4300];
    snprintf(path, sizeof path, "%s/experiment.json", out);
    ef_experiment *x = NULL;
    ef_code rc = ef_experiment_new(&x, NULL, err);
    if (!rc) rc = ef_experiment_load(x, path, err);
    exp_plan p;
    memset(&p, 0, sizeof p);
    if (!rc) rc = exp_plan_build(&p, x, out, err);
    int seeds = rc ? 0 : exp_int(x, "seeds");
    ef_table1_row *rows = calloc((size_t)p.n_runs + 1, sizeof *rows);
    double *rec = calloc((size_t)seeds + 1, sizeof *rec), *auc = calloc((size_t)seeds + 1, sizeof *auc);
    ef_eval_result *evs = calloc((size_t)seeds + 1, sizeof *evs);
    int *seed_of = calloc((size_t)seeds + 1, sizeof *seed_of);
    /* Every row's per-seed values, for the significance tests and OUT/seeds.csv. */
    exp_seed_values *sv = calloc((size_t)p.n_runs + 1, sizeof *sv);
    if (!rc && (!rows || !rec || !auc || !evs || !seed_of || !sv)) rc = ef_fail(err, EF_ERR_NOMEM, "out of memory");
    int n_rows = 0;
    int64_t finished = 0;
    /* Per-seed AvAUCs and selection curves for the figures; `owned` frees them. */
    exp_fig_rows fr;
    memset(&fr, 0, sizeof fr);
    void *owned[1024 + 2 * 64];
    int n_owned = 0;
    bool select_test = !rc && exp_selection(x) == EXP_SELECT_TEST;
    char *epochs_text = NULL;
    size_t epochs_len = 0;
    FILE *epochs_csv = open_memstream(&epochs_text, &epochs_len);
    if (!epochs_csv && !rc) rc = ef_fail(err, EF_ERR_NOMEM, "out of memory");
    if (epochs_csv) fprintf(epochs_csv, "system,epoch,seeds,median_avauc,selected\n");
    for (int64_t i = 0; i < p.n_runs && !rc; i++) finished += exists(p.runs[i].path);
    /* One row per listed score folder, in grid order. */
    for (int64_t i = 0; i < p.n_runs && !rc; i++) {
        const exp_run *r = &p.runs[i];
        bool seen = !r->listed;
        for (int j = 0; j < n_rows && !seen; j++) seen = !strcmp(rows[j].system, r->name);
        if (seen) continue;
        int n = 0, epoch = 0, ncand = 0;
        int *cand = calloc(EXP_MAX_CANDIDATES, sizeof *cand);
        double *cmed = calloc(EXP_MAX_CANDIDATES, sizeof *cmed);
        if (!cand || !cmed) rc = ef_fail(err, EF_ERR_NOMEM, "out of memory");
        if (!rc && select_test) {
            rc = select_epoch(&p, r->name, seeds, epochs_csv, &epoch, cand, cmed, &ncand, err);
            if (!rc && epoch > 0 && fr.n_curves < 64) {
                fr.curves[fr.n_curves++] = (ef_fig_curve){r->name, cand, cmed, ncand, epoch};
                owned[n_owned++] = cand;
                owned[n_owned++] = cmed;
                cand = NULL;
                cmed = NULL;
            }
        }
        free(cand);
        free(cmed);
        if (rc || (select_test && epoch == 0)) continue;
        for (int s = 1; s <= seeds && !rc; s++) {
            bool ok;
            rc = merge_seed(&p, r->name, s, epoch, true, &ok, &evs[n], err);
            if (!rc && ok) {
                rec[n] = evs[n].av_rec;
                auc[n] = evs[n].av_auc;
                seed_of[n++] = s;
            }
        }
        if (rc || n == 0) continue;
        ef_table1_row *row = &rows[n_rows++];
        snprintf(row->system, sizeof row->system, "%s", r->name);
        row->n_seeds = n;
        rc = ef_summarise(rec, n, &row->av_rec, err);
        if (!rc) rc = ef_summarise(auc, n, &row->av_auc, err);
        /* The median seed by AvAUC (the lower one of an even count), ties by seed. */
        int order[1000];
        for (int k = 0; k < n; k++) order[k] = k;
        for (int a = 1; a < n; a++)
            for (int b = a; b > 0 && auc[order[b]] < auc[order[b - 1]]; b--) {
                int t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
        row->median_seed = seed_of[order[(n - 1) / 2]];
        row->median = evs[order[(n - 1) / 2]];
        row->epoch = epoch;
        row->avrec_ci[0] = row->avrec_ci[1] = row->avauc_ci[0] = row->avauc_ci[1] = NAN;
        exp_seed_values *v = &sv[n_rows - 1];
        v->seeds = malloc(sizeof *v->seeds * (size_t)n);
        v->avrec = malloc(sizeof *v->avrec * (size_t)n);
        v->avauc = malloc(sizeof *v->avauc * (size_t)n);
        if (!rc && (!v->seeds || !v->avrec || !v->avauc)) rc = ef_fail(err, EF_ERR_NOMEM, "out of memory");
        if (!rc) {
            v->n = n;
            memcpy(v->seeds, seed_of, sizeof *v->seeds * (size_t)n);
            memcpy(v->avrec, rec, sizeof *v->avrec * (size_t)n);
            memcpy(v->avauc, auc, sizeof *v->avauc * (size_t)n);
        }
        if (fr.n < 1024) {
            double *copy = malloc(sizeof *copy * (size_t)n);
            if (copy) {
                memcpy(copy, auc, sizeof *copy * (size_t)n);
                fr.names[fr.n] = row->system;
                fr.auc[fr.n] = copy;
                fr.n_auc[fr.n++] = n;
                owned[n_owned++] = copy;
            }
        }
    }
    if (!rc) {
        char md[4300], csv[4300], notes[1024] = "";
        snprintf(md, sizeof md, "%s/table1.md", out);
        snprintf(csv, sizeof csv, "%s/table1.csv", out);
        snprintf(notes, sizeof notes, "%lld of %lld runs finished.%s%s", (long long)finished, (long long)p.n_runs,
                 p.bert_random ? " The BERT features come from a randomly initialised encoder (no pretrained model "
                                 "was given): text results are not the paper's." : "",
                 select_test ? " Epochs were chosen on the test folds (best median AvAUC of the first 5 seeds, the "
                               "paper's procedure): these results are optimistic (epochs.csv)." :
                 exp_selection(x) == EXP_SELECT_INNER ? " Epochs were chosen per run on an inner validation split "
                                                        "of its training fold (the .epochs.csv files)." : "");
        if (select_test) {
            fflush(epochs_csv);
            char ep[4300];
            snprintf(ep, sizeof ep, "%s/epochs.csv", out);
            rc = ef_atomic_write(ep, epochs_text, epochs_len, err);
        }
        char *sig_html = NULL, marks_note[1024] = "";
        if (!rc) rc = write_seeds_csv(out, rows, sv, n_rows, err);
        if (!rc) rc = exp_significance(&p, rows, n_rows, sv, &sig_html, marks_note, sizeof marks_note, err);
        if (!rc) rc = ef_report_table1(md, csv, rows, n_rows, ef_emotion4_names, 4, marks_note, notes, err);
        const char *svgs[3], *captions[3];
        int n_svgs = 0;
        if (!rc) rc = exp_write_figures(&p, &fr, svgs, captions, &n_svgs, err);
        if (!rc) rc = exp_write_report_page(&p, rows, n_rows, marks_note, sig_html, svgs, captions, n_svgs, err);
        free(sig_html);
        if (!rc && complete) *complete = finished == p.n_runs;
        if (!rc && log) {
            fprintf(log, "\n%-28s %5s  %-14s %-15s\n", "system", "seeds", "AvRec (%)", "AvAUC");
            for (int i = 0; i < n_rows; i++)
                fprintf(log, "%-28s %5d  %5.1f +- %-5.1f  %.3f +- %.3f\n", rows[i].system, rows[i].n_seeds,
                        100 * rows[i].av_rec.median, 100 * rows[i].av_rec.iqr, rows[i].av_auc.median,
                        rows[i].av_auc.iqr);
            fprintf(log, "%s\nwrote %s, %s and %s/report.html\n", notes, md, csv, out);
        }
    }
    for (int i = 0; i < n_owned; i++) free(owned[i]);
    for (int64_t i = 0; sv && i < p.n_runs; i++) {
        free(sv[i].seeds);
        free(sv[i].avrec);
        free(sv[i].avauc);
    }
    free(sv);
    if (epochs_csv) fclose(epochs_csv);
    free(epochs_text);
    free(rows);
    free(rec);
    free(auc);
    free(evs);
    free(seed_of);
    exp_plan_free(&p);
    ef_experiment_free(x);
    return rc;
}
