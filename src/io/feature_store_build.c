/* Resumable, parallel construction of a feature store (see feature_store.h): reuse what
 * is up to date, extract the rest into per-item part files, pack everything atomically. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emofuse/atomic_file.h"
#include "emofuse/feature_store.h"
#include "emofuse/parallel.h"
#include "emofuse/progress.h"
#include "emofuse/safetensors.h"

typedef struct {
    const ef_store_build_opts *o;
    char *parts_dir;
    ef_progress *progress;
    pthread_mutex_t mu;
    ef_store_build_report *report;
    const int64_t *todo;
    int64_t n_todo;
} build_ctx;

/* Ids become file names: keep [A-Za-z0-9._-], escape everything else as %XX. */
static char *part_path(const char *dir, const char *id)
{
    size_t n = strlen(dir) + 3 * strlen(id) + 32;
    char *p = malloc(n);
    if (!p) return NULL;
    size_t k = (size_t)snprintf(p, n, "%s/", dir);
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                 *c == '_' || *c == '-';
        if (ok && !(c == (const unsigned char *)id && *c == '.')) p[k++] = (char)*c;
        else k += (size_t)snprintf(p + k, n - k, "%%%02X", *c);
    }
    snprintf(p + k, n - k, ".safetensors");
    return p;
}

/* A part file is usable only when it was written for this input (fingerprint), these
 * extraction parameters (config) and holds an F32 (T, dim) matrix. */
static const ef_safetensors_tensor *part_features(const ef_safetensors_file *pf, const ef_store_build_opts *o,
                                                  int64_t i)
{
    const char *fp = ef_safetensors_meta(pf, "fingerprint"), *cfg = ef_safetensors_meta(pf, "config");
    const ef_safetensors_tensor *pt = ef_safetensors_find(pf, "features");
    if (!fp || !cfg || !pt || strcmp(fp, o->fingerprints[i]) != 0 || strcmp(cfg, o->config_json) != 0 ||
        pt->dtype != EF_DT_F32 || pt->ndim != 2 || pt->shape[1] != o->dim)
        return NULL;
    return pt;
}

static void add_failure(build_ctx *c, const char *msg)
{
    pthread_mutex_lock(&c->mu);
    ef_store_build_report *r = c->report;
    char **nf = NULL;
    if (r->failed == 0 || r->failures) nf = realloc(r->failures, sizeof(char *) * (size_t)(r->failed + 1));
    if (nf) {
        r->failures = nf;
        r->failures[r->failed] = strdup(msg);
    } else if (r->failures) {
        /* No memory for the list: drop the messages (failures = NULL) but keep the count,
         * so that failures never has fewer than `failed` entries. */
        for (int64_t i = 0; i < r->failed; i++) free(r->failures[i]);
        free(r->failures);
        r->failures = NULL;
    }
    r->failed++;
    pthread_mutex_unlock(&c->mu);
}

/* Writes one extracted item as a part file (or records its failure); frees rows. */
static void finish_item(build_ctx *c, int64_t i, ef_code rc, float *rows, int64_t T, ef_error *errp)
{
    const ef_store_build_opts *o = c->o;
    ef_error err = *errp;
    if (rc == EF_OK) {
        char *pp = part_path(c->parts_dir, o->ids[i]);
        ef_safetensors_writer *w = ef_safetensors_writer_new();
        if (!pp || !w) rc = ef_fail(&err, EF_ERR_NOMEM, "%s: out of memory", o->ids[i]);
        if (!rc) rc = ef_safetensors_writer_add(w, "features", EF_DT_F32, 2, (int64_t[]){T, o->dim}, rows, &err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "fingerprint", o->fingerprints[i], &err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "config", o->config_json, &err);
        if (!rc) rc = ef_safetensors_writer_save(w, pp, &err);
        ef_safetensors_writer_free(w);
        free(pp);
    }
    free(rows);
    if (rc) add_failure(c, err.msg);
    else {
        pthread_mutex_lock(&c->mu);
        c->report->extracted++;
        pthread_mutex_unlock(&c->mu);
    }
    ef_progress_step(c->progress, 1);
}

static void extract_one(void *ctx, int64_t k, int thread)
{
    build_ctx *c = ctx;
    int64_t i = c->todo[k];
    float *rows = NULL;
    int64_t T = 0;
    ef_error err = {0};
    ef_code rc = c->o->extract(c->o->ctx, i, thread, &rows, &T, &err);
    finish_item(c, i, rc, rows, T, &err);
}

