/* emofuse evaluate: the paper's metrics from prediction CSVs (`emofuse predict` output).
 * Each argument is one run (one seed): a CSV, or a directory whose *.csv files are the
 * folds of that run and are MERGED before scoring (the paper scores the merged test
 * scores of all folds). With several runs it prints each run and the median and
 * interquartile range over runs, as in the paper's Table 1. */
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "emofuse/metrics.h"
#include "emofuse/csv.h"

typedef struct {
    float *probs;   /* (n, K) */
    int32_t *labels;
    char **ids;      /* (n) for the duplicate check; NULL entries when a file has no id column */
    char **where;    /* (n) "file:line" of each row, for messages */
    int64_t n, cap;
    int K;
    char names[EF_EVAL_MAX_CLASSES][64];
} scores;

static void scores_free(scores *s)
{
    for (int64_t i = 0; i < s->n; i++) {
        free(s->ids[i]);
        free(s->where[i]);
    }
    free(s->ids);
    free(s->where);
    free(s->probs);
    free(s->labels);
}

/* Append one CSV's rows; its class columns (p_<name>) must match earlier files'. */
static ef_code add_csv(scores *s, const char *path, ef_error *err)
{
    ef_csv csv;
    ef_code rc = ef_csv_load(&csv, path, ',', err);
    if (rc) return rc;
    int K = 0, label_col = -1, id_col = -1, pcols[EF_EVAL_MAX_CLASSES];
    for (int c = 0; c < csv.cols; c++) {
        if (strncmp(csv.header[c], "p_", 2) == 0) {
            if (K == EF_EVAL_MAX_CLASSES) {
                ef_csv_free(&csv);
                return ef_fail(err, EF_ERR_FORMAT, "%s: more than %d p_<class> columns", path, EF_EVAL_MAX_CLASSES);
            }
            if (s->K && strcmp(s->names[K], csv.header[c] + 2) != 0) {
                ef_csv_free(&csv);
                return ef_fail(err, EF_ERR_FORMAT, "%s: class column '%s' differs from '%s' of the other files", path,
                               csv.header[c], s->names[K]);
            }
            snprintf(s->names[K], sizeof s->names[K], "%s", csv.header[c] + 2);
            pcols[K++] = c;
        } else if (strcmp(csv.header[c], "label") == 0) label_col = c;
        else if (strcmp(csv.header[c], "id") == 0) id_col = c;
    }
    if (K < 2 || label_col < 0 || (s->K && K != s->K)) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_FORMAT,
                       "%s: not a prediction file with labels (needs p_<class> columns and a 'label' column: "
                       "run emofuse predict with --manifest)", path);
    }
    s->K = K;
    for (int64_t r = 0; r < csv.rows; r++) {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 1024;
            float *np = realloc(s->probs, sizeof(float) * (size_t)(s->cap * K));
            int32_t *nl = realloc(s->labels, sizeof(int32_t) * (size_t)s->cap);
            char **ni = realloc(s->ids, sizeof(char *) * (size_t)s->cap);
            char **nw = ni ? realloc(s->where, sizeof(char *) * (size_t)s->cap) : NULL;
            if (np) s->probs = np;
            if (nl) s->labels = nl;
            if (ni) s->ids = ni;
            if (nw) s->where = nw;
            if (!np || !nl || !ni || !nw) {
                ef_csv_free(&csv);
                return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
            }
        }
        char **row = csv.cells + (r + 1) * csv.cols;
        for (int k = 0; k < K; k++) {
            char *end;
            double v = strtod(row[pcols[k]], &end);
            /* 1e-6: probabilities printed with 9 digits may round a hair past 0 or 1. */
            if (end == row[pcols[k]] || *end || !isfinite(v) || v < -1e-6 || v > 1 + 1e-6) {
                ef_fail(err, EF_ERR_FORMAT, "%s: data row %lld: '%s' is not a probability (0..1)", path,
                        (long long)r + 1, row[pcols[k]]);
                ef_csv_free(&csv);
                return EF_ERR_FORMAT;
            }
            s->probs[s->n * K + k] = (float)v;
        }
        int32_t y = -1;
        for (int k = 0; k < K; k++)
            if (strcmp(row[label_col], s->names[k]) == 0) y = k;
        /* An empty label is an unlabelled utterance; any other label must be a class
         * (case-sensitive: "Angry" is not "angry", and silently dropping it would change
         * the metrics). */
        if (y < 0 && row[label_col][0]) {
            ef_fail(err, EF_ERR_FORMAT, "%s: data row %lld: label '%s' is not one of the p_<class> columns (labels are "
                    "case-sensitive)", path, (long long)r + 1, row[label_col]);
            ef_csv_free(&csv);
            return EF_ERR_FORMAT;
        }
        char where[4200];
        snprintf(where, sizeof where, "%s:%lld", path, (long long)ef_csv_line(&csv, r));
        s->ids[s->n] = id_col >= 0 ? strdup(row[id_col]) : NULL;
        s->where[s->n] = strdup(where);
        s->labels[s->n++] = y; /* empty labels are left out by ef_evaluate */
    }
    ef_csv_free(&csv);
    return EF_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One run: a file, or every *.csv in a directory (sorted, merged). */
