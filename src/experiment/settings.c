/* Experiment settings: a JSON object checked against a small schema (every key has one
 * type), the defaults, the pepino2020 preset, JSON files and KEY=VALUE overrides. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/json_strict.h"
#include "experiment/internal.h"

typedef enum { T_STR, T_INT, T_LIST, T_INT_MAP, T_BLOCK, T_OBJECT, T_INTS } key_type;

typedef struct {
    const char *key;
    key_type type;
    const char *help;
} schema_entry;

/* Every top-level key; `figure2` is a block of systems/protocols/variants lists. */
static const schema_entry schema[] = {
    {"manifest", T_STR, "corpus manifest (emofuse corpus ...)"},
    {"label_map", T_STR, "label-map file (raw=class lines); empty = the 4 classes"},
    {"protocol", T_LIST, "fold protocols of the main grid (first one names Table 1)"},
    {"k", T_INT, "folds for random and speaker protocols"},
    {"fold_seed", T_INT, "seed of random/speaker fold assignment"},
    {"systems", T_LIST, "audio, bert, glove, ef-cs, ef-pt, ef-ws, lf-cs, lf-pt, lf-ws"},
    {"variants", T_LIST, "model sizes: small (half), default, large (twice)"},
    {"seeds", T_INT, "seeds per run (1..N)"},
    {"epochs", T_INT_MAP, "epochs per system (epochs.audio=30); 20 when not given"},
    {"batch_size", T_INT, "minibatch size"},
    {"fusion_text", T_STR, "text features of the fusion systems: bert or glove"},
    {"bert", T_STR, "BERT model folder (HuggingFace layout); empty = $EMOFUSE_BERT"},
    {"glove", T_STR, "GloVe text file or index"},
    {"figure2", T_BLOCK, "extra grid {systems, protocols, variants}; off = none"},
    {"model", T_OBJECT, "model-size overrides (docs/models.md) applied before variants"},
    {"select_epochs", T_STR, "off (epochs.<system>), test (the paper: best median AvAUC of the first 5 seeds "
                             "on the test folds; optimistic) or inner (an inner validation split)"},
    {"epoch_candidates", T_INTS, "epochs scored when select_epochs is test or inner"},
    {"corpus", T_STR, "corpus name in the report and Figure 3's panel; empty = from the manifest"},
    {"report", T_INT_MAP, "significance: report.bootstrap (resamples, 1000), report.permutations (1000), "
                          "report.seed (1)"},
};
#define N_SCHEMA (int)(sizeof schema / sizeof schema[0])

static const char *const defaults_json =
    "{\"manifest\": \"\", \"label_map\": \"\", \"protocol\": [\"speaker\"], \"k\": 5, \"fold_seed\": 1,"
    " \"systems\": [\"audio\"], \"variants\": [\"default\"], \"seeds\": 3, \"epochs\": {}, \"batch_size\": 32,"
    " \"fusion_text\": \"bert\", \"bert\": \"\", \"glove\": \"\", \"figure2\": null, \"model\": {},"
    " \"select_epochs\": \"off\", \"epoch_candidates\": [5, 10, 15, 20, 25, 30], \"corpus\": \"\","
    " \"report\": {\"bootstrap\": 1000, \"permutations\": 1000, \"seed\": 1}}";

/* The paper: Table 1 / Figure 3 under speaker-script folds, Figure 2's fold study for
 * audio and BERT at three sizes. glove runs when a GloVe file is given. */
static const char *const pepino2020_json =
    "{\"protocol\": [\"speaker-script\"], \"seeds\": 10,"
    " \"systems\": [\"audio\", \"glove\", \"bert\", \"ef-cs\", \"ef-pt\", \"ef-ws\", \"lf-pt\"],"
    " \"figure2\": {\"systems\": [\"audio\", \"bert\"], \"protocols\": [\"random\", \"speaker\", \"speaker-script\"],"
    " \"variants\": [\"small\", \"default\", \"large\"]}}";

static const schema_entry *find_key(const char *key)
{
    for (int i = 0; i < N_SCHEMA; i++)
        if (strcmp(schema[i].key, key) == 0) return &schema[i];
    return NULL;
}

