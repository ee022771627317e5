/* Audio feature stores: the 36 LLDs of every manifest row's audio file (or of one shard
 * of the rows) into a resumable store, as `emofuse features audio` builds them. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/hash.h"
#include "pipeline/features_internal.h"

typedef struct {
    const ef_manifest *m;
    const ef_lld_params *p;
    int64_t first; /* item k is manifest row first + k */
} audio_ctx;

static ef_code extract_audio(void *ctx, int64_t item, int thread, float **rows, int64_t *T, ef_error *err)
{
    (void)thread;
    audio_ctx *c = ctx;
    int64_t row = c->first + item;
    if (!ef_manifest_cell(c->m, row, ef_manifest_column(c->m, "audio"))[0])
        return ef_fail(err, EF_ERR_FORMAT, "%s: data row %lld: the 'audio' cell is empty", ef_manifest_path(c->m),
                       (long long)row + 1);
    char *path = ef_manifest_audio_path(c->m, row);
    if (!path) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", ef_manifest_id(c->m, row));
    ef_code rc = ef_lld_file(c->p, path, rows, T, err);
    free(path);
    return rc;
}

/* FNV-1a of the file's bytes; false when it cannot be read to the end. */
static bool hash_file(const char *path, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    static __thread unsigned char buf[1 << 16];
    *h = EF_FNV1A64_INIT;
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) *h = ef_fnv1a64(*h, buf, k);
    const bool ok = !ferror(f);
    fclose(f);
    return ok;
}

/* The key of an audio file. By default its resolved path (symlinks followed), size and
 * mtime (ns): another file with the same size and mtime (clips unpacked from one archive)
 * or a manifest row pointing elsewhere never reuses features. With verify_content, its
 * size and a hash of its bytes instead: touching or moving a file costs nothing, any
 * change of content re-extracts. A missing file gets a fingerprint that never matches,
 * so it is retried (and reported by the extractor) on every run. */
static char *audio_fingerprint(const ef_manifest *m, int64_t row, bool verify_content)
{
    char *path = ef_manifest_audio_path(m, row);
    char *real = path && ef_manifest_cell(m, row, ef_manifest_column(m, "audio"))[0] ? realpath(path, NULL) : NULL;
    struct stat st;
    uint64_t h = 0;
    char *out = NULL;
    if (real && stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
        size_t cap = strlen(real) + 96;
        out = malloc(cap);
        if (out && verify_content) {
            if (hash_file(real, &h))
                snprintf(out, cap, "size=%lld content=%016llx", (long long)st.st_size, (unsigned long long)h);
            else snprintf(out, cap, "unreadable");
        }
        else if (out)
            snprintf(out, cap, "path=%s size=%lld mtime=%lld.%09ld", real, (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    } else out = strdup("missing");
    free(real);
    free(path);
    return out;
}

/* emofuse.config of an audio store. The keys and their order are those the stores have
 * always had (a byte-different config would invalidate every existing store); only a
 * non-default voice-quality method is named, for the same reason. */
static char *audio_config(const ef_lld_params *p)
{
    json_object *o = json_object_new_object();
    if (!o) return NULL;
    json_object_object_add(o, "extractor", json_object_new_string("emofuse-lld-1"));
    json_object_object_add(o, "sample_rate", json_object_new_int(p->sample_rate));
    json_object_object_add(o, "frame_step", ef_feature_json_double(p->frame_step));
    json_object_object_add(o, "frame_size", ef_feature_json_double(p->frame_size));
    json_object_object_add(o, "pitch_frame_size", ef_feature_json_double(p->pitch_frame_size));
    json_object_object_add(o, "smooth_window", json_object_new_int(p->smooth_window));
    json_object_object_add(o, "delta_window", json_object_new_int(p->delta_window));
    if (p->voice_quality == EF_VQ_CYCLES) json_object_object_add(o, "voice_quality", json_object_new_string("cycles"));
    /* json-c drops a NULL value silently: check every key made it. */
    char *s = json_object_object_length(o) == 7 + (p->voice_quality == EF_VQ_CYCLES) ? ef_feature_json_string(o)
                                                                                      : NULL;
    json_object_put(o);
    return s;
}

static char *audio_columns(void)
{
    json_object *a = json_object_new_array();
    for (int d = 0; a && d < EF_LLD_DIMS; d++) json_object_array_add(a, json_object_new_string(ef_lld_name(d)));
    char *s = a && json_object_array_length(a) == EF_LLD_DIMS ? ef_feature_json_string(a) : NULL;
    json_object_put(a);
    return s;
}

ef_code ef_pipeline_audio_features(ef_pipeline_feature_report *report, const char *store_path,
                                   const ef_manifest *m, const ef_lld_params *p,
                                   const ef_pipeline_feature_opts *o, ef_error *err)
{
    memset(report, 0, sizeof *report);
    ef_code rc = ef_lld_params_check(p, err);
    if (rc) return rc;
    if (ef_manifest_column(m, "audio") < 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: no 'audio' column", ef_manifest_path(m));
    ef_feature_rows rows;
    rc = ef_feature_rows_init(&rows, m, o, report, err);
    if (rc) return rc;
    char *config = audio_config(p), *columns = audio_columns();
    bool ok = config && columns;
    for (int64_t k = 0; ok && k < rows.n; k++) ok = (rows.fps[k] = audio_fingerprint(m, rows.first + k, o->verify_content)) != NULL;
    if (!ok) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", ef_manifest_path(m));
    if (!rc) {
        audio_ctx ctx = {m, p, rows.first};
        ef_store_build_opts b = {.out_path = store_path, .kind = EF_STORE_KIND_AUDIO, .dim = EF_LLD_DIMS,
                                 .columns_json = columns, .config_json = config, .n_items = rows.n,
                                 .ids = rows.ids, .fingerprints = (const char *const *)rows.fps,
                                 .threads = o->threads, .progress = o->progress, .tty = -1,
                                 .extract = extract_audio, .ctx = &ctx};
        rc = ef_store_build(&b, &report->store, err);
    }
    free(config);
    free(columns);
    ef_feature_rows_free(&rows);
    return rc;
}
