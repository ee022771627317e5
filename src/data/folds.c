/* The fold protocols: each builder turns a manifest into train/dev/test row lists, then
 * ef_folds_build runs the protocol's leakage checks before anything is returned. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/folds_internal.h"
#include "emofuse/rng.h"

ef_folds_params ef_folds_default_params(void)
{
    ef_folds_params p = {.protocol = EF_FOLDS_RANDOM, .k = 0, .seed = 1};
    snprintf(p.train_values, sizeof p.train_values, "Train");
    snprintf(p.dev_values, sizeof p.dev_values, "Validation,Development");
    snprintf(p.test_values, sizeof p.test_values, "Test1");
    return p;
}

static const char *const protocol_names[] = {"random", "speaker", "loso", "speaker-script", "split", "column"};
static const char *const role_names[] = {"train", "dev", "test"};

const char *ef_fold_protocol_name(ef_fold_protocol protocol) { return protocol_names[protocol]; }
const char *ef_fold_role_name(ef_fold_role role) { return role_names[role]; }

ef_code ef_fold_protocol_parse(const char *s, ef_folds_params *p, ef_error *err)
{
    if (strncmp(s, "column:", 7) == 0) {
        if (!s[7] || strlen(s + 7) >= sizeof p->column)
            return ef_fail(err, EF_ERR_ARG, "protocol '%s': column:NAME needs a column name", s);
        p->protocol = EF_FOLDS_COLUMN;
        snprintf(p->column, sizeof p->column, "%s", s + 7);
        return EF_OK;
    }
    for (int i = 0; i < EF_FOLDS_COLUMN; i++)
        if (strcmp(s, protocol_names[i]) == 0) {
            p->protocol = (ef_fold_protocol)i;
            return EF_OK;
        }
    return ef_fail(err, EF_ERR_ARG,
                   "unknown fold protocol '%s' (random, speaker, loso, speaker-script, split, column:NAME)", s);
}

ef_code folds_new(ef_folds **out, ef_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? EF_OK : ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
}

void ef_folds_free(ef_folds *fs)
{
    if (!fs) return;
    for (int i = 0; i < fs->n; i++) {
        free(fs->f[i].name);
        for (int r = 0; r < EF_FOLD_ROLES; r++) free(fs->f[i].rows[r]);
    }
    free(fs->f);
    free(fs);
}

int folds_add(ef_folds *fs, const char *name)
{
    if (fs->n == fs->cap) {
        int cap = fs->cap ? 2 * fs->cap : 8;
        fold *nf = realloc(fs->f, sizeof *nf * (size_t)cap);
        if (!nf) return -1;
        fs->f = nf;
        fs->cap = cap;
    }
    memset(&fs->f[fs->n], 0, sizeof fs->f[0]);
    if (!(fs->f[fs->n].name = strdup(name))) return -1;
    return fs->n++;
}

ef_code folds_push(ef_folds *fs, int k, ef_fold_role role, int64_t row, ef_error *err)
{
    fold *f = &fs->f[k];
    if (f->n[role] == f->cap[role]) {
        int64_t cap = f->cap[role] ? 2 * f->cap[role] : 256;
        int64_t *nr = realloc(f->rows[role], sizeof *nr * (size_t)cap);
        if (!nr) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
        f->rows[role] = nr;
        f->cap[role] = cap;
    }
    f->rows[role][f->n[role]++] = row;
    return EF_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void folds_sort(ef_folds *fs)
{
    for (int i = 0; i < fs->n; i++)
        for (int r = 0; r < EF_FOLD_ROLES; r++)
            if (fs->f[i].n[r] > 1) qsort(fs->f[i].rows[r], (size_t)fs->f[i].n[r], sizeof(int64_t), cmp_i64);
}

int ef_folds_count(const ef_folds *f) { return f->n; }
const char *ef_folds_name(const ef_folds *f, int k) { return k >= 0 && k < f->n ? f->f[k].name : ""; }
int64_t ef_folds_size(const ef_folds *f, int k, ef_fold_role role) { return k >= 0 && k < f->n ? f->f[k].n[role] : 0; }
const int64_t *ef_folds_rows(const ef_folds *f, int k, ef_fold_role role)
{
    return k >= 0 && k < f->n ? f->f[k].rows[role] : NULL;
}

bool folds_in_list(const char *list, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

/* ---- grouping rows by a column's value ---- */
typedef struct {
    const char *v;
    int64_t row;
} value_row;

/* Values that are all integers sort numerically (sessions 1..10), others byte-wise.
 * qsort has no context argument; thread-local so that two threads never share it. */
static _Thread_local bool numeric_sort;

static bool is_int(const char *s)
{
    if (*s == '-') s++;
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

static int cmp_values(const char *a, const char *b)
{
    if (numeric_sort) {
        long x = strtol(a, NULL, 10), y = strtol(b, NULL, 10);
        if (x != y) return (x > y) - (x < y);
    }
    return strcmp(a, b);
}

static int cmp_value_rows(const void *a, const void *b)
{
    const value_row *x = a, *y = b;
    int c = cmp_values(x->v, y->v);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

int32_t *folds_group_column(const ef_manifest *m, int col, int32_t *ngroups, const char ***names)
{
    int64_t n = ef_manifest_rows(m);
    value_row *v = malloc(sizeof *v * (size_t)(n + 1));
    int32_t *g = malloc(sizeof *g * (size_t)(n + 1));
    const char **nm = malloc(sizeof *nm * (size_t)(n + 1));
    if (!v || !g || !nm) {
        free(v);
        free(g);
        free(nm);
        return NULL;
    }
    bool all_int = true;
    for (int64_t r = 0; r < n; r++) {
        v[r] = (value_row){ef_manifest_cell(m, r, col), r};
        if (v[r].v[0] && !is_int(v[r].v)) all_int = false;
    }
    numeric_sort = all_int;
    qsort(v, (size_t)n, sizeof *v, cmp_value_rows);
    numeric_sort = false;
    int32_t k = -1;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(v[i].v, v[i - 1].v) != 0) nm[++k] = v[i].v;
        g[v[i].row] = k;
    }
    free(v);
    *ngroups = k + 1;
    *names = nm;
    return g;
}
