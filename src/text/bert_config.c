/* Reading a HuggingFace BERT config.json into ef_bert_config. Every required key is
 * checked for presence, JSON type and range, and errors name the file and the key, so a
 * wrong or truncated config fails here instead of as a strange shape error later. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "emofuse/bert.h"

/* Config files are tiny; anything bigger is not a BERT config. */
#define CONFIG_MAX_BYTES (1u << 20)

static ef_code get_int(const char *name, json_object *root, const char *key, long lo, long hi, int *out,
                       ef_error *err)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v))
        return ef_fail(err, EF_ERR_FORMAT, "%s: missing key '%s'", name, key);
    if (!json_object_is_type(v, json_type_int))
        return ef_fail(err, EF_ERR_FORMAT, "%s: key '%s' must be an integer", name, key);
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (errno != 0 || x < lo || x > hi)
        return ef_fail(err, EF_ERR_FORMAT, "%s: key '%s' = %lld is out of range [%ld, %ld]", name, key,
                       (long long)x, lo, hi);
    *out = (int)x;
    return EF_OK;
}

ef_code ef_bert_config_parse(ef_bert_config *cfg, const char *json, size_t len, const char *name,
                             ef_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (len > CONFIG_MAX_BYTES)
        return ef_fail(err, EF_ERR_FORMAT, "%s: too large for a config file (%zu bytes)", name, len);
    json_tokener *tok = json_tokener_new();
    if (!tok) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", name);
    json_object *root = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    /* Reject trailing garbage after the object too. */
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        if (root) json_object_put(root);
        return ef_fail(err, EF_ERR_FORMAT, "%s: malformed JSON: %s", name,
                       jerr == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(jerr));
    }
    for (size_t i = used; i < len; i++) {
        char c = json[i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != '\0') {
            json_object_put(root);
            return ef_fail(err, EF_ERR_FORMAT, "%s: malformed JSON: trailing data after the object", name);
        }
    }
    ef_code rc = EF_OK;
    if (!json_object_is_type(root, json_type_object)) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: top level must be a JSON object", name);
        goto done;
    }
    /* Bounds: generous for real BERTs, small enough that products cannot overflow. */
    if ((rc = get_int(name, root, "num_hidden_layers", 1, EF_BERT_MAX_LAYERS, &cfg->n_layers, err))) goto done;
    if ((rc = get_int(name, root, "hidden_size", 1, 16384, &cfg->hidden, err))) goto done;
    if ((rc = get_int(name, root, "num_attention_heads", 1, 1024, &cfg->n_heads, err))) goto done;
    if ((rc = get_int(name, root, "intermediate_size", 1, 65536, &cfg->intermediate, err))) goto done;
    if ((rc = get_int(name, root, "max_position_embeddings", 3, 65536, &cfg->max_positions, err))) goto done;
    if ((rc = get_int(name, root, "vocab_size", 1, 1 << 24, &cfg->vocab_size, err))) goto done;
    if ((rc = get_int(name, root, "type_vocab_size", 1, 1024, &cfg->type_vocab_size, err))) goto done;
    if (cfg->hidden % cfg->n_heads != 0) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'num_attention_heads' = %d does not divide hidden_size = %d",
                     name, cfg->n_heads, cfg->hidden);
        goto done;
    }
    json_object *v;
    if (!json_object_object_get_ex(root, "layer_norm_eps", &v)) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: missing key 'layer_norm_eps'", name);
        goto done;
    }
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'layer_norm_eps' must be a number", name);
        goto done;
    }
    double eps = json_object_get_double(v);
    /* Checked as the float we compute with: 1e-82 is positive as a double but 0 as a float. */
    if (!(eps >= (double)FLT_MIN && eps < 1.0)) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'layer_norm_eps' = %g is out of range [%g, 1)", name, eps,
                     (double)FLT_MIN);
        goto done;
    }
    cfg->layer_norm_eps = (float)eps;
    if (!json_object_object_get_ex(root, "hidden_act", &v)) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: missing key 'hidden_act'", name);
        goto done;
    }
    if (!json_object_is_type(v, json_type_string)) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'hidden_act' must be a string", name);
        goto done;
    }
    if (strcmp(json_object_get_string(v), "gelu") != 0) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'hidden_act' = \"%.64s\" is not supported (only \"gelu\")",
                     name, json_object_get_string(v));
        goto done;
    }
    /* position_embedding_type other than "absolute" changes the model: refuse it. */
    if (json_object_object_get_ex(root, "position_embedding_type", &v)) {
        if (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "absolute") != 0) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: key 'position_embedding_type' must be \"absolute\"", name);
            goto done;
        }
    }
done:
    json_object_put(root);
    if (rc != EF_OK) memset(cfg, 0, sizeof *cfg);
    return rc;
}

ef_code ef_bert_config_load(ef_bert_config *cfg, const char *path, ef_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(fp);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t len = fread(buf, 1, CONFIG_MAX_BYTES + 1, fp);
    int bad = ferror(fp);
    fclose(fp);
    ef_code rc;
    if (bad) rc = ef_fail(err, EF_ERR_IO, "%s: read error", path);
    else rc = ef_bert_config_parse(cfg, buf, len, path, err);
    free(buf);
    return rc;
}
