/* Model configuration: defaults of the paper, validation, and the JSON form stored in
 * config files (--config) and model files. Partial JSON overrides the defaults; an unknown
 * key is an error so that typos do not silently train the default model. */
#include <json-c/json.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/json_strict.h"
#include "emofuse/nn_model.h"

/* 2^28 weights: 1 GB of floats, 4 GB with Adam's moments and the gradients; the paper's
 * largest model has about 10^6. */
#define EF_MODEL_MAX_WEIGHTS ((int64_t)1 << 28)

static const char *const system_names[] = {"text", "audio", "ef", "lf"};
static const char *const strategy_names[] = {"cs", "pt", "ws"};

const char *ef_system_name(ef_system s)
{
    return (unsigned)s < 4 ? system_names[s] : "?";
}

int ef_system_parse(const char *s, ef_system *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, system_names[i]) == 0) {
            *out = (ef_system)i;
            return 0;
        }
    return -1;
}

const char *ef_strategy_name(ef_strategy s)
{
    return (unsigned)s < 3 ? strategy_names[s] : "?";
}

int ef_strategy_parse(const char *s, ef_strategy *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, strategy_names[i]) == 0) {
            *out = (ef_strategy)i;
            return 0;
        }
    return -1;
}

/* Figure 1's sizes did not survive in the paper text; these keep every stated number
 * (768 -> 128 in L_T1, 232-d early-fusion embedding, 128 hidden units, 4 classes): the
 * text branch stays 128 wide, the audio branch gets the remaining 232 - 128 = 104. */
ef_model_config ef_model_config_default_params(ef_system system)
{
    ef_model_config c;
    memset(&c, 0, sizeof c);
    c.system = system;
    c.n_classes = 4;
    c.text.input_dim = 768;
    c.text.dense_units = 128;
    c.text.conv1_filters = 128;
    c.text.conv1_kernel = 3;
    c.text.conv2_filters = 128;
    c.text.conv2_kernel = 3;
    c.text.batch_norm = 1;
    c.text.dropout = 0.0f;
    c.audio.input_dim = 36;
    c.audio.conv1_filters = 104;
    c.audio.conv1_kernel = 5;
    c.audio.conv2_filters = 104;
    c.audio.conv2_kernel = 5;
    c.audio.batch_norm = 1;
    c.audio.dropout = 0.5f;
    c.fusion_hidden = 128;
    c.bn_momentum = 0.99f;
    c.bn_eps = 1e-3f;
    return c;
}

static ef_code check_int(const char *key, int v, int lo, int hi, ef_error *err)
{
    if (v < lo || v > hi) return ef_fail(err, EF_ERR_ARG, "model config: %s = %d is outside [%d, %d]", key, v, lo, hi);
    return EF_OK;
}

