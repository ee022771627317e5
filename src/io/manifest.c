/* Corpus manifest: CSV with `id` (+ usually `audio`, `transcript`, `emotion`, `speaker`),
 * ids unique, audio paths resolved relative to the manifest's directory. */
#include "emofuse/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/csv.h"

struct ef_manifest {
    ef_csv csv;
    char *path;
    char *dir;          /* directory of the manifest, "" for cwd */
    int id_col, audio_col;
    int64_t *sorted;    /* row indices sorted by id */
};

/* Sorted as (id, row) pairs: qsort has no context argument, and a static one would make
 * two threads loading manifests at once sort with each other's ids. */
typedef struct {
    const char *id;
    int64_t row;
} id_row;

static int cmp_id_rows(const void *a, const void *b)
{
    return strcmp(((const id_row *)a)->id, ((const id_row *)b)->id);
}

/* Ids become tensor names in feature stores and fields of every output file: refuse,
 * when the manifest is read, what would only fail (or corrupt a JSON header) after hours
 * of extraction. NULL when the id is fine. */
static const char *id_problem(const char *id)
{
    if (!id[0]) return "is empty";
    if (strcmp(id, "__metadata__") == 0) return "is reserved (safetensors metadata)";
    const unsigned char *p = (const unsigned char *)id;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) return "contains a control character";
        int len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || (len == 2 && *p < 0xc2)) return "is not valid UTF-8";
        uint32_t cp = len == 1 ? *p : (uint32_t)(*p & (0x7f >> len));
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) return "is not valid UTF-8";
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return "is not valid UTF-8";
        p += len;
    }
    return NULL;
}

void ef_manifest_free(ef_manifest *m)
{
    if (!m) return;
    ef_csv_free(&m->csv);
    free(m->path);
    free(m->dir);
    free(m->sorted);
    free(m);
}

ef_code ef_manifest_load(ef_manifest **out, const char *path, ef_error *err)
{
    *out = NULL;
    ef_manifest *m = calloc(1, sizeof *m);
    if (!m) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    ef_code rc = ef_csv_load(&m->csv, path, ',', err);
    if (rc) {
        free(m);
        return rc;
    }
    m->path = strdup(path);
    const char *slash = strrchr(path, '/');
    m->dir = slash ? strndup(path, (size_t)(slash - path + 1)) : strdup("");
    m->id_col = ef_manifest_column(m, "id");
    m->audio_col = ef_manifest_column(m, "audio");
    if (m->id_col < 0) {
        ef_manifest_free(m);
        return ef_fail(err, EF_ERR_FORMAT, "%s: no 'id' column in the header", path);
    }
    m->sorted = malloc(sizeof(int64_t) * ((size_t)m->csv.rows + 1));
    id_row *pairs = malloc(sizeof(id_row) * ((size_t)m->csv.rows + 1));
    if (!m->path || !m->dir || !m->sorted || !pairs) {
        free(pairs);
        ef_manifest_free(m);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int64_t r = 0; r < m->csv.rows; r++) {
        pairs[r] = (id_row){ef_manifest_id(m, r), r};
        const char *why = id_problem(pairs[r].id);
        if (why) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: id '%s' %s", path, (long long)ef_csv_line(&m->csv, r),
                         pairs[r].id, why);
            free(pairs);
            ef_manifest_free(m);
            return rc;
        }
    }
    qsort(pairs, (size_t)m->csv.rows, sizeof *pairs, cmp_id_rows);
    for (int64_t r = 0; r < m->csv.rows; r++) m->sorted[r] = pairs[r].row;
    free(pairs);
    for (int64_t i = 1; i < m->csv.rows; i++) {
        const char *a = ef_manifest_id(m, m->sorted[i - 1]), *b = ef_manifest_id(m, m->sorted[i]);
        if (strcmp(a, b) == 0) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: id '%s' appears more than once", path, a);
            ef_manifest_free(m);
            return rc;
        }
    }
    *out = m;
    return EF_OK;
}

int64_t ef_manifest_rows(const ef_manifest *m) { return m->csv.rows; }
const char *ef_manifest_path(const ef_manifest *m) { return m->path; }

int ef_manifest_column(const ef_manifest *m, const char *name)
{
    for (int c = 0; c < m->csv.cols; c++)
        if (strcmp(m->csv.header[c], name) == 0) return c;
    return -1;
}

const char *ef_manifest_cell(const ef_manifest *m, int64_t row, int col)
{
    if (row < 0 || row >= m->csv.rows || col < 0 || col >= m->csv.cols) return "";
    return m->csv.cells[(row + 1) * m->csv.cols + col];
}

const char *ef_manifest_id(const ef_manifest *m, int64_t row) { return ef_manifest_cell(m, row, m->id_col); }

int64_t ef_manifest_find(const ef_manifest *m, const char *id)
{
    int64_t lo = 0, hi = m->csv.rows - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, ef_manifest_id(m, m->sorted[mid]));
        if (c == 0) return m->sorted[mid];
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return -1;
}

char *ef_manifest_audio_path(const ef_manifest *m, int64_t row)
{
    if (m->audio_col < 0) return NULL;
    const char *rel = ef_manifest_cell(m, row, m->audio_col);
    if (rel[0] == '/') return strdup(rel);
    size_t n = strlen(m->dir) + strlen(rel) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", m->dir, rel);
    return p;
}
