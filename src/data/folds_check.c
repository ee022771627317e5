/* Leakage checks: what each protocol promises, verified on the folds themselves (built
 * here or read from a file someone made), so a leaking fold is an error, not a footnote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/folds_internal.h"

/* Every fold trains and tests something; no utterance twice within one fold. */
static ef_code check_structure(const ef_folds *f, const ef_manifest *m, int32_t *mark, ef_error *err)
{
    for (int k = 0; k < f->n; k++) {
        const fold *fd = &f->f[k];
        if (fd->n[EF_ROLE_TRAIN] == 0)
            return ef_fail(err, EF_ERR_FORMAT, "%s: fold %s has no training utterances", f->source, fd->name);
        if (fd->n[EF_ROLE_TEST] == 0)
            return ef_fail(err, EF_ERR_FORMAT, "%s: fold %s has no test utterances", f->source, fd->name);
        for (int role = 0; role < EF_FOLD_ROLES; role++)
            for (int64_t i = 0; i < fd->n[role]; i++) {
                int64_t r = fd->rows[role][i];
                if (mark[r] == k + 1)
                    return ef_fail(err, EF_ERR_FORMAT, "%s: fold %s: utterance '%s' appears twice", f->source,
                                   fd->name, ef_manifest_id(m, r));
                mark[r] = k + 1;
            }
    }
    return EF_OK;
}

/* Which rows a cross-validation protocol must test (exactly once). */
static bool must_test(const ef_manifest *m, const ef_folds_params *p, int64_t r)
{
    if (p->protocol == EF_FOLDS_SPEAKER_SCRIPT) {
        const char *s = ef_manifest_cell(m, r, ef_manifest_column(m, "script"));
        return !s[0] || strcmp(s, "3") == 0;
    }
    if (p->protocol == EF_FOLDS_COLUMN) return ef_manifest_cell(m, r, ef_manifest_column(m, p->column))[0] != '\0';
    return true;
}

static ef_code check_coverage(const ef_folds *f, const ef_manifest *m, const ef_folds_params *p, int32_t *tested,
                              ef_error *err)
{
    int64_t n = ef_manifest_rows(m);
    memset(tested, 0, sizeof *tested * (size_t)n);
    int32_t *first = malloc(sizeof *first * (size_t)(n + 1));
    if (!first) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    ef_code rc = EF_OK;
    for (int k = 0; k < f->n && !rc; k++)
        for (int64_t i = 0; i < f->f[k].n[EF_ROLE_TEST] && !rc; i++) {
            int64_t r = f->f[k].rows[EF_ROLE_TEST][i];
            if (tested[r]++)
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' is tested in fold %s and again in fold %s",
                             f->source, ef_manifest_id(m, r), f->f[first[r]].name, f->f[k].name);
            first[r] = k;
        }
    for (int64_t r = 0; r < n && !rc; r++) {
        bool want = must_test(m, p, r);
        if (want && !tested[r])
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' is never tested (the %s protocol tests every "
                         "eligible utterance once)", f->source, ef_manifest_id(m, r), ef_fold_protocol_name(p->protocol));
        else if (!want && tested[r])
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' must not be tested under the %s protocol", f->source,
                         ef_manifest_id(m, r), ef_fold_protocol_name(p->protocol));
    }
    free(first);
    return rc;
}

/* No value of `col` (speaker, session) on both the training/dev side and the test side. */
static ef_code check_disjoint(const ef_folds *f, const ef_manifest *m, int col, const char *what, ef_error *err)
{
    int32_t ng;
    const char **names;
    int32_t *g = folds_group_column(m, col, &ng, &names);
    int64_t *side = malloc(sizeof *side * (size_t)(ng + 1));
    if (!g || !side) {
        free(g);
        free(names);
        free(side);
        return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    }
    ef_code rc = EF_OK;
    for (int k = 0; k < f->n && !rc; k++) {
        const fold *fd = &f->f[k];
        for (int32_t i = 0; i < ng; i++) side[i] = -1;
        for (int role = EF_ROLE_TRAIN; role <= EF_ROLE_DEV; role++)
            for (int64_t i = 0; i < fd->n[role]; i++) side[g[fd->rows[role][i]]] = fd->rows[role][i];
        for (int64_t i = 0; i < fd->n[EF_ROLE_TEST] && !rc; i++) {
            int64_t r = fd->rows[EF_ROLE_TEST][i];
            if (side[g[r]] >= 0)
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: fold %s: %s '%s' is in training ('%s') and in test ('%s')",
                             f->source, fd->name, what, names[g[r]], ef_manifest_id(m, side[g[r]]),
                             ef_manifest_id(m, r));
        }
    }
    free(g);
    free(names);
    free(side);
    return rc;
}

/* SP&SC: script 3 never trains, scripts 1-2 never test. */
static ef_code check_scripts(const ef_folds *f, const ef_manifest *m, ef_error *err)
{
    int col = ef_manifest_column(m, "script");
    for (int k = 0; k < f->n; k++) {
        const fold *fd = &f->f[k];
        for (int role = 0; role < EF_FOLD_ROLES; role++)
            for (int64_t i = 0; i < fd->n[role]; i++) {
                const char *s = ef_manifest_cell(m, fd->rows[role][i], col);
                bool script3 = strcmp(s, "3") == 0, script12 = s[0] && !script3;
                if ((role != EF_ROLE_TEST && script3) || (role == EF_ROLE_TEST && script12))
                    return ef_fail(err, EF_ERR_FORMAT, "%s: fold %s: script-%s utterance '%s' is in %s", f->source,
                                   fd->name, s, ef_manifest_id(m, fd->rows[role][i]), ef_fold_role_name(role));
            }
    }
    return EF_OK;
}

