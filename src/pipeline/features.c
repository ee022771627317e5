/* Feature-store builds: options, shards, reports and the helpers the kinds share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/features_internal.h"

ef_pipeline_feature_opts ef_pipeline_feature_default_params(void)
{
    return (ef_pipeline_feature_opts){.threads = 0, .shard_index = 1, .shard_count = 1, .progress = NULL,
                                      .log = NULL};
}

ef_code ef_pipeline_shard_check(int index, int count, ef_error *err)
{
    if (count < 1) return ef_fail(err, EF_ERR_ARG, "shard %d/%d: the count must be at least 1", index, count);
    if (index < 1 || index > count)
        return ef_fail(err, EF_ERR_ARG, "shard %d/%d: the index must be in 1..%d", index, count, count);
    return EF_OK;
}

void ef_pipeline_shard_range(int64_t n, int index, int count, int64_t *first, int64_t *end)
{
    EF_ASSERT(count >= 1 && index >= 1 && index <= count && n >= 0);
    /* floor((i-1) n / c) .. floor(i n / c): blocks differ in size by at most one row.
     * With n = q c + r, floor(i n / c) = i q + floor(i r / c): exact, and no product can
     * overflow (i, r < c <= INT_MAX). */
    int64_t q = n / count, r = n % count;
    *first = (int64_t)(index - 1) * q + (int64_t)(index - 1) * r / count;
    *end = (int64_t)index * q + (int64_t)index * r / count;
}

void ef_pipeline_feature_report_free(ef_pipeline_feature_report *r)
{
    ef_store_build_report_free(&r->store);
    memset(r, 0, sizeof *r);
}

ef_code ef_feature_rows_init(ef_feature_rows *rows, const ef_manifest *m, const ef_pipeline_feature_opts *o,
                             ef_pipeline_feature_report *report, ef_error *err)
{
    memset(rows, 0, sizeof *rows);
    ef_code rc = ef_pipeline_shard_check(o->shard_index, o->shard_count, err);
    if (rc) return rc;
    int64_t end = 0;
    report->manifest_rows = ef_manifest_rows(m);
    ef_pipeline_shard_range(report->manifest_rows, o->shard_index, o->shard_count, &rows->first, &end);
    report->first_row = rows->first;
    report->end_row = end;
    rows->n = end - rows->first;
    rows->ids = calloc((size_t)rows->n + 1, sizeof *rows->ids);
    rows->fps = calloc((size_t)rows->n + 1, sizeof *rows->fps);
    if (!rows->ids || !rows->fps) {
        ef_feature_rows_free(rows);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", ef_manifest_path(m));
    }
    for (int64_t k = 0; k < rows->n; k++) rows->ids[k] = ef_manifest_id(m, rows->first + k);
    return EF_OK;
}

void ef_feature_rows_free(ef_feature_rows *rows)
{
    if (rows->fps)
        for (int64_t k = 0; k < rows->n; k++) free(rows->fps[k]);
    free(rows->fps);
    free(rows->ids);
    memset(rows, 0, sizeof *rows);
}

json_object *ef_feature_json_double(double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    return json_object_new_double_s(v, buf);
}

char *ef_feature_json_string(json_object *o)
{
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    return s ? strdup(s) : NULL;
}
