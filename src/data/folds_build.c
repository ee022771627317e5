/* The protocol builders (one function each) and ef_folds_build, which checks the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/folds_internal.h"
#include "emofuse/rng.h"

static int need_column(const ef_manifest *m, const char *name, const char *why, ef_error *err)
{
    int c = ef_manifest_column(m, name);
    if (c < 0) ef_fail(err, EF_ERR_FORMAT, "%s: no '%s' column (%s)", ef_manifest_path(m), name, why);
    return c;
}

/* Test = rows of group g, train = rows of every other group, for each group in order;
 * rows with a negative group are in no fold. */
static ef_code folds_by_groups(ef_folds *fs, const ef_manifest *m, const int32_t *group, int32_t ngroups,
                               const char **names, ef_error *err)
{
    int64_t n = ef_manifest_rows(m);
    for (int32_t g = 0; g < ngroups; g++) {
        int k = folds_add(fs, names[g]);
        if (k < 0) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
        for (int64_t r = 0; r < n; r++) {
            if (group[r] < 0) continue;
            ef_code rc = folds_push(fs, k, group[r] == g ? EF_ROLE_TEST : EF_ROLE_TRAIN, r, err);
            if (rc) return rc;
        }
    }
    return EF_OK;
}

/* One fold per distinct value of a column (sessions, speakers, column:NAME); rows with an
 * empty value train in every fold when `empty_trains`, else they are an error. */
static ef_code build_by_column(ef_folds *fs, const ef_manifest *m, int col, const char *col_name, bool empty_trains,
                               ef_error *err)
{
    int32_t ng;
    const char **names;
    int32_t *g = folds_group_column(m, col, &ng, &names);
    if (!g) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    int64_t n = ef_manifest_rows(m);
    ef_code rc = EF_OK;
    /* Group 0 is the empty value when any row has one (it sorts first). */
    bool has_empty = ng > 0 && names[0][0] == '\0';
    if (has_empty && !empty_trains) {
        for (int64_t r = 0; r < n; r++)
            if (g[r] == 0) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' has an empty '%s'", ef_manifest_path(m),
                             ef_manifest_id(m, r), col_name);
                break;
            }
    }
    if (!rc && ng - has_empty < 2)
        rc = ef_fail(err, EF_ERR_ARG, "%s: fewer than two distinct values to make folds from", ef_manifest_path(m));
    for (int32_t k = has_empty; k < ng && !rc; k++) {
        int f = folds_add(fs, names[k]);
        if (f < 0) rc = ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
        for (int64_t r = 0; r < n && !rc; r++) rc = folds_push(fs, f, g[r] == k ? EF_ROLE_TEST : EF_ROLE_TRAIN, r, err);
    }
    free(g);
    free(names);
    return rc;
}

/* RAND: classes dealt round-robin into K folds after a seeded shuffle, so every fold has
 * each class in proportion (sizes differ by at most one per class). */
static ef_code build_random(ef_folds *fs, const ef_manifest *m, const ef_folds_params *p, int K, ef_error *err)
{
    int64_t n = ef_manifest_rows(m);
    if (n < K) return ef_fail(err, EF_ERR_ARG, "%s: %lld utterances cannot fill %d folds", ef_manifest_path(m),
                              (long long)n, K);
    int col = ef_manifest_column(m, "emotion");
    int32_t *assign = malloc(sizeof *assign * (size_t)n), *cls = NULL, ncls = 1;
    const char **names = NULL;
    int32_t *order = malloc(sizeof *order * (size_t)n);
    if (col >= 0) cls = folds_group_column(m, col, &ncls, &names);
    if (!assign || !order || (col >= 0 && !cls)) {
        free(assign);
        free(order);
        free(cls);
        free(names);
        return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    }
    ef_rng rng;
    ef_rng_seed(&rng, p->seed);
    int offset = 0;
    for (int32_t c = 0; c < ncls; c++) {
        int64_t m_c = 0;
        for (int64_t r = 0; r < n; r++)
            if (!cls || cls[r] == c) order[m_c++] = (int32_t)r;
        ef_rng_shuffle_i32(&rng, order, m_c);
        for (int64_t i = 0; i < m_c; i++) assign[order[i]] = (int32_t)((offset + i) % K);
        offset = (int)((offset + m_c) % K);
    }
    free(order);
    free(cls);
    free(names);
    const char *fold_names[64];
    char buf[64][16];
    for (int k = 0; k < K; k++) {
        snprintf(buf[k], sizeof buf[k], "%d", k + 1);
        fold_names[k] = buf[k];
    }
    ef_code rc = folds_by_groups(fs, m, assign, K, fold_names, err);
    free(assign);
    return rc;
}

