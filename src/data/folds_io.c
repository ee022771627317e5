/* Fold files (CSV: fold,id,role) and the per-fold description printed for people. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/folds_internal.h"
#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"

ef_code ef_folds_write(const ef_folds *f, const ef_manifest *m, const char *path, ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    bool bad = fputs("fold,id,role\n", af.fp) < 0;
    for (int k = 0; k < f->n && !bad; k++)
        for (int role = 0; role < EF_FOLD_ROLES && !bad; role++)
            for (int64_t i = 0; i < f->f[k].n[role] && !bad; i++) {
                const char *row[3] = {f->f[k].name, ef_manifest_id(m, f->f[k].rows[role][i]),
                                      ef_fold_role_name((ef_fold_role)role)};
                bad = ef_csv_write_row(af.fp, row, 3) < 0;
            }
    if (bad) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed", path);
    }
    return ef_atomic_commit(&af, err);
}

ef_code ef_folds_load(ef_folds **out, const char *path, const ef_manifest *m, const ef_folds_params *p,
                      ef_error *err)
{
    *out = NULL;
    ef_csv csv;
    ef_code rc = ef_csv_load(&csv, path, ',', err);
    if (rc) return rc;
    int fc = ef_csv_column(&csv, "fold"), ic = ef_csv_column(&csv, "id"), rcol = ef_csv_column(&csv, "role");
    if (fc < 0 || ic < 0 || rcol < 0) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: not a folds file (needs the columns fold, id, role)", path);
    }
    ef_folds *fs;
    rc = folds_new(&fs, err);
    if (rc) {
        ef_csv_free(&csv);
        return rc;
    }
    snprintf(fs->source, sizeof fs->source, "%s", path);
    int last = -1;
    for (int64_t r = 0; r < csv.rows && !rc; r++) {
        long long line = (long long)ef_csv_line(&csv, r);
        const char *name = ef_csv_cell(&csv, r, fc), *id = ef_csv_cell(&csv, r, ic), *role = ef_csv_cell(&csv, r, rcol);
        int k = last >= 0 && strcmp(fs->f[last].name, name) == 0 ? last : -1;
        for (int i = 0; i < fs->n && k < 0; i++)
            if (strcmp(fs->f[i].name, name) == 0) k = i;
        if (k < 0 && !name[0]) rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: empty fold name", path, line);
        else if (k < 0 && (k = folds_add(fs, name)) < 0) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
        if (rc) break;
        last = k;
        int ro = -1;
        for (int i = 0; i < EF_FOLD_ROLES; i++)
            if (strcmp(role, ef_fold_role_name((ef_fold_role)i)) == 0) ro = i;
        int64_t row = ef_manifest_find(m, id);
        if (ro < 0) rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: role '%s' is not train, dev or test", path, line, role);
        else if (row < 0)
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: utterance '%s' is not in %s", path, line, id,
                         ef_manifest_path(m));
        else rc = folds_push(fs, k, (ef_fold_role)ro, row, err);
    }
    ef_csv_free(&csv);
    if (!rc) {
        folds_sort(fs);
        rc = ef_folds_check(fs, m, p, err);
    }
    if (rc) {
        ef_folds_free(fs);
        return rc;
    }
    *out = fs;
    return EF_OK;
}

void ef_folds_describe(const ef_folds *f, const ef_manifest *m, int k, char *buf, size_t n)
{
    int col = ef_manifest_column(m, "emotion");
    int32_t ng = 0;
    const char **names = NULL;
    int32_t *g = col >= 0 ? folds_group_column(m, col, &ng, &names) : NULL;
    int64_t *count = g ? calloc((size_t)ng + 1, sizeof *count) : NULL;
    size_t used = (size_t)snprintf(buf, n, "fold %s:", ef_folds_name(f, k));
    for (int role = 0; role < EF_FOLD_ROLES && used < n; role++) {
        int64_t size = ef_folds_size(f, k, (ef_fold_role)role);
        if (role == EF_ROLE_DEV && size == 0) continue;
        used += (size_t)snprintf(buf + used, n - used, "%s %s %lld", role ? "," : "", ef_fold_role_name(role),
                                 (long long)size);
        if (!count || used >= n) continue;
        memset(count, 0, sizeof *count * (size_t)ng);
        const int64_t *rows = ef_folds_rows(f, k, (ef_fold_role)role);
        for (int64_t i = 0; i < size; i++) count[g[rows[i]]]++;
        for (int32_t c = 0; c < ng && used < n; c++)
            used += (size_t)snprintf(buf + used, n - used, "%s%s %lld%s", c ? " " : " (", names[c][0] ? names[c] : "?",
                                     (long long)count[c], c == ng - 1 ? ")" : "");
    }
    free(g);
    free(names);
    free(count);
}