static ef_code load_run(scores *s, const char *path, int *n_files, ef_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) return ef_fail(err, EF_ERR_IO, "%s: cannot open: no such file or directory", path);
    *n_files = 1;
    if (!S_ISDIR(st.st_mode)) return add_csv(s, path, err);
    DIR *d = opendir(path);
    if (!d) return ef_fail(err, EF_ERR_IO, "%s: cannot open directory", path);
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".csv") == 0) {
            char **nn = realloc(names, sizeof(char *) * (size_t)(n + 1));
            if (!nn) break;
            names = nn;
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    ef_code rc = n ? EF_OK : ef_fail(err, EF_ERR_FORMAT, "%s: no .csv prediction files in the directory", path);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        if (!rc) {
            size_t len = strlen(path) + strlen(names[i]) + 2;
            char *p = malloc(len);
            if (!p) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
            else {
                snprintf(p, len, "%s/%s", path, names[i]);
                rc = add_csv(s, p, err);
                free(p);
            }
        }
        free(names[i]);
    }
    free(names);
    *n_files = n;
    return rc;
}

/* qsort has no context argument: ids are sorted as (id, row) pairs. */
typedef struct {
    const char *id;
    int64_t row;
} id_row;

static int cmp_id_rows(const void *a, const void *b)
{
    const id_row *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* A run must score each utterance once, and something at all. */
static ef_code check_run(const scores *s, const char *run, ef_error *err)
{
    int64_t labelled = 0;
    for (int64_t i = 0; i < s->n; i++) labelled += s->labels[i] >= 0;
    if (labelled == 0) return ef_fail(err, EF_ERR_FORMAT, "%s: no labelled prediction rows to score", run);
    id_row *v = malloc(sizeof *v * (size_t)(s->n + 1));
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", run);
    int64_t m = 0;
    for (int64_t i = 0; i < s->n; i++)
        if (s->ids[i]) v[m++] = (id_row){s->ids[i], i};
    qsort(v, (size_t)m, sizeof *v, cmp_id_rows);
    ef_code rc = EF_OK;
    for (int64_t i = 1; i < m && !rc; i++)
        if (strcmp(v[i].id, v[i - 1].id) == 0)
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' is scored twice (%s and %s; a fold file merged twice?)",
                         run, v[i].id, s->where[v[i - 1].row], s->where[v[i].row]);
    free(v);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse evaluate RUN [RUN...]\n\n"
            "Scores prediction CSVs written by `emofuse predict --manifest ...`. Each RUN is one\n"
            "training run (one seed): a CSV, or a directory whose *.csv files (its folds) are merged\n"
            "before scoring. Prints AvRec (average per-class recall, %%) and AvAUC (average one-vs-rest\n"
            "AUC) per run; with several runs also their median +- interquartile range (Table 1 of\n"
            "Pepino et al. 2020). With one run it also prints the confusion matrix.\n");
}

int cmd_evaluate(int argc, char **argv)
{
    if (argc >= 2 && cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    int runs = argc - 1;
    double *rec = calloc((size_t)runs, sizeof(double)), *auc = calloc((size_t)runs, sizeof(double));
    if (!rec || !auc) {
        free(rec);
        free(auc);
        return cli_usage_error("evaluate: out of memory");
    }
    ef_error err = {0};
    int code = 0;
    /* The report is assembled in memory and printed only when every run was read, so a
     * bad file never leaves a partial table on stdout. */
    char *report = NULL;
    size_t report_len = 0;
    FILE *out = open_memstream(&report, &report_len);
    if (!out) {
        free(rec);
        free(auc);
        return cli_usage_error("evaluate: out of memory");
    }
    fprintf(out, "%-40s %6s %8s %8s\n", "run", "n", "AvRec%", "AvAUC");
    ef_eval_result last = {0};
    scores s0 = {0};
    for (int r = 0; r < runs && !code; r++) {
        scores s = {0};
        int n_files = 0;
        ef_eval_result res;
        if (load_run(&s, argv[r + 1], &n_files, &err) || check_run(&s, argv[r + 1], &err) ||
            ef_evaluate(&res, s.probs, s.labels, s.n, s.K, &err))
            code = cli_fail(&err);
        else {
            rec[r] = res.av_rec;
            auc[r] = res.av_auc;
            fprintf(out, "%-40s %6lld %8.1f %8.3f%s\n", argv[r + 1], (long long)res.n, 100 * res.av_rec, res.av_auc,
                   n_files > 1 ? "  (folds merged)" : "");
            last = res;
            if (r == 0) memcpy(s0.names, s.names, sizeof s.names);
        }
        scores_free(&s);
    }
    if (!code && runs > 1) {
        ef_summary sr, sa;
        if (ef_summarise(rec, runs, &sr, &err) || ef_summarise(auc, runs, &sa, &err)) code = cli_fail(&err);
        else
            fprintf(out, "%-40s %6d %5.1f +- %.1f %.3f +- %.3f\n", "median +- IQR over runs", runs, 100 * sr.median,
                   100 * sr.iqr, sa.median, sa.iqr);
    }
    if (!code && runs == 1) {
        int K = last.K;
        fprintf(out, "\nconfusion matrix (rows: true class, columns: predicted)\n%-10s", "");
        for (int j = 0; j < K; j++) fprintf(out, " %8.8s", s0.names[j]);
        fprintf(out, " %8s %8s\n", "recall", "AUC");
        for (int k = 0; k < K; k++) {
            fprintf(out, "%-10.10s", s0.names[k]);
            for (int j = 0; j < K; j++) fprintf(out, " %8lld", (long long)last.cm[k * K + j]);
            fprintf(out, " %8.3f %8.3f\n", last.recall[k], last.auc[k]);
        }
    }
    fclose(out);
    if (!code && (fwrite(report, 1, report_len, stdout) != report_len || fflush(stdout) != 0)) {
        fprintf(stderr, "error: stdout: write failed\n");
        code = 1;
    }
    free(report);
    free(rec);
    free(auc);
    return code;
}