/* SP without sessions: speakers (shuffled, then largest first) go to the fold with the
 * fewest utterances so far, so folds are near-equal in size. */
static ef_code build_speaker_groups(ef_folds *fs, const ef_manifest *m, const ef_folds_params *p, int K,
                                    ef_error *err)
{
    int col = need_column(m, "speaker", "the speaker protocol needs it", err);
    if (col < 0) return EF_ERR_FORMAT;
    int32_t nspk;
    const char **names;
    int32_t *spk = folds_group_column(m, col, &nspk, &names);
    if (!spk) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    free(names);
    if (nspk < K) {
        free(spk);
        return ef_fail(err, EF_ERR_ARG, "%s: %d speakers cannot fill %d speaker-disjoint folds (use --k %d or loso)",
                       ef_manifest_path(m), nspk, K, nspk);
    }
    int64_t n = ef_manifest_rows(m);
    int64_t *count = calloc((size_t)nspk, sizeof *count), load[64] = {0};
    int32_t *order = malloc(sizeof *order * (size_t)nspk), *to_fold = malloc(sizeof *to_fold * (size_t)nspk);
    int32_t *assign = malloc(sizeof *assign * (size_t)(n + 1));
    ef_code rc = EF_OK;
    if (!count || !order || !to_fold || !assign) rc = ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    if (!rc) {
        for (int64_t r = 0; r < n; r++) count[spk[r]]++;
        for (int32_t s = 0; s < nspk; s++) order[s] = s;
        ef_rng rng;
        ef_rng_seed(&rng, p->seed);
        ef_rng_shuffle_i32(&rng, order, nspk);
        /* Stable insertion sort by count, largest first: ties keep the shuffled order. */
        for (int32_t i = 1; i < nspk; i++) {
            int32_t v = order[i], j = i;
            while (j > 0 && count[order[j - 1]] < count[v]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = v;
        }
        for (int32_t i = 0; i < nspk; i++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (load[k] < load[best]) best = k;
            to_fold[order[i]] = best;
            load[best] += count[order[i]];
        }
        for (int64_t r = 0; r < n; r++) assign[r] = to_fold[spk[r]];
        char buf[64][16];
        const char *fold_names[64];
        for (int k = 0; k < K; k++) {
            snprintf(buf[k], sizeof buf[k], "%d", k + 1);
            fold_names[k] = buf[k];
        }
        rc = folds_by_groups(fs, m, assign, K, fold_names, err);
    }
    free(spk);
    free(count);
    free(order);
    free(to_fold);
    free(assign);
    return rc;
}

/* SP&SC: per session, test its improvised + script-3 utterances, train the other sessions'
 * improvised + script 1-2 utterances. */
static ef_code build_speaker_script(ef_folds *fs, const ef_manifest *m, ef_error *err)
{
    const char *why = "speaker-script folds need IEMOCAP's session and script columns (emofuse corpus iemocap)";
    int scol = need_column(m, "session", why, err);
    if (scol < 0) return EF_ERR_FORMAT;
    int ccol = need_column(m, "script", why, err);
    if (ccol < 0) return EF_ERR_FORMAT;
    int64_t n = ef_manifest_rows(m);
    for (int64_t r = 0; r < n; r++) {
        const char *s = ef_manifest_cell(m, r, ccol);
        if (s[0] && strcmp(s, "1") && strcmp(s, "2") && strcmp(s, "3"))
            return ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' has script '%s' (expected empty, 1, 2 or 3)",
                           ef_manifest_path(m), ef_manifest_id(m, r), s);
        if (!ef_manifest_cell(m, r, scol)[0])
            return ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' has no session", ef_manifest_path(m),
                           ef_manifest_id(m, r));
    }
    int32_t ns;
    const char **names;
    int32_t *g = folds_group_column(m, scol, &ns, &names);
    if (!g) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    ef_code rc = ns < 2 ? ef_fail(err, EF_ERR_ARG, "%s: fewer than two sessions", ef_manifest_path(m)) : EF_OK;
    for (int32_t k = 0; k < ns && !rc; k++) {
        int f = folds_add(fs, names[k]);
        if (f < 0) rc = ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
        for (int64_t r = 0; r < n && !rc; r++) {
            const char *s = ef_manifest_cell(m, r, ccol);
            if (g[r] == k && (!s[0] || strcmp(s, "3") == 0)) rc = folds_push(fs, f, EF_ROLE_TEST, r, err);
            else if (g[r] != k && strcmp(s, "3") != 0) rc = folds_push(fs, f, EF_ROLE_TRAIN, r, err);
        }
    }
    free(g);
    free(names);
    return rc;
}

