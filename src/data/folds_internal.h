/* Fold tables shared by the builders, the checker and the file reader/writer. */
#ifndef EMOFUSE_DATA_FOLDS_INTERNAL_H
#define EMOFUSE_DATA_FOLDS_INTERNAL_H

#include <stdbool.h>

#include "emofuse/folds.h"

typedef struct {
    char *name;
    int64_t *rows[EF_FOLD_ROLES];   /* manifest rows per role */
    int64_t n[EF_FOLD_ROLES], cap[EF_FOLD_ROLES];
} fold;

struct ef_folds {
    fold *f;
    int n, cap;
    char source[1024];   /* names the folds in check messages: a file, or protocol + manifest */
};

ef_code folds_new(ef_folds **out, ef_error *err);
/* Append an empty fold named `name`; returns its index or -1 when out of memory. */
int folds_add(ef_folds *fs, const char *name);
ef_code folds_push(ef_folds *fs, int fold, ef_fold_role role, int64_t row, ef_error *err);
/* Sort every role's rows ascending. */
void folds_sort(ef_folds *fs);

/* Group ids for one column: out[r] in [0, *ngroups) by sorted distinct value; names[g]
 * point into the manifest. Returns NULL when out of memory. */
int32_t *folds_group_column(const ef_manifest *m, int col, int32_t *ngroups, const char ***names);

/* Value v listed in a comma-separated list. */
bool folds_in_list(const char *list, const char *v);

#endif
