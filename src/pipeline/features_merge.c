/* Joining feature stores (the shards of one corpus) into one: checked for matching
 * features and disjoint ids, written atomically straight from the parts' mappings. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/safetensors.h"
#include "pipeline/features_internal.h"

/* Equal metadata values, both absent counting as equal. */
static bool same_meta(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* A part must hold the same features as the first one; the error names the part. */
static ef_code check_part(const ef_store *s, const char *path, const ef_store *ref, const char *ref_path,
                          ef_error *err)
{
    if (strcmp(ef_store_kind(s), ef_store_kind(ref)) != 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: a '%s' store, but %s is '%s'", path, ef_store_kind(s), ref_path,
                       ef_store_kind(ref));
    if (ef_store_dim(s) != ef_store_dim(ref))
        return ef_fail(err, EF_ERR_FORMAT, "%s: %d dims, but %s has %d", path, ef_store_dim(s), ref_path,
                       ef_store_dim(ref));
    if (!same_meta(ef_store_meta(s, "emofuse.columns"), ef_store_meta(ref, "emofuse.columns")))
        return ef_fail(err, EF_ERR_FORMAT, "%s: other columns (emofuse.columns) than %s", path, ref_path);
    const char *c = ef_store_meta(s, "emofuse.config"), *rc = ef_store_meta(ref, "emofuse.config");
    if (!same_meta(c, rc))
        return ef_fail(err, EF_ERR_FORMAT, "%s: extracted with other settings than %s: %s vs %s", path, ref_path,
                       c ? c : "(none)", rc ? rc : "(none)");
    return EF_OK;
}

/* "<part>.parts/" is the unfinished work of an interrupted build (feature_store.h): the
 * part file, if any, is older than what its build was asked for. */
static ef_code check_finished(const char *path, ef_error *err)
{
    size_t n = strlen(path) + 8;
    char *dir = malloc(n);
    if (!dir) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    snprintf(dir, n, "%s.parts", path);
    struct stat st;
    bool unfinished = stat(dir, &st) == 0;
    free(dir);
    if (unfinished)
        return ef_fail(err, EF_ERR_FORMAT, "%s: its build did not finish (%s.parts/ exists); run it again first", path,
                       path);
    return EF_OK;
}

ef_code ef_pipeline_merge_features(int64_t *n_utterances, const char *out_path, const char *const *part_paths,
                                   int n_parts, ef_error *err)
{
    if (n_utterances) *n_utterances = 0;
    if (n_parts < 1) return ef_fail(err, EF_ERR_ARG, "%s: no parts to merge", out_path);
    ef_store **parts = calloc((size_t)n_parts, sizeof *parts);
    json_object **sources = calloc((size_t)n_parts, sizeof *sources);
    json_object *merged = json_object_new_object();
    json_object *seen = json_object_new_object(); /* id -> index of the part holding it */
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    char *sources_json = NULL;
    ef_code rc = EF_OK;
    if (!parts || !sources || !merged || !seen || !w) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", out_path);

    /* Open and check every part before writing anything. */
    for (int k = 0; !rc && k < n_parts; k++) {
        const char *path = part_paths[k];
        rc = check_finished(path, err);
        if (!rc) rc = ef_store_open(&parts[k], path, err);
        if (!rc && k > 0) rc = check_part(parts[k], path, parts[0], part_paths[0], err);
        const char *src = rc ? NULL : ef_store_meta(parts[k], "emofuse.sources");
        if (!rc && (!src || !(sources[k] = json_tokener_parse(src)) ||
                    !json_object_is_type(sources[k], json_type_object)))
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: no valid emofuse.sources (not a store built by emofuse features)",
                         path);
    }
    int D = rc ? 0 : ef_store_dim(parts[0]);
    int64_t total = 0;
    for (int k = 0; !rc && k < n_parts; k++) {
        for (int64_t i = 0; !rc && i < ef_store_count(parts[k]); i++) {
            const char *id = ef_store_id(parts[k], i);
            json_object *other, *fp;
            if (json_object_object_get_ex(seen, id, &other)) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: utterance '%s' is also in %s", part_paths[k], id,
                             part_paths[json_object_get_int(other)]);
                break;
            }
            if (json_object_object_add(seen, id, json_object_new_int(k)) != 0) {
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", out_path);
                break;
            }
            const float *rows = NULL;
            int64_t T = 0;
            rc = ef_store_get(parts[k], id, &rows, &T, err);
            /* Not copied: the writer reads the rows from the part's mapping while saving. */
            if (!rc) rc = ef_safetensors_writer_add(w, id, EF_DT_F32, 2, (int64_t[]){T, D}, rows, err);
            /* The sources entry travels with its tensor (the builder writes both in the
             * same order, so the merged metadata equals an unsharded build's). */
            if (!rc && json_object_object_get_ex(sources[k], id, &fp) &&
                json_object_object_add(merged, id, json_object_get(fp)) != 0)
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", out_path);
            total++;
        }
    }
    /* The metadata keys in the order ef_store_build writes them. */
    if (!rc) {
        const char *columns = ef_store_meta(parts[0], "emofuse.columns");
        const char *config = ef_store_meta(parts[0], "emofuse.config");
        char dims[32];
        snprintf(dims, sizeof dims, "%d", D);
        rc = ef_safetensors_writer_meta(w, "emofuse.kind", ef_store_kind(parts[0]), err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.dims", dims, err);
        if (!rc && columns) rc = ef_safetensors_writer_meta(w, "emofuse.columns", columns, err);
        if (!rc && config) rc = ef_safetensors_writer_meta(w, "emofuse.config", config, err);
        /* The builder serialises sources with json-c's default slash escaping: do the same. */
        const char *s = rc ? NULL : json_object_to_json_string_ext(merged, JSON_C_TO_STRING_PLAIN);
        if (!rc && !(s && (sources_json = strdup(s)))) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", out_path);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.sources", sources_json, err);
        if (!rc) rc = ef_safetensors_writer_save(w, out_path, err);
    }
    if (!rc && n_utterances) *n_utterances = total;
    free(sources_json);
    ef_safetensors_writer_free(w);
    json_object_put(seen);
    json_object_put(merged);
    for (int k = 0; sources && k < n_parts; k++) json_object_put(sources[k]);
    for (int k = 0; parts && k < n_parts; k++) ef_store_close(parts[k]);
    free(sources);
    free(parts);
    return rc;
}
