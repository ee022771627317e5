/* Dataset assembly: one place decides which utterances a model sees and with which
 * label, so training, prediction and experiments can never disagree about it. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/pipeline.h"

ef_code ef_pipeline_open_store(ef_store **out, const char *path, bool want_text, ef_error *err)
{
    ef_code rc = ef_store_open(out, path, err);
    if (rc) return rc;
    const char *kind = ef_store_kind(*out);
    bool text = strcmp(kind, "bert") == 0 || strcmp(kind, "glove") == 0;
    bool audio = strcmp(kind, "audio-lld") == 0;
    if (want_text ? text : audio) return EF_OK;
    rc = ef_fail(err, EF_ERR_ARG, "%s: a '%s' store, expected %s", path, kind,
                 want_text ? "text features (bert or glove)" : "audio-lld");
    ef_store_close(*out);
    *out = NULL;
    return rc;
}

void ef_pipeline_data_free(ef_pipeline_data *d)
{
    free(d->ids);
    free(d->text_rows);
    free(d->audio_rows);
    free(d->text_T);
    free(d->audio_T);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

static int cmp_strp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* An id listed twice would be trained on (or scored) twice without a word. */
static ef_code check_unique(const char *const *ids, int64_t n, ef_error *err)
{
    const char **v = malloc(sizeof *v * (size_t)(n + 1));
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "dataset: out of memory");
    memcpy(v, ids, sizeof *v * (size_t)n);
    qsort(v, (size_t)n, sizeof *v, cmp_strp);
    ef_code rc = EF_OK;
    for (int64_t i = 1; i < n && !rc; i++)
        if (strcmp(v[i], v[i - 1]) == 0) rc = ef_fail(err, EF_ERR_ARG, "id '%s' is listed more than once", v[i]);
    free(v);
    return rc;
}

/* A NaN or Inf feature would turn into NaN scores (or a NaN stop after hours): refuse it
 * here, naming the utterance. */
static ef_code check_finite(const ef_store *s, const char *id, const float *rows, int64_t T, ef_error *err)
{
    if (!s) return EF_OK;
    int D = ef_store_dim(s);
    for (int64_t i = 0; i < T * D; i++)
        if (!isfinite(rows[i]))
            return ef_fail(err, EF_ERR_NUMERIC, "%s: utterance '%s' has a non-finite value (%g) in row %lld, column %d",
                           ef_store_meta(s, "emofuse.kind") ? ef_store_kind(s) : "store", id, (double)rows[i],
                           (long long)(i / D), (int)(i % D));
    return EF_OK;
}

/* Manifest label -> the paper's class -> index in `classes`, -1 when none. */
static int32_t class_of(const char *label, const char *const *classes, int K)
{
    int c = ef_emotion4_class(label);
    if (c < 0) return -1;
    for (int k = 0; k < K; k++)
        if (strcmp(classes[k], ef_emotion4_names[c]) == 0) return k;
    return -1;
}

/* A label that names a class once its surrounding spaces are gone (" angry") is a typo
 * in the manifest, not "another label": skipping it would silently drop the class. */
static ef_code check_label_spaces(const ef_manifest *m, const char *id, const char *label,
                                  const char *const *classes, int K, ef_error *err)
{
    size_t n = strlen(label), a = 0;
    while (a < n && isspace((unsigned char)label[a])) a++;
    while (n > a && isspace((unsigned char)label[n - 1])) n--;
    if (a == 0 && n == strlen(label)) return EF_OK;
    char trimmed[128];
    if (n - a >= sizeof trimmed) return EF_OK;
    memcpy(trimmed, label + a, n - a);
    trimmed[n - a] = '\0';
    if (class_of(trimmed, classes, K) < 0) return EF_OK;
    return ef_fail(err, EF_ERR_FORMAT, "%s: id '%s': the emotion label '%s' has stray spaces (remove them)",
                   ef_manifest_path(m), id, label);
}

ef_code ef_pipeline_data_assemble(ef_pipeline_data *out, const char *const *ids, int64_t n_ids,
                                  const ef_pipeline_data_opts *o, ef_error *err)
{
    memset(out, 0, sizeof *out);
    const char *const *classes = o->classes ? o->classes : ef_emotion4_names;
    int K = o->classes ? o->n_classes : 4;
    if (K < 1 || K > 16) return ef_fail(err, EF_ERR_ARG, "dataset: %d classes (1..16)", K);
    int ecol = -1;
    if (o->manifest && (ecol = ef_manifest_column(o->manifest, "emotion")) < 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: no 'emotion' column", ef_manifest_path(o->manifest));
    size_t n1 = (size_t)n_ids + 1;
    out->ids = calloc(n1, sizeof *out->ids);
    out->text_rows = calloc(n1, sizeof *out->text_rows);
    out->audio_rows = calloc(n1, sizeof *out->audio_rows);
    out->text_T = calloc(n1, sizeof *out->text_T);
    out->audio_T = calloc(n1, sizeof *out->audio_T);
    out->labels = calloc(n1, sizeof *out->labels);
    if (!out->ids || !out->text_rows || !out->audio_rows || !out->text_T || !out->audio_T || !out->labels) {
        ef_pipeline_data_free(out);
        return ef_fail(err, EF_ERR_NOMEM, "dataset: out of memory");
    }
    int64_t n = 0;
    ef_code rc = check_unique(ids, n_ids, err);
    for (int64_t i = 0; i < n_ids && !rc; i++) {
        int32_t y = -1;
        if (o->manifest) {
            int64_t row = ef_manifest_find(o->manifest, ids[i]);
            if (row < 0) {
                rc = ef_fail(err, EF_ERR_ARG, "%s: id '%s' is not in the manifest", ef_manifest_path(o->manifest),
                             ids[i]);
                break;
            }
            const char *label = ef_manifest_cell(o->manifest, row, ecol);
            y = class_of(label, classes, K);
            if (y < 0 && (rc = check_label_spaces(o->manifest, ids[i], label, classes, K, err))) break;
        }
        if (y < 0 && o->require_label) {
            out->skipped_label++;
            continue;
        }
        if (o->text && (rc = ef_store_get(o->text, ids[i], &out->text_rows[n], &out->text_T[n], err))) break;
        if (o->audio && (rc = ef_store_get(o->audio, ids[i], &out->audio_rows[n], &out->audio_T[n], err))) break;
        rc = check_finite(o->text, ids[i], out->text_rows[n], out->text_T[n], err);
        if (!rc) rc = check_finite(o->audio, ids[i], out->audio_rows[n], out->audio_T[n], err);
        if (rc) break;
        if ((o->text && out->text_T[n] < 1) || (o->audio && out->audio_T[n] < 1)) {
            out->skipped_empty++; /* the model would have nothing to look at */
            continue;
        }
        out->ids[n] = ids[i];
        out->labels[n] = y;
        if (y >= 0) out->per_class[y]++;
        else out->unlabelled++;
        n++;
    }
    if (rc) {
        ef_pipeline_data_free(out);
        return rc;
    }
    out->d = (ef_dataset){n,
                          o->text ? out->text_rows : NULL,
                          out->text_T,
                          o->audio ? out->audio_rows : NULL,
                          out->audio_T,
                          o->require_label || o->manifest ? out->labels : NULL,
                          NULL,
                          NULL};
    return EF_OK;
}
