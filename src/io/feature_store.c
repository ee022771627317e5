/* Feature store reading and z-normalisation statistics. */
#include "emofuse/feature_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/hash.h"
#include "emofuse/safetensors.h"

struct ef_store {
    ef_safetensors_file *st;
    const char *kind;
    int dim;
};

void ef_store_close(ef_store *s)
{
    if (!s) return;
    ef_safetensors_close(s->st);
    free(s);
}

ef_code ef_store_open(ef_store **out, const char *path, ef_error *err)
{
    *out = NULL;
    ef_store *s = calloc(1, sizeof *s);
    if (!s) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    ef_code rc = ef_safetensors_open(&s->st, path, err);
    if (rc) {
        free(s);
        return rc;
    }
    s->kind = ef_safetensors_meta(s->st, "emofuse.kind");
    const char *dims = ef_safetensors_meta(s->st, "emofuse.dims");
    char *end = NULL;
    long d = dims ? strtol(dims, &end, 10) : 0;
    if (!s->kind || !dims || *end || d <= 0 || d > 1 << 20) {
        ef_store_close(s);
        return ef_fail(err, EF_ERR_FORMAT, "%s: not an emofuse feature store (metadata emofuse.kind/dims missing)",
                       path);
    }
    s->dim = (int)d;
    for (int64_t i = 0; i < ef_safetensors_count(s->st); i++) {
        const ef_safetensors_tensor *t = ef_safetensors_get(s->st, i);
        if (t->dtype != EF_DT_F32 || t->ndim != 2 || t->shape[1] != d || !ef_safetensors_aligned(t)) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' is not an aligned F32 (T, %ld) matrix", path, t->name, d);
            ef_store_close(s);
            return rc;
        }
    }
    *out = s;
    return EF_OK;
}

const char *ef_store_kind(const ef_store *s) { return s->kind; }
int ef_store_dim(const ef_store *s) { return s->dim; }
int64_t ef_store_count(const ef_store *s) { return ef_safetensors_count(s->st); }
const char *ef_store_id(const ef_store *s, int64_t i) { return ef_safetensors_get(s->st, i)->name; }
const char *ef_store_meta(const ef_store *s, const char *key) { return ef_safetensors_meta(s->st, key); }

ef_code ef_store_get(const ef_store *s, const char *id, const float **rows, int64_t *T, ef_error *err)
{
    const ef_safetensors_tensor *t = ef_safetensors_find(s->st, id);
    if (!t) return ef_fail(err, EF_ERR_ARG, "%s: no features for utterance '%s'", ef_safetensors_path(s->st), id);
    *rows = t->data;
    *T = t->shape[0];
    return EF_OK;
}

ef_code ef_norm_compute(const ef_store *s, const char *const *ids, int64_t n_ids, float *mean, float *std,
                        ef_error *err)
{
    int D = s->dim;
    double *sum = calloc((size_t)D, sizeof(double)), *sq = calloc((size_t)D, sizeof(double));
    if (!sum || !sq) {
        free(sum);
        free(sq);
        return ef_fail(err, EF_ERR_NOMEM, "normalisation statistics: out of memory");
    }
    /* Two passes (mean, then squared deviations) so large offsets do not cancel. */
    int64_t frames = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t i = 0; i < n_ids; i++) {
            const float *rows = NULL;
            int64_t T = 0;
            ef_code rc = ef_store_get(s, ids[i], &rows, &T, err);
            if (rc) {
                free(sum);
                free(sq);
                return rc;
            }
            for (int64_t t = 0; t < T; t++)
                for (int d = 0; d < D; d++) {
                    double v = rows[t * D + d];
                    if (pass == 0 && !isfinite(v)) {
                        free(sum);
                        free(sq);
                        /* One NaN would make every statistic NaN, silently. */
                        return ef_fail(err, EF_ERR_NUMERIC,
                                       "%s: utterance '%s' has a non-finite value (%g) in frame %lld, "
                                       "column %d",
                                       ef_safetensors_path(s->st), ids[i], v, (long long)t, d);
                    }
                    if (pass == 0) sum[d] += v;
                    else sq[d] += (v - sum[d]) * (v - sum[d]);
                }
            if (pass == 0) frames += T;
        }
        if (pass == 0) {
            if (frames == 0) {
                free(sum);
                free(sq);
                return ef_fail(err, EF_ERR_ARG, "%s: the %lld given utterances have no frames",
                               ef_safetensors_path(s->st), (long long)n_ids);
            }
            for (int d = 0; d < D; d++) sum[d] /= (double)frames;
        }
    }
    for (int d = 0; d < D; d++) {
        mean[d] = (float)sum[d];
        double sd = sqrt(sq[d] / (double)frames);
        std[d] = (float)(sd < 1e-8 ? 1e-8 : sd);
    }
    free(sum);
    free(sq);
    return EF_OK;
}

void ef_norm_apply(float *rows, int64_t T, int D, const float *mean, const float *std)
{
    for (int64_t t = 0; t < T; t++)
        for (int d = 0; d < D; d++) rows[t * D + d] = (rows[t * D + d] - mean[d]) / std[d];
}

void ef_hash_hex(const char *s, char out[17])
{
    /* without the terminator (unlike ef_fnv1a64_str): stored fingerprints were made so */
    uint64_t h = ef_fnv1a64(EF_FNV1A64_INIT, s, strlen(s));
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
