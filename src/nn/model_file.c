/* Model files: a trained model is ONE safetensors file holding every parameter and batch
 * norm buffer under its table name, the audio z-normalisation statistics, and metadata
 * (format tag, config JSON, label names, expected feature kinds and dimensions). The
 * loader trusts nothing: it rebuilds the model from the stored config and then demands
 * every expected tensor with its exact shape, refuses unknown tensors and non-finite
 * values, and checks labels and normalisation dimensions. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/safetensors.h"
#include "nn/model_internal.h"

#define MODEL_FORMAT "emofuse-model-1"

void ef_model_meta_free(ef_model_meta *meta)
{
    free(meta->audio_mean);
    free(meta->audio_std);
    free(meta->text_features);
    free(meta->audio_features);
    meta->audio_mean = meta->audio_std = NULL;
    meta->text_features = meta->audio_features = NULL;
}

static char *labels_json(const ef_model_meta *meta)
{
    json_object *arr = json_object_new_array();
    if (!arr) return NULL;
    for (int i = 0; i < meta->n_labels; i++) json_object_array_add(arr, json_object_new_string(meta->labels[i]));
    const char *s = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
    char *out = s ? strdup(s) : NULL;
    json_object_put(arr);
    return out;
}

ef_code ef_model_save(const ef_model *m, const ef_model_meta *meta, const char *path, ef_error *err)
{
    const ef_model_config *cfg = &m->cfg;
    if (meta->n_labels != cfg->n_classes)
        return ef_fail(err, EF_ERR_ARG, "%s: %d label names for %d classes", path, meta->n_labels, cfg->n_classes);
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    if (!w) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    char *cjson = ef_model_config_to_json(cfg), *ljson = labels_json(meta);
    ef_code rc = EF_OK;
    if (!cjson || !ljson) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int i = 0; i < m->params.n && rc == EF_OK; i++) {
        const ef_tensor_info *t = &m->params.t[i];
        rc = ef_safetensors_writer_add(w, t->name, EF_DT_F32, t->ndim, t->shape, ef_params_value(&m->params, i), err);
    }
    int64_t da = cfg->audio.input_dim;
    if (rc == EF_OK && m->has_audio && meta->audio_mean && meta->audio_std) {
        rc = ef_safetensors_writer_add(w, "norm.audio.mean", EF_DT_F32, 1, &da, meta->audio_mean, err);
        if (rc == EF_OK) rc = ef_safetensors_writer_add(w, "norm.audio.std", EF_DT_F32, 1, &da, meta->audio_std, err);
    }
    char dims[32];
    if (rc == EF_OK) rc = ef_safetensors_writer_meta(w, "emofuse.format", MODEL_FORMAT, err);
    if (rc == EF_OK) rc = ef_safetensors_writer_meta(w, "emofuse.config", cjson, err);
    if (rc == EF_OK) rc = ef_safetensors_writer_meta(w, "emofuse.labels", ljson, err);
    if (rc == EF_OK && m->has_text) {
        rc = ef_safetensors_writer_meta(w, "emofuse.text_kind", meta->text_kind, err);
        snprintf(dims, sizeof dims, "%d", cfg->text.input_dim);
        if (rc == EF_OK) rc = ef_safetensors_writer_meta(w, "emofuse.text_dim", dims, err);
    }
    if (rc == EF_OK && m->has_text && meta->text_features)
        rc = ef_safetensors_writer_meta(w, "emofuse.text_features", meta->text_features, err);
    if (rc == EF_OK && m->has_audio && meta->audio_features)
        rc = ef_safetensors_writer_meta(w, "emofuse.audio_features", meta->audio_features, err);
    if (rc == EF_OK && m->has_audio) {
        rc = ef_safetensors_writer_meta(w, "emofuse.audio_kind", meta->audio_kind, err);
        snprintf(dims, sizeof dims, "%d", cfg->audio.input_dim);
        if (rc == EF_OK) rc = ef_safetensors_writer_meta(w, "emofuse.audio_dim", dims, err);
    }
    if (rc == EF_OK) rc = ef_safetensors_writer_save(w, path, err);
done:
    free(cjson);
    free(ljson);
    ef_safetensors_writer_free(w);
    return rc;
}

static ef_code parse_labels(ef_model_meta *meta, const char *s, int K, const char *path, ef_error *err)
{
    if (!s) return ef_fail(err, EF_ERR_FORMAT, "%s: metadata 'emofuse.labels' is missing", path);
    json_object *arr = json_tokener_parse(s);
    ef_code rc = EF_OK;
    if (!arr || json_object_get_type(arr) != json_type_array || (int)json_object_array_length(arr) != K) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: 'emofuse.labels' must be a JSON array of %d names", path, K);
        goto done;
    }
    meta->n_labels = K;
    for (int i = 0; i < K; i++) {
        json_object *v = json_object_array_get_idx(arr, (size_t)i);
        const char *name = v && json_object_get_type(v) == json_type_string ? json_object_get_string(v) : NULL;
        if (!name || !name[0] || strlen(name) >= sizeof meta->labels[0]) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: label %d is not a name of 1 to %zu characters", path, i,
                         sizeof meta->labels[0] - 1);
            goto done;
        }
        strcpy(meta->labels[i], name);
    }
done:
    json_object_put(arr);
    return rc;
}

static ef_code expect_kind(char *dst, size_t n, const ef_safetensors_file *f, const char *key, const char *dim_key,
                           int dim, const char *path, ef_error *err)
{
    const char *kind = ef_safetensors_meta(f, key), *d = ef_safetensors_meta(f, dim_key);
    if (!kind || !kind[0] || strlen(kind) >= n)
        return ef_fail(err, EF_ERR_FORMAT, "%s: metadata '%s' is missing or too long", path, key);
    char want[32];
    snprintf(want, sizeof want, "%d", dim);
    if (!d || strcmp(d, want) != 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: metadata '%s' is '%s', the config says %s", path, dim_key,
                       d ? d : "(missing)", want);
    strcpy(dst, kind);
    return EF_OK;
}

/* Copy a stored tensor into dst (n floats), converting half precision; all finite. */
static ef_code read_tensor(float *dst, const ef_safetensors_tensor *t, int64_t n, const char *path, ef_error *err)
{
    if (t->dtype != EF_DT_F32 && t->dtype != EF_DT_F16 && t->dtype != EF_DT_BF16)
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' has dtype %s, expected F32", path, t->name,
                       ef_dtype_name(t->dtype));
    ef_convert_to_f32(dst, t->data, t->dtype, (size_t)n);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(dst[i]))
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' holds NaN/Inf at element %lld", path, t->name,
                           (long long)i);
    return EF_OK;
}

