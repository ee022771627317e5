/* Feature store: one safetensors file holding one F32 tensor (T, D) per utterance,
 * named by utterance id, plus __metadata__ describing the features:
 *   "emofuse.kind"     "audio-lld" | "bert" | "glove"
 *   "emofuse.dims"     D as a decimal string
 *   "emofuse.columns"  JSON array of D column names (audio) or absent
 *   "emofuse.config"   JSON object of the extraction parameters
 *   "emofuse.sources"  JSON object id -> {"size": bytes, "mtime": seconds, "hash": "..."}
 * Any safetensors reader (Python `safetensors.safe_open`) can read it. The file is
 * memory-mapped; tensors are not copied. */
#ifndef EMOFUSE_FEATURE_STORE_H
#define EMOFUSE_FEATURE_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

typedef struct ef_store ef_store;

ef_code ef_store_open(ef_store **out, const char *path, ef_error *err);
void ef_store_close(ef_store *s);

const char *ef_store_kind(const ef_store *s);
int ef_store_dim(const ef_store *s);
int64_t ef_store_count(const ef_store *s);
const char *ef_store_id(const ef_store *s, int64_t i);
/* Pointer to the (T, D) rows of an utterance; EF_ERR_ARG naming the id when absent.
 * T may be 0. The pointer is valid until ef_store_close(). */
ef_code ef_store_get(const ef_store *s, const char *id, const float **rows, int64_t *T, ef_error *err);
/* Metadata value, NULL when absent. */
const char *ef_store_meta(const ef_store *s, const char *key);

/* Global z-normalisation statistics over the frames of the given ids (e.g. the training
 * utterances of one fold): mean and standard deviation per dimension (D each), computed
 * in double precision. std is floored at 1e-8 so constant dimensions do not divide by 0. */
ef_code ef_norm_compute(const ef_store *s, const char *const *ids, int64_t n_ids, float *mean, float *std,
                        ef_error *err);
/* x <- (x - mean) / std over T rows of D. */
void ef_norm_apply(float *rows, int64_t T, int D, const float *mean, const float *std);

/* Building a store resumably. Items are extracted in parallel by a callback; every
 * finished item is written at once to "<out>.parts/<id>.safetensors" (atomically), so an
 * interrupted or crashed run loses at most the items in flight. At the end the old store
 * (items whose fingerprint and config are unchanged are reused without recomputing),
 * and the parts are packed into <out> atomically and the parts folder is removed.
 * An item whose extraction fails is reported with its message and skipped; the others
 * are still stored. */
typedef ef_code (*ef_store_extract_fn)(void *ctx, int64_t item, int thread, float **rows, int64_t *T,
                                       ef_error *err);

/* Batched variant: extracts n items at once (e.g. BERT packs many texts into one GEMM).
 * rows[k], T[k] receive item items[k]'s result; codes[k]/errs[k] its status. */
typedef void (*ef_store_extract_batch_fn)(void *ctx, const int64_t *items, int n, int thread, float **rows,
                                          int64_t *T, ef_code *codes, ef_error *errs);

typedef struct {
    const char *out_path;
    const char *kind;          /* "audio-lld", "bert", "glove" */
    int dim;
    const char *columns_json;  /* JSON array of column names, or NULL */
    const char *config_json;   /* extraction parameters; a change invalidates every item */
    int64_t n_items;
    const char *const *ids;          /* n_items utterance ids */
    const char *const *fingerprints; /* n_items strings identifying the input (size+mtime, text hash) */
    int threads;               /* 0 = all cores */
    FILE *progress;            /* NULL = silent */
    int tty;                   /* -1 detect */
    ef_store_extract_fn extract; /* rows: malloc'ed (T, dim), freed by the builder */
    void *ctx;
    ef_store_extract_batch_fn extract_batch; /* used instead of extract when not NULL */
    int batch_size;                          /* items per extract_batch call */
} ef_store_build_opts;

typedef struct {
    int64_t reused, extracted, failed, total;
    int interrupted;
    char **failures;           /* failed messages ("<source>: <cause>"), failed entries */
} ef_store_build_report;

ef_code ef_store_build(const ef_store_build_opts *opts, ef_store_build_report *report, ef_error *err);
void ef_store_build_report_free(ef_store_build_report *r);

/* FNV-1a 64-bit hash of a string as 16 hex digits (for fingerprints of texts). */
void ef_hash_hex(const char *s, char out[17]);

#endif