/* The official split: one fold whose roles come from the split column's values. */
static ef_code build_split(ef_folds *fs, const ef_manifest *m, const ef_folds_params *p, ef_error *err)
{
    int col = need_column(m, "split", "the split protocol reads the official partition from it", err);
    if (col < 0) return EF_ERR_FORMAT;
    int f = folds_add(fs, "1");
    if (f < 0) return ef_fail(err, EF_ERR_NOMEM, "folds: out of memory");
    int64_t n = ef_manifest_rows(m);
    for (int64_t r = 0; r < n; r++) {
        const char *v = ef_manifest_cell(m, r, col);
        ef_code rc = EF_OK;
        if (folds_in_list(p->train_values, v)) rc = folds_push(fs, f, EF_ROLE_TRAIN, r, err);
        else if (folds_in_list(p->dev_values, v)) rc = folds_push(fs, f, EF_ROLE_DEV, r, err);
        else if (folds_in_list(p->test_values, v)) rc = folds_push(fs, f, EF_ROLE_TEST, r, err);
        if (rc) return rc;
    }
    return EF_OK;
}

ef_code ef_folds_build(ef_folds **out, const ef_manifest *m, const ef_folds_params *p, ef_error *err)
{
    *out = NULL;
    if (p->k < 0 || p->k > 64) return ef_fail(err, EF_ERR_ARG, "folds: k = %d is outside 2..64", p->k);
    int K = p->k ? p->k : 5;
    if (K < 2) return ef_fail(err, EF_ERR_ARG, "folds: k = %d is outside 2..64", p->k);
    ef_folds *fs;
    ef_code rc = folds_new(&fs, err);
    if (rc) return rc;
    int col;
    switch (p->protocol) {
    case EF_FOLDS_RANDOM: rc = build_random(fs, m, p, K, err); break;
    case EF_FOLDS_SPEAKER:
        col = ef_manifest_column(m, "session");
        if (col < 0) {
            rc = build_speaker_groups(fs, m, p, K, err);
            break;
        }
        /* IEMOCAP: the sessions are the folds (both speakers of one session tested together). */
        rc = build_by_column(fs, m, col, "session", false, err);
        if (!rc && p->k && p->k != fs->n)
            rc = ef_fail(err, EF_ERR_ARG, "%s: --k %d, but the session column gives %d session folds (omit --k, or "
                         "use column:NAME)", ef_manifest_path(m), p->k, fs->n);
        break;
    case EF_FOLDS_LOSO:
        col = need_column(m, "speaker", "loso needs it", err);
        rc = col < 0 ? EF_ERR_FORMAT : build_by_column(fs, m, col, "speaker", false, err);
        break;
    case EF_FOLDS_SPEAKER_SCRIPT: rc = build_speaker_script(fs, m, err); break;
    case EF_FOLDS_SPLIT: rc = build_split(fs, m, p, err); break;
    case EF_FOLDS_COLUMN:
        col = need_column(m, p->column, "named by column:NAME", err);
        rc = col < 0 ? EF_ERR_FORMAT : build_by_column(fs, m, col, p->column, true, err);
        break;
    }
    if (!rc) {
        snprintf(fs->source, sizeof fs->source, "%s folds of %s", ef_fold_protocol_name(p->protocol),
                 ef_manifest_path(m));
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
