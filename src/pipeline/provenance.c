/* Provenance of features: what a model file records about the features it was trained on
 * (the feature stores' emofuse.config), the identity of a BERT folder, and reading the
 * extraction parameters back out of a recorded config for the classifier. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/hash.h"
#include "emofuse/pipeline.h"
#include "pipeline/features_internal.h"

/* FNV-1a 64 of a whole file's bytes, streamed. */
static ef_code hash_file(const char *path, char hex[17], ef_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint64_t h = EF_FNV1A64_INIT;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) h = ef_fnv1a64(h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad) return ef_fail(err, EF_ERR_IO, "%s: read failed", path);
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
    return EF_OK;
}

ef_code ef_bert_identity(const char *dir, char config_hex[17], char vocab_hex[17], ef_error *err)
{
    size_t n = strlen(dir) + 16;
    char *p = malloc(n);
    if (!p) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
    snprintf(p, n, "%s/config.json", dir);
    ef_code rc = hash_file(p, config_hex, err);
    snprintf(p, n, "%s/vocab.txt", dir);
    if (!rc) rc = hash_file(p, vocab_hex, err);
    free(p);
    return rc;
}

ef_code ef_pipeline_record_features(ef_model_meta *meta, const ef_store *text, const ef_store *audio, ef_error *err)
{
    const char *tc = text ? ef_store_meta(text, "emofuse.config") : NULL;
    const char *ac = audio ? ef_store_meta(audio, "emofuse.config") : NULL;
    free(meta->text_features);
    free(meta->audio_features);
    meta->text_features = tc ? strdup(tc) : NULL;
    meta->audio_features = ac ? strdup(ac) : NULL;
    if ((tc && !meta->text_features) || (ac && !meta->audio_features))
        return ef_fail(err, EF_ERR_NOMEM, "model features: out of memory");
    return EF_OK;
}

/* ---- reading a recorded config back ------------------------------------------------- */

static ef_code get_num(json_object *o, const char *key, int required, double *out, const char *what, ef_error *err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v)) {
        if (required) return ef_fail(err, EF_ERR_FORMAT, "%s: key '%s' is missing", what, key);
        return EF_OK;
    }
    json_type t = json_object_get_type(v);
    if (t != json_type_int && t != json_type_double)
        return ef_fail(err, EF_ERR_FORMAT, "%s: key '%s' is not a number", what, key);
    *out = json_object_get_double(v);
    return EF_OK;
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || json_object_get_type(v) != json_type_string) return NULL;
    return json_object_get_string(v);
}

static ef_code parse_object(json_object **o, const char *json, const char *extractor, const char *what,
                            ef_error *err)
{
    *o = json_tokener_parse(json);
    if (!*o || json_object_get_type(*o) != json_type_object) {
        json_object_put(*o);
        *o = NULL;
        return ef_fail(err, EF_ERR_FORMAT, "%s: not a JSON object", what);
    }
    const char *ex = get_str(*o, "extractor");
    if (!ex || strcmp(ex, extractor) != 0) {
        ef_code rc = ef_fail(err, EF_ERR_FORMAT, "%s: extractor '%s', expected '%s'", what, ex ? ex : "(missing)",
                             extractor);
        json_object_put(*o);
        *o = NULL;
        return rc;
    }
    return EF_OK;
}

ef_code ef_pipeline_lld_params_of(const char *config, ef_lld_params *p, const char *what, ef_error *err)
{
    *p = ef_lld_default_params();
    if (!config) return EF_OK;
    json_object *o;
    ef_code rc = parse_object(&o, config, "emofuse-lld-1", what, err);
    if (rc) return rc;
    double sr = 0, step = 0, size = 0, pitch = 0, smooth = 0, delta = 0;
    if (!rc) rc = get_num(o, "sample_rate", 1, &sr, what, err);
    if (!rc) rc = get_num(o, "frame_step", 1, &step, what, err);
    if (!rc) rc = get_num(o, "frame_size", 1, &size, what, err);
    if (!rc) rc = get_num(o, "pitch_frame_size", 1, &pitch, what, err);
    if (!rc) rc = get_num(o, "smooth_window", 1, &smooth, what, err);
    if (!rc) rc = get_num(o, "delta_window", 1, &delta, what, err);
    const char *vq = get_str(o, "voice_quality");
    if (!rc) {
        p->sample_rate = (int)sr;
        p->frame_step = step;
        p->frame_size = size;
        p->pitch_frame_size = pitch;
        p->smooth_window = (int)smooth;
        p->delta_window = (int)delta;
        if (vq && strcmp(vq, "cycles") == 0) p->voice_quality = EF_VQ_CYCLES;
        else if (vq && strcmp(vq, "opensmile") != 0)
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: unknown voice_quality '%s'", what, vq);
    }
    json_object_put(o);
    if (!rc && (rc = ef_lld_params_check(p, err))) ef_error_prefix(err, "%s", what);
    return rc;
}

ef_code ef_pipeline_text_source_of(const char *config, ef_pipeline_text_source *s, const char *what,
                                   ef_error *err)
{
    memset(s, 0, sizeof *s);
    s->bert = ef_bert_feat_default_params();
    s->layers = s->hidden = s->vocab = -1;
    if (!config) return EF_OK;
    json_object *o = json_tokener_parse(config);
    const char *ex = o && json_object_get_type(o) == json_type_object ? get_str(o, "extractor") : NULL;
    ef_code rc = EF_OK;
    if (!ex) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: not a feature config (no 'extractor')", what);
    } else if (strcmp(ex, "emofuse-bert-1") == 0) {
        double v[8] = {0};
        static const char *keys[8] = {"layers", "hidden", "vocab", "layer_first", "layer_count", "mean",
                                      "keep_special", "truncate"};
        for (int i = 0; i < 8 && !rc; i++) rc = get_num(o, keys[i], 1, &v[i], what, err);
        const char *model = get_str(o, "model"), *ch = get_str(o, "config_fnv"), *vh = get_str(o, "vocab_fnv");
        if (!rc && !model) rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'model' is missing", what);
        if (!rc) {
            s->is_bert = 1;
            snprintf(s->path, sizeof s->path, "%s", model);
            s->layers = (int)v[0];
            s->hidden = (int)v[1];
            s->vocab = (int)v[2];
            s->bert.layer_first = (int)v[3];
            s->bert.layer_count = (int)v[4];
            s->bert.mean = (int)v[5];
            s->bert.keep_special = (int)v[6];
            s->bert.truncate = (int)v[7];
            if (ch) snprintf(s->config_fnv, sizeof s->config_fnv, "%s", ch);
            if (vh) snprintf(s->vocab_fnv, sizeof s->vocab_fnv, "%s", vh);
        }
    } else if (strcmp(ex, "emofuse-glove-1") == 0) {
        double words = 0, dim = 0;
        const char *g = get_str(o, "glove");
        rc = get_num(o, "words", 1, &words, what, err);
        if (!rc) rc = get_num(o, "dim", 1, &dim, what, err);
        if (!rc && !g) rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'glove' is missing", what);
        if (!rc) {
            s->is_glove = 1;
            snprintf(s->path, sizeof s->path, "%s", g);
            s->words = (int64_t)words;
            s->hidden = (int)dim;
        }
    } else {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: unknown extractor '%s'", what, ex);
    }
    json_object_put(o);
    return rc;
}
