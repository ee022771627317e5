/* One run: assemble the fold's training and test utterances, normalise audio with the
 * training utterances' statistics only, train (PT/WS start from the unit's branch
 * models), score the test fold, and write model then scores atomically: the scores file
 * existing means the run is finished.
 *
 * Epoch selection: with select_epochs=test the run trains to the largest candidate and
 * writes the test scores of every candidate epoch (<fold>-<key>.e<E>.csv); the report
 * picks the epoch (the paper's optimistic procedure). With select_epochs=inner it holds
 * out part of the training fold (whole speakers where it can), scores that inner split at
 * every candidate, and keeps the model and test scores of the best one: the test fold is
 * never looked at. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/metrics.h"
#include "emofuse/pipeline.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"
#include "experiment/internal.h"

void exp_run_model_path(const exp_run *r, char *buf, size_t n)
{
    size_t len = strlen(r->path);
    snprintf(buf, n, "%.*s.model", (int)(len > 4 ? len - 4 : len), r->path);
}

void exp_run_epoch_path(const exp_run *r, int epoch, char *buf, size_t n)
{
    size_t len = strlen(r->path);
    snprintf(buf, n, "%.*s.e%d.csv", (int)(len > 4 ? len - 4 : len), r->path, epoch);
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

static ef_code write_scores(const char *path, const char *fold_name, const ef_pipeline_data *test, const float *probs,
                            ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
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
        return ef_fail(err, EF_ERR_IO, "%s: write failed", path);
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

/* Inner validation split of the kept training utterances: whole speakers (seeded
 * shuffle) until at least 15% are held out when there are 3 or more speakers, else a
 * seeded 20% of utterances. val[i] = 1 marks held-out items. */
static ef_code inner_split(const exp_plan *p, const ef_pipeline_data *train, int seed, uint8_t *val, ef_error *err)
{
    int64_t n = train->d.n;
    int scol = ef_manifest_column(p->manifest, "speaker");
    ef_rng rng;
    ef_rng_seed(&rng, 0x1a2b3c4dULL ^ (uint64_t)seed);
    int32_t *order = malloc(sizeof *order * (size_t)(n + 1));
    const char **spk = calloc((size_t)n + 1, sizeof *spk);
    if (!order || !spk) {
        free(order);
        free(spk);
        return ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    }
    int32_t ns = 0;
    if (scol >= 0)
        for (int64_t i = 0; i < n; i++) {
            const char *s = ef_manifest_cell(p->manifest, ef_manifest_find(p->manifest, train->ids[i]), scol);
            int32_t k = 0;
            while (k < ns && strcmp(spk[k], s)) k++;
            if (k == ns) spk[ns++] = s;
        }
    if (n > 0) memset(val, 0, (size_t)n);
    if (ns >= 3) {
        /* Speaker names in first-seen order are deterministic; shuffle them by seed. */
        for (int32_t k = 0; k < ns; k++) order[k] = k;
        ef_rng_shuffle_i32(&rng, order, ns);
        int64_t held = 0;
        for (int32_t k = 0; k < ns - 1 && held * 100 < n * 15; k++) {
            for (int64_t i = 0; i < n; i++) {
                const char *s = ef_manifest_cell(p->manifest, ef_manifest_find(p->manifest, train->ids[i]), scol);
                if (!strcmp(s, spk[order[k]])) {
                    val[i] = 1;
                    held++;
                }
            }
        }
    } else {
        for (int64_t i = 0; i < n; i++) order[i] = (int32_t)i;
        ef_rng_shuffle_i32(&rng, order, n);
        for (int64_t i = 0; i < n / 5; i++) val[order[i]] = 1;
    }
    free(order);
    free(spk);
    return EF_OK;
}

