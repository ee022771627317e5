/* One run: assemble the fold's training and test utterances, normalise audio with the
 * training utterances' statistics only, train (PT/WS start from the unit's branch
 * models), score the test fold, and write model then scores atomically: the scores file
 * existing means the run is finished. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/metrics.h"
#include "emofuse/pipeline.h"
#include "emofuse/progress.h"
#include "experiment/internal.h"

void exp_run_model_path(const exp_run *r, char *buf, size_t n)
{
    size_t len = strlen(r->path);
    snprintf(buf, n, "%.*s.model", (int)(len > 4 ? len - 4 : len), r->path);
}

/* ids of one role of the run's fold, as pointers into the manifest. */
static const char **fold_ids(const exp_plan *p, const exp_run *r, ef_fold_role role, int64_t *n)
{
    const ef_folds *f = p->folds[r->protocol_index];
    *n = ef_folds_size(f, r->fold, role);
    const char **ids = malloc(sizeof *ids * (size_t)(*n + 1));
    const int64_t *rows = ef_folds_rows(f, r->fold, role);
    for (int64_t i = 0; ids && i < *n; i++) ids[i] = ef_manifest_id(p->manifest, rows[i]);
    return ids;
}

static ef_code write_scores(const exp_run *r, const char *fold_name, const ef_pipeline_data *test, const float *probs,
                            ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, r->path, err);
    if (rc) return rc;
    fputs("id,fold,label", af.fp);
    for (int k = 0; k < 4; k++) fprintf(af.fp, ",p_%s", ef_emotion4_names[k]);
    fputc('\n', af.fp);
    for (int64_t i = 0; i < test->d.n; i++) {
        ef_csv_write_field(af.fp, test->ids[i]);
        fputc(',', af.fp);
        ef_csv_write_field(af.fp, fold_name);
        fprintf(af.fp, ",%s", test->labels[i] >= 0 ? ef_emotion4_names[test->labels[i]] : "");
        /* %.9g: floats round-trip, so metrics recomputed from the file match ours. */
        for (int k = 0; k < 4; k++) fprintf(af.fp, ",%.9g", (double)probs[i * 4 + k]);
        fputc('\n', af.fp);
    }
    if (ferror(af.fp)) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed", r->path);
    }
    return ef_atomic_commit(&af, err);
}

/* Load a branch model written by an earlier run of the same unit. */
static ef_code load_branch(const exp_plan *p, int dep, ef_model **m, ef_model_meta *meta, ef_error *err)
{
    char path[4400];
    exp_run_model_path(&p->runs[dep], path, sizeof path);
    return ef_model_load(m, meta, path, err);
}