static ef_code unknown_key(const char *where, const char *key, ef_error *err)
{
    char keys[1024] = "";
    for (int i = 0; i < N_SCHEMA; i++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? ", " : "", schema[i].key);
    return ef_fail(err, EF_ERR_ARG, "%s: unknown setting '%s' (known: %s)", where, key, keys);
}

static bool is_list_of_strings(json_object *v)
{
    if (!json_object_is_type(v, json_type_array)) return false;
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string)) return false;
    return true;
}

/* Type-check one value for a schema entry. */
static ef_code check_value(const schema_entry *e, json_object *v, const char *where, ef_error *err)
{
    bool ok = false;
    switch (e->type) {
    case T_STR: ok = json_object_is_type(v, json_type_string); break;
    case T_INT: ok = json_object_is_type(v, json_type_int); break;
    case T_LIST: ok = is_list_of_strings(v); break;
    case T_INT_MAP:
        ok = json_object_is_type(v, json_type_object);
        if (ok) {
            json_object_object_foreach(v, k, val)
            {
                (void)k;
                if (!json_object_is_type(val, json_type_int)) ok = false;
            }
        }
        break;
    case T_BLOCK:
        ok = v == NULL || json_object_is_type(v, json_type_null);
        if (!ok && json_object_is_type(v, json_type_object)) {
            ok = true;
            json_object_object_foreach(v, k, val)
            {
                if ((strcmp(k, "systems") && strcmp(k, "protocols") && strcmp(k, "variants")) || !is_list_of_strings(val))
                    ok = false;
            }
        }
        break;
    case T_OBJECT: ok = json_object_is_type(v, json_type_object); break;
    case T_INTS:
        ok = json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0;
        for (size_t i = 0; ok && i < json_object_array_length(v); i++)
            ok = json_object_is_type(json_object_array_get_idx(v, i), json_type_int) &&
                 json_object_get_int(json_object_array_get_idx(v, i)) >= 1;
        break;
    }
    if (ok) return EF_OK;
    static const char *const names[] = {"a string", "an integer", "a list of strings", "an object of integers",
                                        "null or {systems, protocols, variants} lists", "an object",
                                        "a non-empty list of positive integers"};
    return ef_fail(err, EF_ERR_ARG, "%s: '%s' must be %s", where, e->key, names[e->type]);
}

/* Copy every key of `src` into x (type-checked); epochs merge key by key. */
static ef_code merge(ef_experiment *x, json_object *src, const char *where, ef_error *err)
{
    if (!json_object_is_type(src, json_type_object))
        return ef_fail(err, EF_ERR_FORMAT, "%s: the settings must be a JSON object", where);
    json_object_object_foreach(src, key, val)
    {
        const schema_entry *e = find_key(key);
        if (!e) return unknown_key(where, key, err);
        ef_code rc = check_value(e, val, where, err);
        if (rc) return rc;
        if (e->type == T_INT_MAP) {
            json_object *dst = json_object_object_get(x->root, key);
            json_object_object_foreach(val, k2, v2) json_object_object_add(dst, k2, json_object_get(v2));
        } else {
            json_object_object_add(x->root, key, json_object_get(val));
        }
    }
    return EF_OK;
}

ef_code ef_experiment_new(ef_experiment **out, const char *preset, ef_error *err)
{
    *out = NULL;
    ef_experiment *x = calloc(1, sizeof *x);
    if (!x) return ef_fail(err, EF_ERR_NOMEM, "experiment: out of memory");
    x->root = json_tokener_parse(defaults_json);
    ef_code rc = x->root ? EF_OK : ef_fail(err, EF_ERR_INTERNAL, "experiment: bad built-in defaults");
    if (!rc && preset) {
        if (strcmp(preset, "pepino2020") != 0) {
            rc = ef_fail(err, EF_ERR_ARG, "unknown preset '%s' (known: pepino2020)", preset);
        } else {
            json_object *p = json_tokener_parse(pepino2020_json);
            rc = p ? merge(x, p, "preset pepino2020", err) : ef_fail(err, EF_ERR_INTERNAL, "bad preset");
            json_object_put(p);
        }
    }
    if (rc) {
        ef_experiment_free(x);
        return rc;
    }
    *out = x;
    return EF_OK;
}

