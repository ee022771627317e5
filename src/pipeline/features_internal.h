/* Helpers shared by the feature-store builds of the pipeline (src/pipeline/features_*.c
 * only): the rows of a shard with their ids and fingerprints, and JSON serialisation. */
#ifndef EMOFUSE_PIPELINE_FEATURES_INTERNAL_H
#define EMOFUSE_PIPELINE_FEATURES_INTERNAL_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "emofuse/glove.h"
#include "emofuse/pipeline_features.h"

/* The manifest rows of one shard as ef_store_build wants them: item k is manifest row
 * first + k. */
typedef struct {
    int64_t first, n;
    const char **ids;  /* (n) pointers into the manifest */
    char **fps;        /* (n) malloc'ed input fingerprints, filled by the caller */
} ef_feature_rows;

/* Check the shard of o, fill report's shard fields and allocate rows (ids set, fps NULL).
 * EF_ERR_ARG for a bad shard. */
ef_code ef_feature_rows_init(ef_feature_rows *rows, const ef_manifest *m, const ef_pipeline_feature_opts *o,
                             ef_pipeline_feature_report *report, ef_error *err);
void ef_feature_rows_free(ef_feature_rows *rows);

/* A double as a JSON number: "%g" (what the stores have always recorded, so that their
 * emofuse.config strings stay byte-identical) unless that does not round-trip, then
 * "%.17g", so two different values never share a config. NULL on allocation failure. */
json_object *ef_feature_json_double(double v);

/* Compact JSON text of o without escaping '/' (paths stay readable), malloc'ed; NULL on
 * allocation failure. */
char *ef_feature_json_string(json_object *o);

/* A GloVe argument may be the text release or an index built from it: build the index
 * where `models glove-index` puts it (ef_glove_index_path; noted on log when not NULL)
 * once and reuse it. */
ef_code ef_feature_open_glove(const char *path, FILE *log, ef_glove **g, ef_error *err);

#endif