/* column:NAME: a fold tests one value, and that value never trains. */
static ef_code check_column(const ef_folds *f, const ef_manifest *m, int col, const char *name, ef_error *err)
{
    for (int k = 0; k < f->n; k++) {
        const fold *fd = &f->f[k];
        const char *v = ef_manifest_cell(m, fd->rows[EF_ROLE_TEST][0], col);
        for (int64_t i = 0; i < fd->n[EF_ROLE_TEST]; i++)
            if (strcmp(ef_manifest_cell(m, fd->rows[EF_ROLE_TEST][i], col), v) != 0)
                return ef_fail(err, EF_ERR_FORMAT, "%s: fold %s tests more than one value of '%s'", f->source,
                               fd->name, name);
        for (int role = EF_ROLE_TRAIN; role <= EF_ROLE_DEV; role++)
            for (int64_t i = 0; i < fd->n[role]; i++)
                if (strcmp(ef_manifest_cell(m, fd->rows[role][i], col), v) == 0)
                    return ef_fail(err, EF_ERR_FORMAT, "%s: fold %s: '%s' has the tested value '%s' but is in %s",
                                   f->source, fd->name, ef_manifest_id(m, fd->rows[role][i]), v,
                                   ef_fold_role_name(role));
    }
    return EF_OK;
}

/* split: every row sits in the role its split value names, and only there. */
static ef_code check_split(const ef_folds *f, const ef_manifest *m, const ef_folds_params *p, int32_t *mark,
                           ef_error *err)
{
    if (f->n != 1) return ef_fail(err, EF_ERR_FORMAT, "%s: the split protocol has one fold, not %d", f->source, f->n);
    int col = ef_manifest_column(m, "split");
    int64_t n = ef_manifest_rows(m);
    for (int64_t r = 0; r < n; r++) mark[r] = -1;
    for (int role = 0; role < EF_FOLD_ROLES; role++)
        for (int64_t i = 0; i < f->f[0].n[role]; i++) mark[f->f[0].rows[role][i]] = role;
    for (int64_t r = 0; r < n; r++) {
        const char *v = ef_manifest_cell(m, r, col);
        int want = folds_in_list(p->train_values, v) ? EF_ROLE_TRAIN
                   : folds_in_list(p->dev_values, v) ? EF_ROLE_DEV
                   : folds_in_list(p->test_values, v) ? EF_ROLE_TEST : -1;
        if (mark[r] != want)
            return ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' (split '%s') is in %s, expected %s", f->source,
                           ef_manifest_id(m, r), v, mark[r] < 0 ? "no role" : ef_fold_role_name(mark[r]),
                           want < 0 ? "no role" : ef_fold_role_name(want));
    }
    return EF_OK;
}

static int need(const ef_manifest *m, const char *name, const ef_folds *f, ef_error *err)
{
    int c = ef_manifest_column(m, name);
    if (c < 0) ef_fail(err, EF_ERR_FORMAT, "%s: cannot check: %s has no '%s' column", f->source, ef_manifest_path(m), name);
    return c;
}

ef_code ef_folds_check(const ef_folds *f, const ef_manifest *m, const ef_folds_params *p, ef_error *err)
{
    if (f->n == 0) return ef_fail(err, EF_ERR_FORMAT, "%s: no folds", f->source);
    int64_t n = ef_manifest_rows(m);
    int32_t *scratch = calloc((size_t)n + 1, sizeof *scratch);
    if (!scratch) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    ef_code rc = check_structure(f, m, scratch, err);
    int col;
    switch (p->protocol) {
    case EF_FOLDS_SPLIT:
        if (!rc) rc = need(m, "split", f, err) < 0 ? EF_ERR_FORMAT : check_split(f, m, p, scratch, err);
        break;
    case EF_FOLDS_SPEAKER_SCRIPT:
        if (!rc && (need(m, "script", f, err) < 0 || need(m, "session", f, err) < 0)) rc = EF_ERR_FORMAT;
        if (!rc) rc = check_scripts(f, m, err);
        /* fall through - speaker-script folds are speaker folds too */
    case EF_FOLDS_SPEAKER:
    case EF_FOLDS_LOSO:
        if (!rc) rc = (col = need(m, "speaker", f, err)) < 0 ? EF_ERR_FORMAT : check_disjoint(f, m, col, "speaker", err);
        if (!rc && p->protocol != EF_FOLDS_LOSO && (col = ef_manifest_column(m, "session")) >= 0)
            rc = check_disjoint(f, m, col, "session", err);
        if (!rc) rc = check_coverage(f, m, p, scratch, err);
        break;
    case EF_FOLDS_COLUMN:
        if (!rc) rc = (col = need(m, p->column, f, err)) < 0 ? EF_ERR_FORMAT : check_column(f, m, col, p->column, err);
        if (!rc) rc = check_coverage(f, m, p, scratch, err);
        break;
    case EF_FOLDS_RANDOM:
        if (!rc) rc = check_coverage(f, m, p, scratch, err);
        break;
    }
    free(scratch);
    return rc;
}