void ef_experiment_free(ef_experiment *x)
{
    if (!x) return;
    json_object_put(x->root);
    free(x);
}

ef_code ef_experiment_load(ef_experiment *x, const char *path, ef_error *err)
{
    /* Strict (json_strict.h): a duplicated key or a comment is an error, not a silent
     * "last one wins". */
    json_object *j = NULL;
    ef_code rc = ef_json_load_strict(&j, path, (size_t)1 << 24, err);
    if (rc) return rc;
    rc = merge(x, j, path, err);
    json_object_put(j);
    return rc;
}

/* "a,b,c" -> ["a","b","c"] (empty items dropped). */
static json_object *split_list(const char *v)
{
    json_object *arr = json_object_new_array();
    const char *p = v;
    while (arr && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ') p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (n) json_object_array_add(arr, json_object_new_string_len(p, (int)n));
        if (!e) break;
        p = e + 1;
    }
    return arr;
}

static ef_code parse_int(const char *key, const char *v, json_object **out, ef_error *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0 || n > 1000000000L)
        return ef_fail(err, EF_ERR_ARG, "--set %s: '%s' is not a non-negative integer", key, v);
    *out = json_object_new_int64(n);
    return EF_OK;
}

ef_code ef_experiment_set(ef_experiment *x, const char *assignment, ef_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) return ef_fail(err, EF_ERR_ARG, "--set '%s': expected KEY=VALUE", assignment);
    char key[128];
    if ((size_t)(eq - assignment) >= sizeof key) return ef_fail(err, EF_ERR_ARG, "--set: key too long");
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    const char *v = eq + 1;
    char *dot = strchr(key, '.');
    if (dot) *dot = '\0';
    const schema_entry *e = find_key(key);
    if (!e) return unknown_key("--set", key, err);
    json_object *val = NULL;
    ef_code rc = EF_OK;
    if (dot) {
        const char *sub = dot + 1;
        if (e->type == T_INT_MAP) {
            rc = parse_int(assignment, v, &val, err);
            if (!rc) json_object_object_add(json_object_object_get(x->root, key), sub, val);
            return rc;
        }
        if (e->type == T_BLOCK && (!strcmp(sub, "systems") || !strcmp(sub, "protocols") || !strcmp(sub, "variants"))) {
            json_object *blk = json_object_object_get(x->root, key);
            if (!json_object_is_type(blk, json_type_object)) {
                blk = json_object_new_object();
                json_object_object_add(x->root, key, blk);
            }
            json_object_object_add(blk, sub, split_list(v));
            return EF_OK;
        }
        return ef_fail(err, EF_ERR_ARG, "--set %s: '%s' has no sub-key '%s'", assignment, key, sub);
    }
    switch (e->type) {
    case T_STR: val = json_object_new_string(v); break;
    case T_INT: rc = parse_int(key, v, &val, err); break;
    case T_LIST: val = split_list(v); break;
    case T_INTS: {
        json_object *arr = split_list(v);
        val = json_object_new_array();
        for (size_t i = 0; !rc && i < json_object_array_length(arr); i++) {
            json_object *n = NULL;
            rc = parse_int(key, json_object_get_string(json_object_array_get_idx(arr, i)), &n, err);
            if (!rc && json_object_get_int(n) < 1) {
                json_object_put(n);
                rc = ef_fail(err, EF_ERR_ARG, "--set %s: epochs must be at least 1", key);
            }
            if (!rc) json_object_array_add(val, n);
        }
        json_object_put(arr);
        if (!rc && json_object_array_length(val) == 0) rc = ef_fail(err, EF_ERR_ARG, "--set %s: empty list", key);
        if (rc) json_object_put(val);
        break;
    }
    case T_BLOCK:
        if (strcmp(v, "off") && strcmp(v, "null") && strcmp(v, "none"))
            return ef_fail(err, EF_ERR_ARG, "--set %s: use %s.systems=..., %s.protocols=..., %s.variants=... or "
                           "%s=off", assignment, key, key, key, key);
        val = NULL;
        break;
    case T_INT_MAP:
    case T_OBJECT: {
        json_object *j = NULL;
        char what[200];
        snprintf(what, sizeof what, "--set %s", key);
        if (ef_json_parse_strict(&j, v, strlen(v), what, err)) return EF_ERR_ARG;
        if (!json_object_is_type(j, json_type_object)) {
            json_object_put(j);
            return ef_fail(err, EF_ERR_ARG, "--set %s: expected a JSON object", key);
        }
        json_object *wrap = json_object_new_object();
        json_object_object_add(wrap, key, j);
        rc = merge(x, wrap, "--set", err);
        json_object_put(wrap);
        return rc;
    }
    }
    if (!rc) json_object_object_add(x->root, key, val);
    return rc;
}

