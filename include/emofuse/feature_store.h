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

#endif