ef_code ef_model_config_validate(const ef_model_config *c, ef_error *err)
{
    ef_code rc;
    if ((unsigned)c->system > EF_SYS_LF) return ef_fail(err, EF_ERR_ARG, "model config: unknown system");
#define CK(key, v, lo, hi) \
    if ((rc = check_int(key, v, lo, hi, err)) != EF_OK) return rc
    CK("n_classes", c->n_classes, 2, 16);
    CK("text.input_dim", c->text.input_dim, 1, 65536);
    CK("text.dense_units", c->text.dense_units, 1, 65536);
    CK("text.conv1_filters", c->text.conv1_filters, 1, 65536);
    CK("text.conv1_kernel", c->text.conv1_kernel, 1, 64);
    CK("text.conv2_filters", c->text.conv2_filters, 1, 65536);
    CK("text.conv2_kernel", c->text.conv2_kernel, 1, 64);
    CK("audio.input_dim", c->audio.input_dim, 1, 65536);
    CK("audio.conv1_filters", c->audio.conv1_filters, 1, 65536);
    CK("audio.conv1_kernel", c->audio.conv1_kernel, 1, 64);
    CK("audio.conv2_filters", c->audio.conv2_filters, 1, 65536);
    CK("audio.conv2_kernel", c->audio.conv2_kernel, 1, 64);
    CK("fusion_hidden", c->fusion_hidden, 1, 65536);
#undef CK
    if (!(c->text.dropout >= 0.0f && c->text.dropout < 1.0f))
        return ef_fail(err, EF_ERR_ARG, "model config: text.dropout = %g is outside [0, 1)", c->text.dropout);
    if (!(c->audio.dropout >= 0.0f && c->audio.dropout < 1.0f))
        return ef_fail(err, EF_ERR_ARG, "model config: audio.dropout = %g is outside [0, 1)", c->audio.dropout);
    if (!(c->bn_momentum >= 0.0f && c->bn_momentum < 1.0f))
        return ef_fail(err, EF_ERR_ARG, "model config: batch_norm_momentum = %g is outside [0, 1)", c->bn_momentum);
    if (!(c->bn_eps > 0.0f && c->bn_eps < 1.0f))
        return ef_fail(err, EF_ERR_ARG, "model config: batch_norm_eps = %g is outside (0, 1)", c->bn_eps);
    /* Each size is bounded alone, but their products are not: 60000 filters in both
     * convolutions would ask for 18e9 weights and fail later as "cannot allocate 0
     * parameters" (an int overflow). Count the weight matrices (64-bit) of the branches
     * the system uses and refuse a model past EF_MODEL_MAX_WEIGHTS up front. */
    const int text = c->system != EF_SYS_AUDIO, audio = c->system != EF_SYS_TEXT;
    const int fused = c->system == EF_SYS_EF || c->system == EF_SYS_LF;
    int64_t w = 0;
    if (text)
        w += (int64_t)c->text.input_dim * c->text.dense_units +
             (int64_t)c->text.dense_units * c->text.conv1_filters * c->text.conv1_kernel +
             (int64_t)c->text.conv1_filters * c->text.conv2_filters * c->text.conv2_kernel +
             (int64_t)c->text.conv2_filters * c->n_classes;
    if (audio)
        w += (int64_t)c->audio.input_dim * c->audio.conv1_filters * c->audio.conv1_kernel +
             (int64_t)c->audio.conv1_filters * c->audio.conv2_filters * c->audio.conv2_kernel +
             (int64_t)c->audio.conv2_filters * c->n_classes;
    if (fused)
        w += ((int64_t)c->text.conv2_filters + c->audio.conv2_filters) * c->fusion_hidden +
             (int64_t)c->fusion_hidden * c->n_classes;
    if (w > EF_MODEL_MAX_WEIGHTS)
        return ef_fail(err, EF_ERR_ARG,
                       "model config: about %lld weights (%.1f GB with the optimizer state), more than the "
                       "supported %lld: reduce the filter or unit counts", (long long)w, 16.0 * (double)w / 1e9,
                       (long long)EF_MODEL_MAX_WEIGHTS);
    return EF_OK;
}

/* One JSON field bound to a struct member. */
typedef enum { F_INT, F_BOOL, F_FLOAT } field_type;
typedef struct {
    const char *key;
    field_type type;
    size_t offset;
} field;

#define FI(k, m) {k, F_INT, offsetof(ef_model_config, m)}
#define FB(k, m) {k, F_BOOL, offsetof(ef_model_config, m)}
#define FF(k, m) {k, F_FLOAT, offsetof(ef_model_config, m)}
static const field text_fields[] = {
    FI("input_dim", text.input_dim),         FI("dense_units", text.dense_units),
    FI("conv1_filters", text.conv1_filters), FI("conv1_kernel", text.conv1_kernel),
    FI("conv2_filters", text.conv2_filters), FI("conv2_kernel", text.conv2_kernel),
    FB("batch_norm", text.batch_norm),       FF("dropout", text.dropout),
};
static const field audio_fields[] = {
    FI("input_dim", audio.input_dim),         FI("conv1_filters", audio.conv1_filters),
    FI("conv1_kernel", audio.conv1_kernel),   FI("conv2_filters", audio.conv2_filters),
    FI("conv2_kernel", audio.conv2_kernel),   FB("batch_norm", audio.batch_norm),
    FF("dropout", audio.dropout),
};
static const field top_fields[] = {
    FI("n_classes", n_classes),
    FI("fusion_hidden", fusion_hidden),
    FF("batch_norm_momentum", bn_momentum),
    FF("batch_norm_eps", bn_eps),
};
#undef FI
#undef FB
#undef FF
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static ef_code set_field(ef_model_config *c, const field *f, const char *path, json_object *v, const char *what,
                         ef_error *err)
{
    char *base = (char *)c + f->offset;
    json_type t = json_object_get_type(v);
    switch (f->type) {
    case F_INT: {
        if (t != json_type_int) return ef_fail(err, EF_ERR_FORMAT, "%s: '%s' must be an integer", what, path);
        int64_t x = json_object_get_int64(v);
        if (x < -1000000000 || x > 1000000000) return ef_fail(err, EF_ERR_FORMAT, "%s: '%s' is out of range", what, path);
        *(int *)base = (int)x;
        break;
    }
    case F_BOOL:
        if (t != json_type_boolean) return ef_fail(err, EF_ERR_FORMAT, "%s: '%s' must be true or false", what, path);
        *(int *)base = json_object_get_boolean(v) ? 1 : 0;
        break;
    case F_FLOAT:
        if (t != json_type_double && t != json_type_int)
            return ef_fail(err, EF_ERR_FORMAT, "%s: '%s' must be a number", what, path);
        /* + 0.0f turns -0 into 0: the config's JSON then reads back to the same values */
        *(float *)base = (float)json_object_get_double(v) + 0.0f;
        break;
    }
    return EF_OK;
}