char *ef_experiment_json(const ef_experiment *x)
{
    const char *s = json_object_to_json_string_ext(x->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
    return s ? strdup(s) : NULL;
}

/* ---- typed access for the rest of the module ---- */

const char *exp_str(const ef_experiment *x, const char *key)
{
    const char *s = json_object_get_string(json_object_object_get(x->root, key));
    return s ? s : "";
}

int exp_int(const ef_experiment *x, const char *key) { return json_object_get_int(json_object_object_get(x->root, key)); }

int exp_list(const ef_experiment *x, const char *key, const char *sub, const char **items, int max)
{
    json_object *v = json_object_object_get(x->root, key);
    if (sub) v = json_object_is_type(v, json_type_object) ? json_object_object_get(v, sub) : NULL;
    if (!json_object_is_type(v, json_type_array)) return 0;
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(v) && n < max; i++)
        items[n++] = json_object_get_string(json_object_array_get_idx(v, i));
    return n;
}

bool exp_has_block(const ef_experiment *x, const char *key)
{
    return json_object_is_type(json_object_object_get(x->root, key), json_type_object);
}

int exp_epochs(const ef_experiment *x, const char *system)
{
    json_object *v = json_object_object_get(json_object_object_get(x->root, "epochs"), system);
    return v ? json_object_get_int(v) : EXP_DEFAULT_EPOCHS;
}

/* select_epochs as an enum; candidates sorted ascending, duplicates removed. */
int exp_report_int(const ef_experiment *x, const char *key, int fallback)
{
    json_object *v = json_object_object_get(json_object_object_get(x->root, "report"), key);
    return v ? json_object_get_int(v) : fallback;
}

exp_select exp_selection(const ef_experiment *x)
{
    const char *s = exp_str(x, "select_epochs");
    return !strcmp(s, "test") ? EXP_SELECT_TEST : !strcmp(s, "inner") ? EXP_SELECT_INNER : EXP_SELECT_OFF;
}

int exp_candidates(const ef_experiment *x, int *out, int max)
{
    json_object *v = json_object_object_get(x->root, "epoch_candidates");
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(v) && n < max; i++) {
        int e = json_object_get_int(json_object_array_get_idx(v, i)), j = n;
        bool dup = false;
        for (int k = 0; k < n; k++) dup |= out[k] == e;
        if (dup) continue;
        while (j > 0 && out[j - 1] > e) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = e;
        n++;
    }
    return n;
}

const char *exp_model_json(const ef_experiment *x)
{
    return json_object_to_json_string_ext(json_object_object_get(x->root, "model"), JSON_C_TO_STRING_PLAIN);
}

/* ---- validation ---- */

static ef_code check_lists(const ef_experiment *x, const char *key, const char *sub, ef_error *err)
{
    const char *items[EXP_MAX_LIST];
    int n = exp_list(x, key, sub, items, EXP_MAX_LIST);
    const char *what = sub ? sub : key;
    if (n == 0) return ef_fail(err, EF_ERR_ARG, "setting '%s%s%s' is empty", key, sub ? "." : "", sub ? sub : "");
    for (int i = 0; i < n; i++) {
        ef_code rc = EF_OK;
        if (!strcmp(what, "systems")) {
            exp_system s;
            rc = exp_system_parse(items[i], exp_str(x, "fusion_text"), &s, err);
        } else if (!strcmp(what, "protocol") || !strcmp(what, "protocols")) {
            ef_folds_params fp = ef_folds_default_params();
            rc = ef_fold_protocol_parse(items[i], &fp, err);
        } else if (strcmp(items[i], "small") && strcmp(items[i], "default") && strcmp(items[i], "large")) {
            rc = ef_fail(err, EF_ERR_ARG, "unknown variant '%s' (small, default, large)", items[i]);
        }
        if (rc) return rc;
    }
    return EF_OK;
}

