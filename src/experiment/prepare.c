/* Everything the runs read, made once inside OUT: the checked manifest (label map
 * applied), each protocol's folds, and the feature stores. Several shards may start at
 * once on one shared OUT: an exclusive lock (flock on OUT/.prepare.lock) serialises this
 * step, and each piece is rebuilt only when missing or stale, so the later shards find
 * everything ready. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "emofuse/atomic_file.h"
#include "emofuse/corpus.h"
#include "emofuse/folds.h"
#include "experiment/internal.h"

static ef_code prepare_manifest(const ef_experiment *x, const char *out, FILE *log, ef_error *err)
{
    ef_corpus_params cp = ef_corpus_default_params();
    ef_label_map *map = NULL;
    const char *map_path = exp_str(x, "label_map");
    ef_code rc = map_path[0] ? ef_label_map_load(&map, map_path, err) : EF_OK;
    cp.label_map = map;
    ef_corpus *c = NULL;
    if (!rc) rc = ef_corpus_read_manifest(&c, exp_str(x, "manifest"), &cp, err);
    if (!rc && ef_corpus_rows(c) == 0)
        rc = ef_fail(err, EF_ERR_ARG, "%s: no utterance has one of the classes", exp_str(x, "manifest"));
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.csv", out);
    if (!rc) rc = ef_corpus_write(c, path, err);
    if (!rc && log) {
        const ef_corpus_summary *s = ef_corpus_get_summary(c);
        fprintf(log, "experiment: %lld utterances (", (long long)s->rows);
        for (int i = 0; i < s->n_kept; i++)
            fprintf(log, "%s%s %lld", i ? ", " : "", s->kept[i].name, (long long)s->kept[i].count);
        fprintf(log, ")");
        if (s->n_dropped) {
            int64_t d = 0;
            for (int i = 0; i < s->n_dropped; i++) d += s->dropped[i].count;
            fprintf(log, "; %lld with other labels left out", (long long)d);
        }
        fprintf(log, "\n");
    }
    ef_corpus_free(c);
    ef_label_map_free(map);
    return rc;
}

static ef_code prepare_folds(const ef_experiment *x, const char *out, FILE *log, ef_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.csv", out);
    ef_manifest *m = NULL;
    ef_code rc = ef_manifest_load(&m, path, err);
    const char *protocols[2 * EXP_MAX_LIST];
    int n = rc ? 0 : exp_list(x, "protocol", NULL, protocols, EXP_MAX_LIST);
    if (exp_has_block(x, "figure2")) n += exp_list(x, "figure2", "protocols", protocols + n, EXP_MAX_LIST);
    snprintf(path, sizeof path, "%s/folds", out);
    if (!rc) rc = ef_mkdir_p(path, err);
    for (int i = 0; i < n && !rc; i++) {
        ef_folds_params fp = ef_folds_default_params();
        fp.k = exp_int(x, "k");
        fp.seed = (uint64_t)exp_int(x, "fold_seed");
        ef_folds *f = NULL;
        rc = ef_fold_protocol_parse(protocols[i], &fp, err);
        if (!rc) rc = ef_folds_build(&f, m, &fp, err);
        snprintf(path, sizeof path, "%s/folds/%s.csv", out, protocols[i]);
        if (!rc) rc = ef_folds_write(f, m, path, err);
        if (!rc && log) {
            fprintf(log, "experiment: %s folds:", protocols[i]);
            for (int k = 0; k < ef_folds_count(f); k++)
                fprintf(log, " %s (train %lld, test %lld)", ef_folds_name(f, k),
                        (long long)ef_folds_size(f, k, EF_ROLE_TRAIN), (long long)ef_folds_size(f, k, EF_ROLE_TEST));
            fprintf(log, "\n");
        }
        ef_folds_free(f);
    }
    ef_manifest_free(m);
    return rc;
}

ef_code exp_prepare(const ef_experiment *x, const char *out, FILE *log, ef_error *err)
{
    char path[4200];
    ef_code rc = ef_mkdir_p(out, err);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/.prepare.lock", out);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return ef_fail(err, EF_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return ef_fail(err, EF_ERR_IO, "%s: cannot lock: %s", path, strerror(errno));
    }
    char *json = ef_experiment_json(x);
    snprintf(path, sizeof path, "%s/experiment.json", out);
    rc = json ? ef_atomic_write(path, json, strlen(json), err) : ef_fail(err, EF_ERR_NOMEM, "out of memory");
    free(json);
    if (!rc) rc = prepare_manifest(x, out, log, err);
    if (!rc) rc = prepare_folds(x, out, log, err);
    if (!rc) rc = exp_prepare_features(x, out, log, err);
    flock(fd, LOCK_UN);
    close(fd);
    return rc;
}
