/* Prediction CSVs of runs and folds (predictions.h); moved here from the evaluate command
 * so that the CLI only prints (and so that the parser can be fuzzed). */
#include "emofuse/predictions.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/csv.h"

void ef_pred_run_free(ef_pred_run *s)
{
    for (int64_t i = 0; i < s->n; i++) {
        free(s->ids[i]);
        free(s->where[i]);
    }
    free(s->ids);
    free(s->where);
    free(s->probs);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* Fold files named <prefix><number>.csv (fold1.csv, fold2.csv, ...; one prefix): the
 * first number missing from 1..max, or 0. Anything else is not judged. */
static int missing_fold(char **names, int n)
{
    if (n < 1) return 0;
    int seen[1024] = {0}, max = 0;
    size_t plen = 0;
    for (int i = 0; i < n; i++) {
        const char *s = names[i];
        size_t l = strlen(s) - 4, d = l;
        while (d > 0 && isdigit((unsigned char)s[d - 1])) d--;
        if (d == l || l - d > 3) return 0;
        if (i == 0) plen = d;
        else if (d != plen || strncmp(s, names[0], d) != 0) return 0;
        int k = atoi(s + d);
        if (k < 1 || k >= 1024) return 0;
        seen[k] = 1;
        if (k > max) max = k;
    }
    for (int k = 1; k <= max; k++)
        if (!seen[k]) return k;
    return 0;
}

/* Append one CSV's rows; its class columns (p_<name>) must match earlier files'. */
ef_code ef_pred_run_add_csv(ef_pred_run *s, const char *path, ef_error *err)
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
static ef_code load_files(ef_pred_run *s, const char *path, int *n_files, ef_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    *n_files = 1;
    if (!S_ISDIR(st.st_mode)) return ef_pred_run_add_csv(s, path, err);
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
    s->missing_fold = missing_fold(names, n);
    for (int i = 0; i < n; i++) {
        if (!rc) {
            size_t len = strlen(path) + strlen(names[i]) + 2;
            char *p = malloc(len);
            if (!p) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
            else {
                snprintf(p, len, "%s/%s", path, names[i]);
                rc = ef_pred_run_add_csv(s, p, err);
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
ef_code ef_pred_run_check(const ef_pred_run *s, const char *run, ef_error *err)
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


ef_code ef_pred_run_load(ef_pred_run *s, const char *path, ef_error *err)
{
    memset(s, 0, sizeof *s);
    ef_code rc = load_files(s, path, &s->n_files, err);
    return rc ? rc : ef_pred_run_check(s, path, err);
}