/* Which feature stores the grid reads (exp_input bits); glove systems without a GloVe
 * file are left out of the grid, so they need nothing. */
int exp_needed_inputs(const ef_experiment *x)
{
    int need = 0;
    const char *blocks[2] = {NULL, "figure2"};
    for (int b = 0; b < 2; b++) {
        if (b && !exp_has_block(x, "figure2")) break;
        const char *items[EXP_MAX_LIST];
        int n = b ? exp_list(x, "figure2", "systems", items, EXP_MAX_LIST) : exp_list(x, "systems", NULL, items, EXP_MAX_LIST);
        (void)blocks;
        for (int i = 0; i < n; i++) {
            exp_system s;
            if (strcmp(items[i], "glove") == 0 && !exp_str(x, "glove")[0]) continue;
            if (exp_system_parse(items[i], exp_str(x, "fusion_text"), &s, NULL) == EF_OK) need |= s.inputs;
        }
    }
    return need;
}

ef_code ef_experiment_validate(const ef_experiment *x, ef_error *err)
{
    if (!exp_str(x, "manifest")[0])
        return ef_fail(err, EF_ERR_ARG, "no manifest: set manifest=FILE (emofuse corpus ... writes one)");
    ef_code rc = check_lists(x, "systems", NULL, err);
    if (!rc) rc = check_lists(x, "protocol", NULL, err);
    if (!rc) rc = check_lists(x, "variants", NULL, err);
    if (!rc && exp_has_block(x, "figure2")) {
        rc = check_lists(x, "figure2", "systems", err);
        if (!rc) rc = check_lists(x, "figure2", "protocols", err);
        if (!rc) rc = check_lists(x, "figure2", "variants", err);
    }
    if (rc) return rc;
    if (exp_int(x, "seeds") < 1 || exp_int(x, "seeds") > 1000)
        return ef_fail(err, EF_ERR_ARG, "seeds = %d is outside 1..1000", exp_int(x, "seeds"));
    if (exp_int(x, "batch_size") < 1) return ef_fail(err, EF_ERR_ARG, "batch_size must be at least 1");
    if (exp_int(x, "k") < 2 || exp_int(x, "k") > 64) return ef_fail(err, EF_ERR_ARG, "k = %d is outside 2..64", exp_int(x, "k"));
    json_object_object_foreach(json_object_object_get(x->root, "epochs"), sys, ep)
    {
        if (json_object_get_int(ep) < 1) return ef_fail(err, EF_ERR_ARG, "epochs.%s must be at least 1", sys);
    }
    json_object_object_foreach(json_object_object_get(x->root, "report"), rk, rv)
    {
        if (strcmp(rk, "bootstrap") && strcmp(rk, "permutations") && strcmp(rk, "seed"))
            return ef_fail(err, EF_ERR_ARG, "report.%s: unknown (known: report.bootstrap, report.permutations, "
                           "report.seed)", rk);
        if (json_object_get_int(rv) < (strcmp(rk, "seed") ? 1 : 0))
            return ef_fail(err, EF_ERR_ARG, "report.%s must be at least %d", rk, strcmp(rk, "seed") ? 1 : 0);
    }
    ef_model_config cfg = ef_model_config_default_params(EF_SYS_EF);
    rc = ef_model_config_from_json(&cfg, exp_model_json(x), "setting 'model'", err);
    if (rc) return rc;
    const char *sel = exp_str(x, "select_epochs");
    if (strcmp(sel, "off") && strcmp(sel, "test") && strcmp(sel, "inner"))
        return ef_fail(err, EF_ERR_ARG, "select_epochs '%s' is not off, test or inner", sel);
    int need = exp_needed_inputs(x);
    if ((need & EXP_IN_BERT) && !exp_str(x, "bert")[0] && !getenv("EMOFUSE_BERT"))
        return ef_fail(err, EF_ERR_ARG, "the bert systems need a BERT model: set bert=DIR (a HuggingFace folder, e.g. "
                       "from `emofuse models fetch bert-base-uncased`), EMOFUSE_BERT=DIR, or bert=random for a "
                       "randomly initialised encoder");
    return EF_OK;
}