/* Keep the items with val[i] == want of a dataset (in place on copies of the arrays). */
static ef_code subset(ef_pipeline_data *out, const ef_pipeline_data *in, const uint8_t *val, int want, ef_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n1 = (size_t)in->d.n + 1;
    out->ids = calloc(n1, sizeof *out->ids);
    out->text_rows = calloc(n1, sizeof *out->text_rows);
    out->audio_rows = calloc(n1, sizeof *out->audio_rows);
    out->text_T = calloc(n1, sizeof *out->text_T);
    out->audio_T = calloc(n1, sizeof *out->audio_T);
    out->labels = calloc(n1, sizeof *out->labels);
    if (!out->ids || !out->text_rows || !out->audio_rows || !out->text_T || !out->audio_T || !out->labels) {
        ef_pipeline_data_free(out);
        return ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    }
    int64_t k = 0;
    for (int64_t i = 0; i < in->d.n; i++) {
        if (val[i] != want) continue;
        out->ids[k] = in->ids[i];
        out->text_rows[k] = in->text_rows[i];
        out->audio_rows[k] = in->audio_rows[i];
        out->text_T[k] = in->text_T[i];
        out->audio_T[k] = in->audio_T[i];
        out->labels[k] = in->labels[i];
        k++;
    }
    out->d = in->d;
    out->d.n = k;
    out->d.text_rows = in->d.text_rows ? out->text_rows : NULL;
    out->d.audio_rows = in->d.audio_rows ? out->audio_rows : NULL;
    out->d.text_T = out->text_T;
    out->d.audio_T = out->audio_T;
    out->d.labels = out->labels;
    return EF_OK;
}

/* What the epoch callback needs. */
typedef struct {
    const exp_run *r;
    const char *fold_name;
    const ef_pipeline_data *test, *val;
    const float *mean, *std;
    exp_select select;
    int cands[EXP_MAX_CANDIDATES], n_cands;
    int fixed_epoch;            /* select=test: the epoch whose model and scores the run keeps */
    float *probs, *best_probs;  /* (n_test, 4) scratch and the kept scores */
    double best_val;
    int best_epoch;
    const ef_model_meta *meta;
    char model_path[4400];
    FILE *epochs_log;           /* per-epoch record (epoch, val AvAUC, test AvAUC) */
} epoch_ctx;

static ef_code predict_into(ef_model *m, const ef_pipeline_data *data, const float *mean, const float *std, float *probs,
                            ef_error *err)
{
    ef_dataset d = data->d;
    d.labels = NULL;
    d.audio_mean = mean;
    d.audio_std = std;
    return ef_predict(m, &d, 64, probs, err);
}

static double auc_of(const float *probs, const ef_pipeline_data *data)
{
    ef_eval_result ev;
    return ef_evaluate(&ev, probs, data->labels, data->d.n, 4, NULL) == EF_OK ? ev.av_auc : NAN;
}

static ef_code on_epoch(void *vctx, int epoch, ef_model *m, ef_error *err)
{
    epoch_ctx *c = vctx;
    bool cand = false;
    for (int i = 0; i < c->n_cands; i++) cand |= c->cands[i] == epoch;
    bool keep_fixed = c->select == EXP_SELECT_TEST && epoch == c->fixed_epoch;
    if (!cand && !keep_fixed) return EF_OK;
    ef_code rc = predict_into(m, c->test, c->mean, c->std, c->probs, err);
    if (rc) return rc;
    double test_auc = auc_of(c->probs, c->test), val_auc = NAN;
    if (cand && c->select == EXP_SELECT_TEST) {
        char path[4400];
        exp_run_epoch_path(c->r, epoch, path, sizeof path);
        if ((rc = write_scores(path, c->fold_name, c->test, c->probs, err))) return rc;
    }
    bool keep = keep_fixed;
    if (cand && c->select == EXP_SELECT_INNER) {
        float *vp = malloc(sizeof(float) * (size_t)(c->val->d.n * 4 + 1));
        if (!vp) return ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
        rc = predict_into(m, c->val, c->mean, c->std, vp, err);
        val_auc = rc ? NAN : auc_of(vp, c->val);
        free(vp);
        if (rc) return rc;
        /* Strictly better only: ties keep the earlier (cheaper, less fitted) epoch. */
        keep = c->best_epoch == 0 || val_auc > c->best_val;
        if (keep) {
            c->best_val = val_auc;
            c->best_epoch = epoch;
        }
    }
    if (cand) fprintf(c->epochs_log, "%d,%.6f,%.6f\n", epoch, val_auc, test_auc);
    if (keep) {
        memcpy(c->best_probs, c->probs, sizeof(float) * (size_t)(c->test->d.n * 4));
        if (c->select == EXP_SELECT_TEST) c->best_epoch = epoch;
        /* The model that PT/WS runs start from is the kept one. */
        if ((rc = ef_model_save(m, c->meta, c->model_path, err))) return rc;
    }
    return EF_OK;
}