static void extract_group(void *ctx, int64_t g, int thread)
{
    build_ctx *c = ctx;
    const ef_store_build_opts *o = c->o;
    int64_t first = g * o->batch_size;
    int n = (int)((c->n_todo - first) < o->batch_size ? (c->n_todo - first) : o->batch_size);
    float **rows = calloc((size_t)n, sizeof *rows);
    int64_t *T = calloc((size_t)n, sizeof *T);
    ef_code *codes = calloc((size_t)n, sizeof *codes);
    ef_error *errs = calloc((size_t)n, sizeof *errs);
    if (!rows || !T || !codes || !errs) {
        for (int k = 0; k < n; k++) {
            ef_error e;
            ef_fail(&e, EF_ERR_NOMEM, "%s: out of memory", o->ids[c->todo[first + k]]);
            finish_item(c, c->todo[first + k], EF_ERR_NOMEM, NULL, 0, &e);
        }
    } else {
        o->extract_batch(o->ctx, c->todo + first, n, thread, rows, T, codes, errs);
        for (int k = 0; k < n; k++) finish_item(c, c->todo[first + k], codes[k], rows[k], T[k], &errs[k]);
    }
    free(rows);
    free(T);
    free(codes);
    free(errs);
}

void ef_store_build_report_free(ef_store_build_report *r)
{
    for (int64_t i = 0; r->failures && i < r->failed; i++) free(r->failures[i]);
    free(r->failures);
    memset(r, 0, sizeof *r);
}

