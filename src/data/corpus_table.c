/* The in-memory corpus table: rows of strings, sorted by id, written as a manifest CSV
 * with audio paths relative to the manifest's folder where possible. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/corpus_internal.h"
#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"

ef_corpus_params ef_corpus_default_params(void)
{
    return (ef_corpus_params){.all_labels = false, .label_map = NULL, .label_column = "emotion"};
}

ef_code corpus_new(ef_corpus **out, const char *const *cols, int ncols, ef_error *err)
{
    *out = NULL;
    ef_corpus *c = calloc(1, sizeof *c);
    if (!c) return ef_fail(err, EF_ERR_NOMEM, "corpus: out of memory");
    c->cols = calloc((size_t)ncols, sizeof *c->cols);
    c->ncols = ncols;
    c->audio_col = -1;
    if (!c->cols) {
        free(c);
        return ef_fail(err, EF_ERR_NOMEM, "corpus: out of memory");
    }
    for (int i = 0; i < ncols; i++) {
        c->cols[i] = strdup(cols[i]);
        if (!c->cols[i]) {
            ef_corpus_free(c);
            return ef_fail(err, EF_ERR_NOMEM, "corpus: out of memory");
        }
        if (strcmp(cols[i], "audio") == 0) c->audio_col = i;
    }
    *out = c;
    return EF_OK;
}

ef_code corpus_add_row(ef_corpus *c, const char *const *cells, ef_error *err)
{
    if (c->nrows == c->cap) {
        int64_t cap = c->cap ? 2 * c->cap : 1024;
        char **nc = realloc(c->cells, sizeof *nc * (size_t)(cap * c->ncols));
        if (!nc) return ef_fail(err, EF_ERR_NOMEM, "corpus: out of memory");
        c->cells = nc;
        c->cap = cap;
    }
    char **row = c->cells + c->nrows * c->ncols;
    for (int i = 0; i < c->ncols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "");
        if (!row[i]) {
            while (i-- > 0) free(row[i]);
            return ef_fail(err, EF_ERR_NOMEM, "corpus: out of memory");
        }
    }
    c->nrows++;
    return EF_OK;
}

void ef_corpus_free(ef_corpus *c)
{
    if (!c) return;
    for (int64_t i = 0; i < c->nrows * c->ncols; i++) free(c->cells[i]);
    free(c->cells);
    for (int i = 0; i < c->ncols; i++) free(c->cols[i]);
    free(c->cols);
    free(c);
}

/* qsort has no context argument: rows are sorted as (id, row) pairs. */
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

void corpus_count_label(ef_label_count *list, int *n, const char *name)
{
    int lo = 0, hi = *n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (strcmp(list[mid].name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < *n && strcmp(list[lo].name, name) == 0) {
        list[lo].count++;
        return;
    }
    if (*n == EF_CORPUS_MAX_LABELS) {
        /* Full: lump the rest together rather than lose them from the totals. */
        snprintf(list[*n - 1].name, sizeof list[0].name, "(other)");
        list[*n - 1].count++;
        return;
    }
    memmove(list + lo + 1, list + lo, sizeof *list * (size_t)(*n - lo));
    snprintf(list[lo].name, sizeof list[lo].name, "%s", name);
    list[lo].count = 1;
    (*n)++;
}

void corpus_finish(ef_corpus *c, int emotion_col)
{
    id_row *pairs = malloc(sizeof *pairs * (size_t)(c->nrows + 1));
    char **sorted = malloc(sizeof *sorted * (size_t)(c->nrows * c->ncols + 1));
    if (pairs && sorted) {
        for (int64_t r = 0; r < c->nrows; r++) pairs[r] = (id_row){c->cells[r * c->ncols], r};
        qsort(pairs, (size_t)c->nrows, sizeof *pairs, cmp_id_rows);
        for (int64_t r = 0; r < c->nrows; r++)
            memcpy(sorted + r * c->ncols, c->cells + pairs[r].row * c->ncols, sizeof *sorted * (size_t)c->ncols);
        memcpy(c->cells, sorted, sizeof *sorted * (size_t)(c->nrows * c->ncols));
    } else {
        EF_ASSERT(c->nrows < 2); /* sorting a real corpus needs a few bytes per row */
    }
    free(pairs);
    free(sorted);
    c->summary.rows = c->nrows;
    c->summary.n_kept = 0;
    if (emotion_col >= 0)
        for (int64_t r = 0; r < c->nrows; r++)
            corpus_count_label(c->summary.kept, &c->summary.n_kept, c->cells[r * c->ncols + emotion_col]);
}

const char *corpus_map_label(const ef_corpus_params *p, const ef_label_map *default_map, const char *raw)
{
    if (p->all_labels) return raw;
    return ef_label_map_lookup(p->label_map ? p->label_map : default_map, raw);
}

const ef_corpus_summary *ef_corpus_get_summary(const ef_corpus *c) { return &c->summary; }
int64_t ef_corpus_rows(const ef_corpus *c) { return c->nrows; }
int ef_corpus_columns(const ef_corpus *c) { return c->ncols; }
const char *ef_corpus_column_name(const ef_corpus *c, int col)
{
    return col >= 0 && col < c->ncols ? c->cols[col] : "";
}
const char *ef_corpus_cell(const ef_corpus *c, int64_t row, int col)
{
    if (row < 0 || row >= c->nrows || col < 0 || col >= c->ncols) return "";
    return c->cells[row * c->ncols + col];
}

/* Absolute, symlink-free folder of `path` (which need not exist yet). */
static ef_code manifest_folder(const char *path, char *out, ef_error *err)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (!realpath(dir, out))
        return ef_fail(err, EF_ERR_IO, "%s: cannot resolve the folder '%s': %s", path, dir, strerror(errno));
    return EF_OK;
}