ef_code exp_run_one(const exp_plan *p, const exp_run *r, exp_run_result *res, ef_error *err)
{
    memset(res, 0, sizeof *res);
    double t0 = ef_now();
    const ef_store *ts = exp_text_store(p, &r->sys);
    const ef_store *as = r->sys.inputs & EXP_IN_AUDIO ? p->audio : NULL;
    const char *fold_name = ef_folds_name(p->folds[r->protocol_index], r->fold);
    exp_select sel = exp_selection(p->x);
    int64_t n_train = 0, n_test = 0;
    const char **train_ids = fold_ids(p, r, EF_ROLE_TRAIN, &n_train), **test_ids = fold_ids(p, r, EF_ROLE_TEST, &n_test);
    ef_pipeline_data full, train, val, test;
    memset(&full, 0, sizeof full);
    memset(&train, 0, sizeof train);
    memset(&val, 0, sizeof val);
    memset(&test, 0, sizeof test);
    ef_model *m = NULL, *tm = NULL, *am = NULL;
    ef_model_meta meta, tmeta, ameta;
    memset(&meta, 0, sizeof meta);
    memset(&tmeta, 0, sizeof tmeta);
    memset(&ameta, 0, sizeof ameta);
    float *mean = NULL, *std = NULL, *probs = NULL, *best = NULL;
    uint8_t *held = NULL;
    char *log_text = NULL;
    size_t log_len = 0;
    FILE *epochs_log = NULL;
    ef_code rc = train_ids && test_ids ? EF_OK : ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    ef_pipeline_data_opts o = {.text = ts, .audio = as, .manifest = p->manifest, .require_label = true};
    if (!rc) rc = ef_pipeline_data_assemble(&full, train_ids, n_train, &o, err);
    o.require_label = false;
    if (!rc) rc = ef_pipeline_data_assemble(&test, test_ids, n_test, &o, err);
    if (!rc && (full.d.n == 0 || test.d.n == 0))
        rc = ef_fail(err, EF_ERR_ARG, "no usable training or test utterance");
    if (!rc && (full.per_class[0] > 0) + (full.per_class[1] > 0) + (full.per_class[2] > 0) + (full.per_class[3] > 0) < 2)
        rc = ef_fail(err, EF_ERR_ARG, "the training fold holds only one class");
    /* The training set: the whole training fold, or its inner-training part. */
    held = rc ? NULL : calloc((size_t)full.d.n + 1, 1);
    if (!rc && !held) rc = ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    if (!rc && sel == EXP_SELECT_INNER) rc = inner_split(p, &full, r->seed, held, err);
    if (!rc) rc = subset(&train, &full, held, 0, err);
    if (!rc) rc = subset(&val, &full, held, 1, err);
    if (!rc && sel == EXP_SELECT_INNER && (val.d.n == 0 || train.d.n == 0))
        rc = ef_fail(err, EF_ERR_ARG, "the training fold is too small for an inner validation split");
    ef_model_config cfg = r->cfg;
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
    if (!rc) {
        if (ts) snprintf(meta.text_kind, sizeof meta.text_kind, "%s", ef_store_kind(ts));
        if (as) snprintf(meta.audio_kind, sizeof meta.audio_kind, "%s", ef_store_kind(as));
        meta.n_labels = 4;
        for (int k = 0; k < 4; k++) snprintf(meta.labels[k], sizeof meta.labels[k], "%s", ef_emotion4_names[k]);
        meta.audio_mean = mean;
        meta.audio_std = std;
        rc = ef_pipeline_record_features(&meta, ts, as, err);
        char dir[4400];
        snprintf(dir, sizeof dir, "%s", r->path);
        *strrchr(dir, '/') = '\0';
        if (!rc) rc = ef_mkdir_p(dir, err);
    }
    epoch_ctx ec;
    memset(&ec, 0, sizeof ec);
    probs = malloc(sizeof(float) * (size_t)(test.d.n * 4 + 1));
    best = malloc(sizeof(float) * (size_t)(test.d.n * 4 + 1));
    epochs_log = open_memstream(&log_text, &log_len);
    if (!rc && (!probs || !best || !epochs_log)) rc = ef_fail(err, EF_ERR_NOMEM, "run: out of memory");
    if (!rc) rc = ef_model_set_strategy(m, r->sys.strat, err);
    if (!rc) {
        ef_dataset d = train.d;
        d.audio_mean = mean;
        d.audio_std = std;
        ef_train_options t = ef_train_default_params(r->sys.sys, r->sys.strat);
        t.epochs = exp_epochs(p->x, r->sys.name);
        t.batch_size = exp_int(p->x, "batch_size");
        t.seed = (uint64_t)r->seed;
        t.log = NULL;
        t.threads = p->train_threads;
        ec = (epoch_ctx){.r = r, .fold_name = fold_name, .test = &test, .val = &val, .mean = mean, .std = std,
                         .select = sel, .fixed_epoch = t.epochs, .probs = probs, .best_probs = best, .meta = &meta,
                         .epochs_log = epochs_log};
        exp_run_model_path(r, ec.model_path, sizeof ec.model_path);
        if (sel != EXP_SELECT_OFF) {
            ec.n_cands = exp_candidates(p->x, ec.cands, EXP_MAX_CANDIDATES);
            if (ec.cands[ec.n_cands - 1] > t.epochs) t.epochs = ec.cands[ec.n_cands - 1];
            if (sel == EXP_SELECT_INNER) t.epochs = ec.cands[ec.n_cands - 1];
            fprintf(epochs_log, "epoch,val_avauc,test_avauc\n");
            t.on_epoch = on_epoch;
            t.on_epoch_ctx = &ec;
        }
        rc = ef_train(m, &d, &t, NULL, err);
        res->epochs = sel == EXP_SELECT_INNER ? ec.best_epoch : ec.fixed_epoch;
    }
    if (!rc && sel == EXP_SELECT_OFF) {
        rc = predict_into(m, &test, mean, std, best, err);
        if (!rc) rc = ef_model_save(m, &meta, ec.model_path, err);
    }
    if (!rc && sel != EXP_SELECT_OFF) {
        fflush(epochs_log);
        char path[4400];
        snprintf(path, sizeof path, "%.*s.epochs.csv", (int)strlen(r->path) - 4, r->path);
        rc = ef_atomic_write(path, log_text, log_len, err);
    }
    if (!rc) {
        ef_eval_result ev;
        if (ef_evaluate(&ev, best, test.labels, test.d.n, 4, NULL) == EF_OK) {
            res->av_auc = ev.av_auc;
            res->av_rec = ev.av_rec;
        }
        rc = write_scores(r->path, fold_name, &test, best, err);
    }
    meta.audio_mean = meta.audio_std = NULL; /* owned here, not by meta */
    ef_model_meta_free(&meta);                 /* the recorded feature configs */
    res->n_train = train.d.n;
    res->n_test = test.d.n;
    res->seconds = ef_now() - t0;
    if (epochs_log) fclose(epochs_log);
    free(log_text);
    free(held);
    free(probs);
    free(best);
    free(mean);
    free(std);
    ef_model_free(m);
    ef_model_free(tm);
    ef_model_free(am);
    ef_model_meta_free(&tmeta);
    ef_model_meta_free(&ameta);
    ef_pipeline_data_free(&full);
    ef_pipeline_data_free(&train);
    ef_pipeline_data_free(&val);
    ef_pipeline_data_free(&test);
    free(train_ids);
    free(test_ids);
    if (rc && rc != EF_ERR_INTERRUPTED) ef_error_prefix(err, "%s seed %d fold %s", r->name, r->seed, fold_name);
    return rc;
}
