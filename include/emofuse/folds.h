/* Fold protocols: which utterances of a manifest train, tune and test each fold, and the
 * leakage checks that make a protocol mean what it says.
 *
 * Protocols (docs/corpora.md explains why each exists):
 *   random          K folds stratified by the `emotion` column, seeded (the paper's RAND)
 *   speaker         K folds, no speaker on both sides; with a `session` column (IEMOCAP)
 *                   the folds are the sessions, each testing both speakers of one (SP)
 *   loso            one fold per speaker (leave one speaker out)
 *   speaker-script  IEMOCAP only (SP&SC): fold k tests session k's improvised and script-3
 *                   utterances and trains on the other sessions' improvised and script 1-2
 *                   utterances; script 3 never trains, scripts 1-2 never test
 *   split           one fold from a `split` column (MSP-PODCAST's official partition)
 *   column:NAME     one fold per distinct non-empty value of column NAME (test = that
 *                   value; train = every other row, empty values included)
 * Roles: train, dev (split only), test. Every protocol is checked when folds are built or
 * loaded: a violation is an error naming the fold and the offending utterances. */
#ifndef EMOFUSE_FOLDS_H
#define EMOFUSE_FOLDS_H

#include <stddef.h>
#include <stdint.h>

#include "emofuse/manifest.h"
#include "emofuse/status.h"

typedef enum {
    EF_FOLDS_RANDOM,
    EF_FOLDS_SPEAKER,
    EF_FOLDS_LOSO,
    EF_FOLDS_SPEAKER_SCRIPT,
    EF_FOLDS_SPLIT,
    EF_FOLDS_COLUMN
} ef_fold_protocol;

typedef enum { EF_ROLE_TRAIN, EF_ROLE_DEV, EF_ROLE_TEST } ef_fold_role;
#define EF_FOLD_ROLES 3

typedef struct {
    ef_fold_protocol protocol;
    int k;                   /* random, speaker without sessions: folds (0 = 5) */
    uint64_t seed;           /* random, speaker: shuffling */
    char column[128];        /* column:NAME */
    /* split: comma-separated values of the split column per role */
    char train_values[256], dev_values[256], test_values[256];
} ef_folds_params;

/* random, k 0 (= 5), seed 1, split roles Train / Validation,Development / Test1. */
ef_folds_params ef_folds_default_params(void);
/* "random", "speaker", "loso", "speaker-script", "split" or "column:NAME" into p. */
ef_code ef_fold_protocol_parse(const char *s, ef_folds_params *p, ef_error *err);
/* The protocol's name as ef_fold_protocol_parse reads it (column: without its NAME). */
const char *ef_fold_protocol_name(ef_fold_protocol protocol);
const char *ef_fold_role_name(ef_fold_role role);

typedef struct ef_folds ef_folds;

/* Folds of a manifest by a protocol, checked (ef_folds_check) before they are returned. */
ef_code ef_folds_build(ef_folds **out, const ef_manifest *m, const ef_folds_params *p, ef_error *err);
/* A folds CSV (columns fold, id, role) against its manifest: unknown ids, bad roles and
 * an id twice in one fold are errors naming file:line; then ef_folds_check. */
ef_code ef_folds_load(ef_folds **out, const char *path, const ef_manifest *m, const ef_folds_params *p,
                      ef_error *err);
/* The leakage checks of p's protocol (see the top of this file and docs/corpora.md). */
ef_code ef_folds_check(const ef_folds *f, const ef_manifest *m, const ef_folds_params *p, ef_error *err);
/* Rows fold,id,role: fold by fold, train then dev then test, ids in manifest order. Atomic. */
ef_code ef_folds_write(const ef_folds *f, const ef_manifest *m, const char *path, ef_error *err);
void ef_folds_free(ef_folds *f);

int ef_folds_count(const ef_folds *f);
/* Fold name: 1..K, the session for IEMOCAP sessions, the speaker for loso, the value for
 * column:NAME, "1" for split. */
const char *ef_folds_name(const ef_folds *f, int fold);
int64_t ef_folds_size(const ef_folds *f, int fold, ef_fold_role role);
/* Manifest rows of one fold and role, ascending. */
const int64_t *ef_folds_rows(const ef_folds *f, int fold, ef_fold_role role);
/* One line describing a fold for people: sizes and class counts per role. */
void ef_folds_describe(const ef_folds *f, const ef_manifest *m, int fold, char *buf, size_t n);

#endif
