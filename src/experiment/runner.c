/* The runner: prepare OUT, plan the grid, skip finished runs, and train the rest on a
 * pool of workers, one unit (variant, protocol, seed, fold) at a time per worker so that
 * fusion runs find their branch models. BLAS is single-threaded here: parallelism is over
 * runs, and every run's numbers are then the same whatever -j and --shard are. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/atomic_file.h"
#include "emofuse/parallel.h"
#include "emofuse/progress.h"
#include "experiment/internal.h"

ef_experiment_opts ef_experiment_default_params(void)
{
    return (ef_experiment_opts){.jobs = 0, .shard_index = 1, .shard_count = 1, .log = NULL};
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

typedef struct {
    const exp_plan *p;
    const ef_experiment_opts *o;
    int *unit_ids;              /* units of this shard with unfinished runs */
    pthread_mutex_t lock;
    int64_t todo, done;
    double t0, busy;            /* busy: summed run seconds, for the estimate */
    int jobs;
    ef_code rc;
    ef_error err;
} pool;

static void log_run(pool *q, const exp_run *r, const exp_run_result *res)
{
    if (!q->o->log) return;
    double per_run = q->busy / (double)q->done, left = per_run * (double)(q->todo - q->done) / q->jobs;
    fprintf(q->o->log, "[%lld/%lld] %s seed %d fold %s: %d epochs, %lld train / %lld test, AvAUC %.3f, AvRec %.1f%%, "
                       "%.1f s; about %.0f s left\n",
            (long long)q->done, (long long)q->todo, r->name, r->seed, ef_folds_name(q->p->folds[r->protocol_index], r->fold),
            res->epochs, (long long)res->n_train, (long long)res->n_test, res->av_auc,
            100.0 * res->av_rec, res->seconds, left);
    fflush(q->o->log);
}

static void run_unit(void *ctx, int64_t item, int thread)
{
    (void)thread;
    pool *q = ctx;
    int unit = q->unit_ids[item];
    for (int64_t i = 0; i < q->p->n_runs; i++) {
        const exp_run *r = &q->p->runs[i];
        if (r->unit != unit || exists(r->path)) continue;
        pthread_mutex_lock(&q->lock);
        bool stop = q->rc != EF_OK;
        pthread_mutex_unlock(&q->lock);
        if (stop || ef_interrupted()) return;
        exp_run_result res;
        ef_error err = {0};
        ef_code rc = exp_run_one(q->p, r, &res, &err);
        pthread_mutex_lock(&q->lock);
        if (rc) {
            if (q->rc == EF_OK) {
                q->rc = rc;
                q->err = err;
            }
        } else {
            q->done++;
            q->busy += res.seconds;
            log_run(q, r, &res);
            /* Timings and sizes for the report, next to the run's scores (best effort:
             * the scores already hold the result). */
            char info[4500], line[512];
            snprintf(info, sizeof info, "%.*s.info", (int)strlen(r->path) - 4, r->path);
            int n = snprintf(line, sizeof line, "seconds,n_train,n_test,epochs,avauc\n%.3f,%lld,%lld,%d,%.6f\n",
                             res.seconds, (long long)res.n_train, (long long)res.n_test, res.epochs, res.av_auc);
            ef_atomic_write(info, line, (size_t)n, NULL);
        }
        pthread_mutex_unlock(&q->lock);
        if (rc) return;
    }
}