ef_code ef_model_load(ef_model **out, ef_model_meta *meta, const char *path, ef_error *err)
{
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    ef_safetensors_file *f = NULL;
    ef_model *m = NULL;
    ef_code rc = ef_safetensors_open(&f, path, err);
    if (rc != EF_OK) return rc;
    const char *fmt = ef_safetensors_meta(f, "emofuse.format");
    if (!fmt || strcmp(fmt, MODEL_FORMAT) != 0) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: not an emofuse model (metadata emofuse.format is '%s', expected '%s')",
                     path, fmt ? fmt : "(missing)", MODEL_FORMAT);
        goto fail;
    }
    const char *cjson = ef_safetensors_meta(f, "emofuse.config");
    if (!cjson) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: metadata 'emofuse.config' is missing", path);
        goto fail;
    }
    ef_model_config cfg = ef_model_config_default_params(EF_SYS_TEXT);
    char what[1100];
    snprintf(what, sizeof what, "%s: emofuse.config", path);
    if ((rc = ef_model_config_from_json(&cfg, cjson, what, err)) != EF_OK) goto fail;
    if ((rc = ef_model_create(&m, &cfg, err)) != EF_OK) goto fail;
    if ((rc = parse_labels(meta, ef_safetensors_meta(f, "emofuse.labels"), cfg.n_classes, path, err)) != EF_OK)
        goto fail;
    if (m->has_text && (rc = expect_kind(meta->text_kind, sizeof meta->text_kind, f, "emofuse.text_kind",
                                         "emofuse.text_dim", cfg.text.input_dim, path, err)) != EF_OK)
        goto fail;
    if (m->has_audio && (rc = expect_kind(meta->audio_kind, sizeof meta->audio_kind, f, "emofuse.audio_kind",
                                          "emofuse.audio_dim", cfg.audio.input_dim, path, err)) != EF_OK)
        goto fail;

    /* Provenance of the features (optional: older files lack it); JSON checked by its user. */
    const char *tf = m->has_text ? ef_safetensors_meta(f, "emofuse.text_features") : NULL;
    const char *af = m->has_audio ? ef_safetensors_meta(f, "emofuse.audio_features") : NULL;
    if ((tf && !(meta->text_features = strdup(tf))) || (af && !(meta->audio_features = strdup(af)))) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }

    int64_t expected = 0;
    for (int i = 0; i < m->params.n; i++) {
        const ef_tensor_info *t = &m->params.t[i];
        const ef_safetensors_tensor *st;
        if ((rc = ef_safetensors_expect(f, t->name, t->ndim, t->shape, &st, err)) != EF_OK) goto fail;
        if ((rc = read_tensor(ef_params_value(&m->params, i), st, t->numel, path, err)) != EF_OK) goto fail;
        expected++;
    }
    if (m->has_audio && ef_safetensors_find(f, "norm.audio.mean")) {
        int64_t da = cfg.audio.input_dim;
        const ef_safetensors_tensor *tm, *ts;
        if ((rc = ef_safetensors_expect(f, "norm.audio.mean", 1, &da, &tm, err)) != EF_OK ||
            (rc = ef_safetensors_expect(f, "norm.audio.std", 1, &da, &ts, err)) != EF_OK)
            goto fail;
        meta->audio_mean = malloc((size_t)da * sizeof(float));
        meta->audio_std = malloc((size_t)da * sizeof(float));
        if (!meta->audio_mean || !meta->audio_std) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        if ((rc = read_tensor(meta->audio_mean, tm, da, path, err)) != EF_OK ||
            (rc = read_tensor(meta->audio_std, ts, da, path, err)) != EF_OK)
            goto fail;
        for (int64_t i = 0; i < da; i++)
            if (!(meta->audio_std[i] > 0.0f)) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: norm.audio.std[%lld] is not positive", path, (long long)i);
                goto fail;
            }
        expected += 2;
    }
    if (ef_safetensors_count(f) != expected) {
        for (int64_t i = 0; i < ef_safetensors_count(f); i++) {
            const char *name = ef_safetensors_get(f, i)->name;
            if (ef_params_find(&m->params, name) < 0 &&
                !(meta->audio_mean && (strcmp(name, "norm.audio.mean") == 0 || strcmp(name, "norm.audio.std") == 0))) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: unexpected tensor '%s' for a %s model", path, name,
                             ef_system_name(cfg.system));
                goto fail;
            }
        }
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: %lld tensors, expected %lld", path, (long long)ef_safetensors_count(f),
                     (long long)expected);
        goto fail;
    }
    ef_safetensors_close(f);
    *out = m;
    return EF_OK;
fail:
    ef_model_free(m);
    ef_model_meta_free(meta);
    ef_safetensors_close(f);
    return rc;
}