static ef_code apply_fields(ef_model_config *c, json_object *obj, const field *fields, size_t nf, const char *prefix,
                            const char *what, ef_error *err)
{
    json_object_object_foreach(obj, key, val)
    {
        char path[96];
        snprintf(path, sizeof path, "%s%s", prefix, key);
        size_t i;
        for (i = 0; i < nf; i++)
            if (strcmp(fields[i].key, key) == 0) break;
        if (i == nf) return ef_fail(err, EF_ERR_FORMAT, "%s: unknown key '%s'", what, path);
        ef_code rc = set_field(c, &fields[i], path, val, what, err);
        if (rc != EF_OK) return rc;
    }
    return EF_OK;
}

/* Apply a parsed config object onto *cfg (unchanged on error). Takes root's reference. */
static ef_code config_from_object(ef_model_config *cfg, json_object *root, const char *what, ef_error *err)
{
    ef_model_config c = *cfg;
    ef_code rc = EF_OK;
    if (json_object_get_type(root) != json_type_object) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: model config must be a JSON object", what);
        goto done;
    }
    json_object_object_foreach(root, key, val)
    {
        if (strcmp(key, "system") == 0) {
            ef_system s;
            if (json_object_get_type(val) != json_type_string || ef_system_parse(json_object_get_string(val), &s) != 0) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: 'system' must be one of \"text\", \"audio\", \"ef\", \"lf\"", what);
                goto done;
            }
            c.system = s;
        } else if (strcmp(key, "text") == 0 || strcmp(key, "audio") == 0) {
            if (json_object_get_type(val) != json_type_object) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: '%s' must be an object", what, key);
                goto done;
            }
            int is_text = key[0] == 't';
            rc = apply_fields(&c, val, is_text ? text_fields : audio_fields,
                              is_text ? NFIELDS(text_fields) : NFIELDS(audio_fields), is_text ? "text." : "audio.", what,
                              err);
            if (rc != EF_OK) goto done;
        } else {
            size_t i;
            for (i = 0; i < NFIELDS(top_fields); i++)
                if (strcmp(top_fields[i].key, key) == 0) break;
            if (i == NFIELDS(top_fields)) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: unknown key '%s'", what, key);
                goto done;
            }
            rc = set_field(&c, &top_fields[i], key, val, what, err);
            if (rc != EF_OK) goto done;
        }
    }
    rc = ef_model_config_validate(&c, err);
    if (rc == EF_OK) *cfg = c;
    else ef_error_prefix(err, "%s", what);
done:
    json_object_put(root);
    return rc;
}

/* Strict JSON (json_strict.h): trailing text, comments, single quotes, trailing commas
 * and duplicate keys are errors with line and column, never "last one wins". */
ef_code ef_model_config_from_json(ef_model_config *cfg, const char *json, const char *what, ef_error *err)
{
    json_object *root = NULL;
    ef_code rc = ef_json_parse_strict(&root, json, strlen(json), what, err);
    return rc ? rc : config_from_object(cfg, root, what, err);
}

ef_code ef_model_config_load(ef_model_config *cfg, const char *path, ef_error *err)
{
    json_object *root = NULL;
    ef_code rc = ef_json_load_strict(&root, path, (size_t)1 << 24, err);
    return rc ? rc : config_from_object(cfg, root, path, err);
}

static void put_fields(json_object *obj, const ef_model_config *c, const field *fields, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        const char *base = (const char *)c + fields[i].offset;
        json_object *v = NULL;
        switch (fields[i].type) {
        case F_INT: v = json_object_new_int(*(const int *)base); break;
        case F_BOOL: v = json_object_new_boolean(*(const int *)base); break;
        /* Round-trip exactly: the float value printed with 9 significant digits. */
        case F_FLOAT: {
            char s[32];
            snprintf(s, sizeof s, "%.9g", (double)*(const float *)base);
            v = json_object_new_double_s(strtod(s, NULL), s);
            break;
        }
        }
        json_object_object_add(obj, fields[i].key, v);
    }
}

char *ef_model_config_to_json(const ef_model_config *c)
{
    json_object *root = json_object_new_object();
    if (!root) return NULL;
    json_object_object_add(root, "system", json_object_new_string(ef_system_name(c->system)));
    put_fields(root, c, top_fields, NFIELDS(top_fields));
    json_object *t = json_object_new_object();
    put_fields(t, c, text_fields, NFIELDS(text_fields));
    json_object_object_add(root, "text", t);
    json_object *a = json_object_new_object();
    put_fields(a, c, audio_fields, NFIELDS(audio_fields));
    json_object_object_add(root, "audio", a);
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
    char *out = s ? strdup(s) : NULL;
    json_object_put(root);
    return out;
}
