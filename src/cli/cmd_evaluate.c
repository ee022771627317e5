/* emofuse evaluate: the paper's metrics from prediction CSVs (`emofuse predict` output).
 * Each argument is one run (one seed): a CSV, or a directory whose *.csv files are the
 * folds of that run and are MERGED before scoring (the paper scores the merged test
 * scores of all folds). With several runs it prints each run and the median and
 * interquartile range over runs, as in the paper's Table 1. Reading and checking the
 * files is src/eval/predictions.c; this file picks the format and prints. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/csv.h"
#include "emofuse/metrics.h"
#include "emofuse/predictions.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse evaluate [--csv | --json] RUN [RUN...]\n\n"
            "Scores prediction CSVs written by `emofuse predict --manifest ...`. Each RUN is one\n"
            "training run (one seed): a CSV, or a directory whose *.csv files (its folds) are merged\n"
            "before scoring. Prints AvRec (average per-class recall, %%) and AvAUC (average one-vs-rest\n"
            "AUC) per run; with several runs also their median +- interquartile range (Table 1 of\n"
            "Pepino et al. 2020). With one run it also prints the confusion matrix.\n\n"
            "  --csv    one CSV row per run (kind,run,n,folds,avrec_percent,avauc), then the median\n"
            "           and IQR rows (kind median / iqr); notes go to stderr\n"
            "  --json   one JSON object: runs (with per-class recall and AUC), summary, confusion\n"
            "           matrix (one run) and notes\n\n"
            "A note is printed when a run seems to lack a fold: a gap in numbered fold files\n"
            "(fold1, fold3), or fewer fold files or scored utterances than the other runs.\n");
}

enum { FMT_TEXT, FMT_CSV, FMT_JSON };

typedef struct {
    const char *name;
    int n_files, missing_fold;
    ef_eval_result res;
    char names[EF_EVAL_MAX_CLASSES][64];
} run_result;

/* The most common value of x (n >= 1). */
static int64_t mode_of(const int64_t *x, int n)
{
    int64_t best = x[0];
    int best_count = 0;
    for (int i = 0; i < n; i++) {
        int c = 0;
        for (int j = 0; j < n; j++) c += x[j] == x[i];
        if (c > best_count) best_count = c, best = x[i];
    }
    return best;
}

/* Notes about runs that seem to lack a fold, one line each, into notes. */
static void fold_notes(FILE *notes, const run_result *r, int runs)
{
    int64_t *files = malloc(sizeof(int64_t) * (size_t)runs), *ns = malloc(sizeof(int64_t) * (size_t)runs);
    if (!files || !ns) {
        free(files);
        free(ns);
        return;
    }
    for (int i = 0; i < runs; i++) files[i] = r[i].n_files, ns[i] = r[i].res.n;
    const int64_t mf = mode_of(files, runs), mn = mode_of(ns, runs);
    for (int i = 0; i < runs; i++) {
        if (r[i].missing_fold)
            fprintf(notes, "%s: fold file number %d is missing (a fold not finished?)\n", r[i].name, r[i].missing_fold);
        if (runs > 1 && files[i] < mf)
            fprintf(notes, "%s: %lld fold files, most runs have %lld (a fold missing?)\n", r[i].name,
                    (long long)files[i], (long long)mf);
        if (runs > 1 && ns[i] < mn && files[i] >= mf)
            fprintf(notes, "%s: %lld utterances scored, most runs score %lld (a fold missing or cut short?)\n",
                    r[i].name, (long long)ns[i], (long long)mn);
    }
    free(files);
    free(ns);
}