ef_code ef_corpus_write(const ef_corpus *c, const char *manifest_path, ef_error *err)
{
    char folder[PATH_MAX];
    ef_code rc = manifest_folder(manifest_path, folder, err);
    if (rc) return rc;
    size_t flen = strlen(folder);
    if (flen == 1) flen = 0; /* "/": every absolute path lies inside */
    ef_atomic_file af;
    rc = ef_atomic_open(&af, manifest_path, err);
    if (rc) return rc;
    bool bad = ef_csv_write_row(af.fp, (const char *const *)c->cols, c->ncols) < 0;
    const char **fields = malloc(sizeof *fields * (size_t)c->ncols);
    if (!fields) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", manifest_path);
    }
    for (int64_t r = 0; r < c->nrows && !bad; r++) {
        for (int i = 0; i < c->ncols; i++) fields[i] = c->cells[r * c->ncols + i];
        if (c->audio_col >= 0) {
            const char *a = fields[c->audio_col];
            if (strncmp(a, folder, flen) == 0 && a[flen] == '/') fields[c->audio_col] = a + flen + 1;
        }
        bad = ef_csv_write_row(af.fp, fields, c->ncols) < 0;
    }
    free(fields);
    if (bad) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed: %s", manifest_path, strerror(errno));
    }
    return ef_atomic_commit(&af, err);
}

bool corpus_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool corpus_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool corpus_is_appledouble(const char *name) { return name[0] == '.' && name[1] == '_'; }

void corpus_squeeze_spaces(char *s)
{
    char *w = s;
    bool space = false;
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' || *p == '\f') {
            space = w != s;
            continue;
        }
        if (space) *w++ = ' ';
        space = false;
        *w++ = *p;
    }
    *w = '\0';
}

bool corpus_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return len >= 0 && (size_t)len < n;
}

char *corpus_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void corpus_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

ef_code corpus_list_dir(const char *dir, char ***names, int *n, ef_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return ef_fail(err, EF_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    int cap = 0;
    char **list = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ., .., hidden files and AppleDouble "._*" */
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nl = realloc(list, sizeof *nl * (size_t)cap);
            if (!nl) break;
            list = nl;
        }
        if (!(list[*n] = strdup(e->d_name))) break;
        (*n)++;
    }
    bool oom = e != NULL;
    closedir(d);
    if (oom) {
        corpus_free_names(list, *n);
        *n = 0;
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
    }
    if (*n) qsort(list, (size_t)*n, sizeof *list, cmp_names);
    *names = list;
    return EF_OK;
}