ef_code ef_experiment_run(const ef_experiment *x_in, const char *out, const ef_experiment_opts *o,
                          ef_experiment_status *st, ef_error *err)
{
    memset(st, 0, sizeof *st);
    double t0 = ef_now();
    if (o->shard_count < 1 || o->shard_index < 1 || o->shard_index > o->shard_count)
        return ef_fail(err, EF_ERR_ARG, "shard %d/%d: expected i/n with 1 <= i <= n", o->shard_index, o->shard_count);
    /* The settings as run: $EMOFUSE_BERT fills an empty bert, so OUT records it. */
    ef_experiment *x = NULL;
    char *json = ef_experiment_json(x_in);
    ef_code rc = json ? ef_experiment_new(&x, NULL, err) : ef_fail(err, EF_ERR_NOMEM, "out of memory");
    if (!rc) {
        json_object *j = json_tokener_parse(json);
        json_object_put(x->root);
        x->root = j;
        if (!exp_str(x, "bert")[0] && getenv("EMOFUSE_BERT") && (exp_needed_inputs(x) & EXP_IN_BERT))
            json_object_object_add(x->root, "bert", json_object_new_string(getenv("EMOFUSE_BERT")));
        rc = ef_experiment_validate(x, err);
    }
    free(json);
    if (!rc) rc = exp_prepare(x, out, o->log, err);
    exp_plan p;
    memset(&p, 0, sizeof p);
    if (!rc) rc = exp_plan_build(&p, x, out, err);
    pool q;
    memset(&q, 0, sizeof q);
    if (!rc) {
        q.p = &p;
        q.o = o;
        q.unit_ids = calloc((size_t)p.n_units + 1, sizeof *q.unit_ids);
        bool *pending = calloc((size_t)p.n_units + 1, sizeof *pending);
        if (!q.unit_ids || !pending) rc = ef_fail(err, EF_ERR_NOMEM, "out of memory");
        st->runs_total = p.n_runs;
        /* Shard by unit: a deterministic 1/n of the units, so each shard holds whole
         * units and never waits for another shard's branch models. */
        for (int64_t i = 0; !rc && i < p.n_runs; i++) {
            const exp_run *r = &p.runs[i];
            if (r->unit % o->shard_count != o->shard_index - 1) continue;
            st->runs_shard++;
            if (exists(r->path)) st->runs_reused++;
            else pending[r->unit] = true;
        }
        int n_pending = 0;
        for (int u = 0; !rc && u < p.n_units; u++)
            if (pending[u]) q.unit_ids[n_pending++] = u;
        free(pending);
        q.todo = st->runs_shard - st->runs_reused;
        q.jobs = o->jobs > 0 ? o->jobs : ef_cpu_count();
        if (q.jobs > n_pending && n_pending > 0) q.jobs = n_pending;
        if (!rc && o->log) {
            fprintf(o->log, "experiment: %lld runs", (long long)p.n_runs);
            if (o->shard_count > 1) fprintf(o->log, ", %lld in shard %d/%d", (long long)st->runs_shard, o->shard_index,
                                            o->shard_count);
            fprintf(o->log, "; %lld finished earlier, %lld to train on %d worker%s\n", (long long)st->runs_reused,
                    (long long)q.todo, q.jobs, q.jobs == 1 ? "" : "s");
            if (p.bert_random)
                fprintf(o->log, "experiment: note: the BERT features come from a RANDOMLY INITIALISED encoder "
                                "(no pretrained model given): text results are not the paper's\n");
        }
        if (!rc && n_pending > 0) {
            pthread_mutex_init(&q.lock, NULL);
            ef_blas_set_threads(1);
            /* Cores left over by fewer workers go inside each training (-j 1 on 2 cores
             * trains each run on 2 threads); the numbers stay the same either way. */
            p.train_threads = o->threads_per_run > 0 ? o->threads_per_run
                            : ef_cpu_count() / q.jobs > 1 ? ef_cpu_count() / q.jobs : 1;
            q.t0 = ef_now();
            ef_parallel_for(n_pending, q.jobs, run_unit, &q);
            pthread_mutex_destroy(&q.lock);
            st->runs_done = q.done;
            if (q.rc) {
                rc = q.rc;
                *err = q.err;
            } else if (ef_interrupted()) {
                rc = ef_fail(err, EF_ERR_INTERRUPTED, "%s: interrupted after %lld runs (finished runs are kept; run "
                             "the same command to resume)", out, (long long)q.done);
            }
        }
    }
    free(q.unit_ids);
    exp_plan_free(&p);
    ef_experiment_free(x);
    if (!rc) rc = ef_experiment_report(out, o->log, NULL, err);
    st->seconds = ef_now() - t0;
    return rc;
}