ef_code exp_run_one(const exp_plan *p, const exp_run *r, exp_run_result *res, ef_error *err)
{
    memset(res, 0, sizeof *res);
    double t0 = ef_now();
    const ef_store *ts = exp_text_store(p, &r->sys);
    const ef_store *as = r->sys.inputs & EXP_IN_AUDIO ? p->audio : NULL;
    int64_t n_train = 0, n_test = 0;
    const char **train_ids = fold_ids(p, r, EF_ROLE_TRAIN, &n_train), **test_ids = fold_ids(p, r, EF_ROLE_TEST, &n_test);
    ef_pipeline_data train, test;
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    ef_model *m = NULL, *tm = NULL, *am = NULL;
    ef_model_meta meta, tmeta, ameta;
    memset(&meta, 0, sizeof meta);
    memset(&tmeta, 0, sizeof tmeta);
    memset(&ameta, 0, sizeof ameta);
    float *mean = NULL, *std = NULL, *probs = NULL;
    ef_code rc = train_ids && test_ids ? EF_OK : ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    ef_pipeline_data_opts o = {.text = ts, .audio = as, .manifest = p->manifest, .require_label = true};
    if (!rc) rc = ef_pipeline_data_assemble(&train, train_ids, n_train, &o, err);
    o.require_label = false;
    if (!rc) rc = ef_pipeline_data_assemble(&test, test_ids, n_test, &o, err);
    if (!rc && (train.d.n == 0 || test.d.n == 0))
        rc = ef_fail(err, EF_ERR_ARG, "%s seed %d fold %s: no usable training or test utterance", r->name, r->seed,
                     ef_folds_name(p->folds[r->protocol_index], r->fold));
    ef_model_config cfg;
    if (!rc) rc = exp_model_config(p->x, &r->sys, r->variant, ts ? ef_store_dim(ts) : 0, as ? ef_store_dim(as) : 0,
                                   &cfg, err);
    if (!rc && r->sys.strat != EF_STRAT_CS) {
        rc = load_branch(p, r->dep_text, &tm, &tmeta, err);
        if (!rc) rc = load_branch(p, r->dep_audio, &am, &ameta, err);
        if (!rc) {
            cfg.text = ef_model_config_of(tm)->text;
            cfg.audio = ef_model_config_of(am)->audio;
        }
    }
    if (!rc) rc = ef_model_create(&m, &cfg, err);
    if (!rc && tm) rc = ef_model_copy_branch(m, tm, "text", err);
    if (!rc && am) rc = ef_model_copy_branch(m, am, "audio", err);
    if (!rc && as) {
        int D = ef_store_dim(as);
        mean = malloc(sizeof(float) * (size_t)D);
        std = malloc(sizeof(float) * (size_t)D);
        if (!mean || !std) rc = ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
        else if (am && ameta.audio_mean) {
            /* The frozen audio layers were fitted to their own run's normalisation (the
             * same training utterances, so the same statistics). */
            memcpy(mean, ameta.audio_mean, sizeof(float) * (size_t)D);
            memcpy(std, ameta.audio_std, sizeof(float) * (size_t)D);
        } else {
            rc = ef_norm_compute(as, train.ids, train.d.n, mean, std, err);
        }
    }
    if (!rc) rc = ef_model_set_strategy(m, r->sys.strat, err);
    if (!rc) {
        ef_dataset d = train.d;
        d.audio_mean = mean;
        d.audio_std = std;
        ef_train_options t = ef_train_defaults(r->sys.sys, r->sys.strat);
        t.epochs = exp_epochs(p->x, r->sys.name);
        t.batch_size = exp_int(p->x, "batch_size");
        t.seed = (uint64_t)r->seed;
        t.log = NULL;
        rc = ef_train(m, &d, &t, NULL, err);
    }
    if (!rc) {
        probs = malloc(sizeof(float) * (size_t)(test.d.n * 4 + 1));
        ef_dataset d = test.d;
        d.labels = NULL;
        d.audio_mean = mean;
        d.audio_std = std;
        rc = probs ? ef_predict(m, &d, 64, probs, err) : ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    }
    if (!rc) {
        ef_eval_result ev;
        if (ef_evaluate(&ev, probs, test.labels, test.d.n, 4, NULL) == EF_OK) {
            res->av_auc = ev.av_auc;
            res->av_rec = ev.av_rec;
        }
        if (ts) snprintf(meta.text_kind, sizeof meta.text_kind, "%s", ef_store_kind(ts));
        if (as) snprintf(meta.audio_kind, sizeof meta.audio_kind, "%s", ef_store_kind(as));
        meta.n_labels = 4;
        for (int k = 0; k < 4; k++) snprintf(meta.labels[k], sizeof meta.labels[k], "%s", ef_emotion4_names[k]);
        meta.audio_mean = mean;
        meta.audio_std = std;
        char dir[4400], mpath[4400];
        snprintf(dir, sizeof dir, "%s", r->path);
        *strrchr(dir, '/') = '\0';
        exp_run_model_path(r, mpath, sizeof mpath);
        rc = ef_mkdir_p(dir, err);
        if (!rc) rc = ef_model_save(m, &meta, mpath, err);
        meta.audio_mean = meta.audio_std = NULL; /* owned here, not by meta */
        if (!rc) rc = write_scores(r, ef_folds_name(p->folds[r->protocol_index], r->fold), &test, probs, err);
    }
    res->n_train = train.d.n;
    res->n_test = test.d.n;
    res->seconds = ef_now() - t0;
    free(probs);
    free(mean);
    free(std);
    ef_model_free(m);
    ef_model_free(tm);
    ef_model_free(am);
    ef_model_meta_free(&tmeta);
    ef_model_meta_free(&ameta);
    ef_pipeline_data_free(&train);
    ef_pipeline_data_free(&test);
    free(train_ids);
    free(test_ids);
    if (rc && rc != EF_ERR_INTERRUPTED)
        ef_error_prefix(err, "%s seed %d fold %s", r->name, r->seed, ef_folds_name(p->folds[r->protocol_index], r->fold));
    return rc;
}