static void remove_parts(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    size_t n = strlen(dir) + 300;
    char *p = malloc(n);
    while (p && (e = readdir(d))) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0'))) continue;
        snprintf(p, n, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    free(p);
    closedir(d);
    rmdir(dir);
}

ef_code ef_store_build(const ef_store_build_opts *o, ef_store_build_report *report, ef_error *err)
{
    memset(report, 0, sizeof *report);
    report->total = o->n_items;
    ef_code rc = EF_OK;
    build_ctx c = {.o = o, .report = report};
    pthread_mutex_init(&c.mu, NULL);
    size_t pl = strlen(o->out_path) + 8;
    c.parts_dir = malloc(pl);
    if (!c.parts_dir) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", o->out_path);
    snprintf(c.parts_dir, pl, "%s.parts", o->out_path);
    /* One writer per store: a second run would delete the first one's parts. */
    ef_file_lock lock = {-1};
    if ((rc = ef_file_lock_acquire(&lock, o->out_path, err)) != EF_OK) {
        free(c.parts_dir);
        pthread_mutex_destroy(&c.mu);
        return rc;
    }
    ef_atomic_remove_stale(o->out_path);

    /* Old store: reusable when its config is identical and the item's fingerprint matches. */
    ef_safetensors_file *old = NULL;
    json_object *old_sources = NULL;
    if (access(o->out_path, F_OK) == 0 && ef_safetensors_open(&old, o->out_path, NULL) == EF_OK) {
        const char *cfg = ef_safetensors_meta(old, "emofuse.config");
        const char *src = ef_safetensors_meta(old, "emofuse.sources");
        if (!cfg || strcmp(cfg, o->config_json) != 0 || !src || !(old_sources = json_tokener_parse(src))) {
            ef_safetensors_close(old);
            old = NULL;
        }
    }
    const void **data = calloc((size_t)o->n_items + 1, sizeof *data);
    int64_t *Ts = calloc((size_t)o->n_items + 1, sizeof *Ts);
    int64_t *todo = malloc(sizeof *todo * ((size_t)o->n_items + 1));
    ef_safetensors_file **parts = calloc((size_t)o->n_items + 1, sizeof *parts);
    if (!data || !Ts || !todo || !parts) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", o->out_path);
        goto done;
    }
    int64_t n_todo = 0;
    for (int64_t i = 0; i < o->n_items; i++) {
        json_object *fp;
        const ef_safetensors_tensor *t;
        /* The old store's tensor is copied as (T, dim) below: its shape must say so, or a
         * damaged store would be read past its end. */
        if (old && json_object_object_get_ex(old_sources, o->ids[i], &fp) &&
            strcmp(json_object_get_string(fp), o->fingerprints[i]) == 0 && (t = ef_safetensors_find(old, o->ids[i])) &&
            t->dtype == EF_DT_F32 && t->ndim == 2 && t->shape[1] == o->dim) {
            data[i] = t->data;
            Ts[i] = t->shape[0];
            report->reused++;
            continue;
        }
        char *pp = part_path(c.parts_dir, o->ids[i]);
        ef_safetensors_file *pf = NULL;
        if (pp && access(pp, F_OK) == 0 && ef_safetensors_open(&pf, pp, NULL) == EF_OK) {
            if (part_features(pf, o, i)) {
                report->reused++;
                free(pp);
                ef_safetensors_close(pf);
                continue; /* reopened below, after extraction, like fresh parts */
            }
            ef_safetensors_close(pf);
        }
        /* A stale part (other input or config) must not be packed if extraction fails now. */
        if (pp) unlink(pp);
        free(pp);
        todo[n_todo++] = i;
    }

    if (n_todo > 0) {
        rc = ef_mkdir_p(c.parts_dir, err);
        if (rc) goto done;
        c.todo = todo;
        c.n_todo = n_todo;
        c.progress = ef_progress_new("features", n_todo, o->progress, o->tty);
        if (o->extract_batch && o->batch_size > 0)
            ef_parallel_for((n_todo + o->batch_size - 1) / o->batch_size, o->threads, extract_group, &c);
        else ef_parallel_for(n_todo, o->threads, extract_one, &c);
        ef_progress_finish(c.progress);
    }
    if (ef_interrupted()) {
        report->interrupted = 1;
        rc = ef_fail(err, EF_ERR_INTERRUPTED,
                     "%s: interrupted with %lld of %lld utterances done; run the same command again to resume",
                     o->out_path, (long long)(report->reused + report->extracted), (long long)o->n_items);
        goto done;
    }

    /* Pack: every item not taken from the old store comes from its part file. */
    {
        ef_safetensors_writer *w = ef_safetensors_writer_new();
        json_object *sources = json_object_new_object();
        if (!w || !sources) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", o->out_path);
        int64_t packed = 0, lost = 0;
        const char *lost_id = NULL;
        for (int64_t i = 0; !rc && i < o->n_items; i++) {
            if (!data[i]) {
                char *pp = part_path(c.parts_dir, o->ids[i]);
                if (!pp || access(pp, F_OK) != 0 || ef_safetensors_open(&parts[i], pp, NULL) != EF_OK) {
                    free(pp);
                    lost++;
                    if (!lost_id) lost_id = o->ids[i];
                    continue; /* failed item (counted against the report below) */
                }
                free(pp);
                const ef_safetensors_tensor *pt = part_features(parts[i], o, i);
                if (!pt) {
                    lost++;
                    if (!lost_id) lost_id = o->ids[i];
                    continue; /* not written for this input: treat as failed */
                }
                data[i] = pt->data;
                Ts[i] = pt->shape[0];
            }
            rc = ef_safetensors_writer_add(w, o->ids[i], EF_DT_F32, 2, (int64_t[]){Ts[i], o->dim}, data[i], err);
            json_object_object_add(sources, o->ids[i], json_object_new_string(o->fingerprints[i]));
            packed++;
        }
        /* Never drop an utterance silently: every item is packed or was reported failed. */
        if (!rc && lost != report->failed)
            rc = ef_fail(err, EF_ERR_IO, "%s: %lld utterances are missing from the pack but only %lld failed (first: "
                         "'%s'; did another process remove %s?)", o->out_path, (long long)lost, (long long)report->failed,
                         lost_id ? lost_id : "?", c.parts_dir);
        (void)packed;
        char dims[32];
        snprintf(dims, sizeof dims, "%d", o->dim);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.kind", o->kind, err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.dims", dims, err);
        if (!rc && o->columns_json) rc = ef_safetensors_writer_meta(w, "emofuse.columns", o->columns_json, err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.config", o->config_json, err);
        if (!rc)
            rc = ef_safetensors_writer_meta(w, "emofuse.sources",
                                            json_object_to_json_string_ext(sources, JSON_C_TO_STRING_PLAIN), err);
        if (!rc) rc = ef_safetensors_writer_save(w, o->out_path, err);
        ef_safetensors_writer_free(w);
        json_object_put(sources);
        if (!rc) {
            for (int64_t i = 0; i < o->n_items; i++) {
                ef_safetensors_close(parts[i]);
                parts[i] = NULL;
            }
            remove_parts(c.parts_dir);
        }
    }
done:
    if (parts)
        for (int64_t i = 0; i < o->n_items; i++) ef_safetensors_close(parts[i]);
    free(parts);
    free(data);
    free(Ts);
    free(todo);
    if (old_sources) json_object_put(old_sources);
    ef_safetensors_close(old);
    free(c.parts_dir);
    pthread_mutex_destroy(&c.mu);
    ef_file_lock_release(&lock);
    return rc;
}