static void json_num(FILE *out, double v, const char *fmt)
{
    if (isfinite(v)) fprintf(out, fmt, v);
    else fputs("null", out);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

static void print_text(FILE *out, const run_result *r, int runs, const ef_summary *sr, const ef_summary *sa,
                       const char *notes)
{
    int w = 40;
    for (int i = 0; i < runs; i++)
        if ((int)strlen(r[i].name) > w) w = (int)strlen(r[i].name);
    fprintf(out, "%-*s %6s %8s %8s\n", w, "run", "n", "AvRec%", "AvAUC");
    for (int i = 0; i < runs; i++)
        fprintf(out, "%-*s %6lld %8.1f %8.3f%s\n", w, r[i].name, (long long)r[i].res.n, 100 * r[i].res.av_rec,
                r[i].res.av_auc, r[i].n_files > 1 ? "  (folds merged)" : "");
    if (runs > 1)
        fprintf(out, "%-*s %6d %5.1f +- %.1f %.3f +- %.3f\n", w, "median +- IQR over runs", runs, 100 * sr->median,
                100 * sr->iqr, sa->median, sa->iqr);
    if (runs == 1) {
        const ef_eval_result *last = &r[0].res;
        int K = last->K;
        fprintf(out, "\nconfusion matrix (rows: true class, columns: predicted)\n%-10s", "");
        for (int j = 0; j < K; j++) fprintf(out, " %8.8s", r[0].names[j]);
        fprintf(out, " %8s %8s\n", "recall", "AUC");
        for (int k = 0; k < K; k++) {
            fprintf(out, "%-10.10s", r[0].names[k]);
            for (int j = 0; j < K; j++) fprintf(out, " %8lld", (long long)last->cm[k * K + j]);
            fprintf(out, " %8.3f %8.3f\n", last->recall[k], last->auc[k]);
        }
    }
    for (const char *p = notes; *p;) {
        const char *e = strchr(p, '\n');
        fprintf(out, "note: %.*s\n", (int)(e - p), p);
        p = e + 1;
    }
}

static void print_csv(FILE *out, const run_result *r, int runs, const ef_summary *sr, const ef_summary *sa)
{
    fputs("kind,run,n,folds,avrec_percent,avauc\n", out);
    for (int i = 0; i < runs; i++) {
        fputs("run,", out);
        ef_csv_write_field(out, r[i].name);
        fprintf(out, ",%lld,%d,%.6f,%.6f\n", (long long)r[i].res.n, r[i].n_files, 100 * r[i].res.av_rec,
                r[i].res.av_auc);
    }
    if (runs > 1) {
        fprintf(out, "median,,%d,,%.6f,%.6f\n", runs, 100 * sr->median, sa->median);
        fprintf(out, "iqr,,%d,,%.6f,%.6f\n", runs, 100 * sr->iqr, sa->iqr);
    }
}

static void print_json(FILE *out, const run_result *r, int runs, const ef_summary *sr, const ef_summary *sa,
                       const char *notes)
{
    fputs("{\"runs\": [", out);
    for (int i = 0; i < runs; i++) {
        const ef_eval_result *e = &r[i].res;
        fputs(i ? ",\n  {\"run\": " : "\n  {\"run\": ", out);
        json_str(out, r[i].name);
        fprintf(out, ", \"n\": %lld, \"folds\": %d, \"avrec_percent\": ", (long long)e->n, r[i].n_files);
        json_num(out, 100 * e->av_rec, "%.6f");
        fputs(", \"avauc\": ", out);
        json_num(out, e->av_auc, "%.6f");
        fputs(", \"classes\": {", out);
        for (int k = 0; k < e->K; k++) {
            fputs(k ? ", " : "", out);
            json_str(out, r[i].names[k]);
            fprintf(out, ": {\"support\": %lld, \"recall\": ", (long long)e->support[k]);
            json_num(out, e->recall[k], "%.6f");
            fputs(", \"auc\": ", out);
            json_num(out, e->auc[k], "%.6f");
            fputc('}', out);
        }
        fputs("}}", out);
    }
    fputs("\n]", out);
    if (runs > 1) {
        fprintf(out, ",\n\"summary\": {\"runs\": %d, \"avrec_percent\": {\"median\": ", runs);
        json_num(out, 100 * sr->median, "%.6f");
        fputs(", \"iqr\": ", out);
        json_num(out, 100 * sr->iqr, "%.6f");
        fputs("}, \"avauc\": {\"median\": ", out);
        json_num(out, sa->median, "%.6f");
        fputs(", \"iqr\": ", out);
        json_num(out, sa->iqr, "%.6f");
        fputs("}}", out);
    }
    if (runs == 1) {
        const ef_eval_result *e = &r[0].res;
        fputs(",\n\"confusion\": {\"rows\": \"true class\", \"columns\": \"predicted\", \"matrix\": [", out);
        for (int k = 0; k < e->K; k++) {
            fputs(k ? ", [" : "[", out);
            for (int j = 0; j < e->K; j++) fprintf(out, "%s%lld", j ? ", " : "", (long long)e->cm[k * e->K + j]);
            fputc(']', out);
        }
        fputs("]}", out);
    }
    fputs(",\n\"notes\": [", out);
    int first = 1;
    for (const char *p = notes; *p;) {
        const char *e = strchr(p, '\n');
        char line[8192];
        snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
        fputs(first ? "" : ", ", out);
        json_str(out, line);
        first = 0;
        p = e + 1;
    }
    fputs("]}\n", out);
}

int cmd_evaluate(int argc, char **argv)
{
    int fmt = FMT_TEXT;
    static const struct option opts[] = {
        {"csv", no_argument, 0, 'c'}, {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "+h", opts, "evaluate")) != -1) {
        switch (c) {
        case 'c':
        case 'j':
            if (fmt != FMT_TEXT) return cli_usage_error("evaluate: give at most one of --csv and --json");
            fmt = c == 'c' ? FMT_CSV : FMT_JSON;
            break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    const int runs = argc - optind;
    if (runs < 1) {
        usage(stderr);
        return 2;
    }
    run_result *r = calloc((size_t)runs, sizeof *r);
    double *rec = calloc((size_t)runs, sizeof(double)), *auc = calloc((size_t)runs, sizeof(double));
    if (!r || !rec || !auc) {
        free(r);
        free(rec);
        free(auc);
        return cli_usage_error("evaluate: out of memory");
    }
    ef_error err = {0};
    int code = 0;
    for (int i = 0; i < runs && !code; i++) {
        ef_pred_run s;
        r[i].name = argv[optind + i];
        if (ef_pred_run_load(&s, r[i].name, &err) || ef_evaluate(&r[i].res, s.probs, s.labels, s.n, s.K, &err))
            code = cli_fail(&err);
        else {
            rec[i] = r[i].res.av_rec;
            auc[i] = r[i].res.av_auc;
            r[i].n_files = s.n_files;
            r[i].missing_fold = s.missing_fold;
            memcpy(r[i].names, s.names, sizeof s.names);
        }
        ef_pred_run_free(&s);
    }
    ef_summary sr = {0}, sa = {0};
    if (!code && runs > 1 && (ef_summarise(rec, runs, &sr, &err) || ef_summarise(auc, runs, &sa, &err)))
        code = cli_fail(&err);
    /* The report is assembled in memory and printed only when every run was read, so a
     * bad file never leaves a partial table on stdout. */
    char *notes = NULL, *report = NULL;
    size_t notes_len = 0, report_len = 0;
    FILE *nf = code ? NULL : open_memstream(&notes, &notes_len);
    FILE *out = nf ? open_memstream(&report, &report_len) : NULL;
    if (!code && (!nf || !out)) code = cli_usage_error("evaluate: out of memory");
    if (!code) {
        fold_notes(nf, r, runs);
        fclose(nf);
        nf = NULL;
        if (fmt == FMT_TEXT) print_text(out, r, runs, &sr, &sa, notes);
        else if (fmt == FMT_CSV) print_csv(out, r, runs, &sr, &sa);
        else print_json(out, r, runs, &sr, &sa, notes);
        fclose(out);
        out = NULL;
        if (fmt == FMT_CSV)
            for (const char *p = notes; *p;) {
                const char *e = strchr(p, '\n');
                fprintf(stderr, "note: %.*s\n", (int)(e - p), p);
                p = e + 1;
            }
        if (fwrite(report, 1, report_len, stdout) != report_len || fflush(stdout) != 0) {
            fprintf(stderr, "error: stdout: write failed\n");
            code = 1;
        }
    }
    if (nf) fclose(nf);
    if (out) fclose(out);
    free(notes);
    free(report);
    free(r);
    free(rec);
    free(auc);
    return code;
}
