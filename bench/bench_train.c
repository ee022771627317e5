/* Training speed of the paper's systems (default sizes of docs/models.md) on an
 * IEMOCAP-sized synthetic feature set: 5531 utterances with IEMOCAP-like lengths.
 *
 * Lengths come from one seeded generator (ef_rng, seed 2020), written once by
 * `bench_train lengths` and read by both this program and bench/train_torch.py, so both
 * train on exactly the same ragged shapes:
 *   duration d ~ log-normal(mu 1.28, sigma 0.65) truncated to [1, 30] s (redrawn outside):
 *     mean ~4.5 s, median ~3.7 s, sd ~3.1 s (IEMOCAP: 4.5 / 3.5 / 3.1 s)
 *   audio frames T = round(100 d) (10 ms hop) x 36 LLDs
 *   text tokens = clamp(round(2 + 3.3 d exp(0.35 z)), 5, 60) x 768 (BERT): ~2.8 words/s
 *     plus [CLS]/[SEP], correlated with the duration as in real speech, mean ~17.5
 * Feature values are standard normal, labels i % 4.
 *
 * Measures seconds per epoch of ef_train (batching, forward, backward, Adam) after a
 * warm-up of a few steps (a separate short ef_train call on the first utterances).
 * SYSTEM-pt trains the fusion head on frozen branches (copied from a text and an audio
 * model; untrained weights, which costs the same) in two ways: the main line times the
 * branches running forward every step (no_pt_cache = 1, like the PyTorch reference), the
 * "cache:" line times ef_train's default PT path, which computes the frozen branches'
 * outputs once (the fill) and trains the fusion layers on that cache: 1 + PT_CACHED_EPOCHS
 * epochs, the fill being the first epoch's time minus a cached epoch's.
 *
 * usage: bench_train lengths [utts (5531)]                     lengths file to stdout
 *          (and their statistics to stderr)
 *        bench_train SYSTEM[-cs|-pt] [utts [epochs [batch [lengths-file [warmup-steps]]]]]
 *        (threads: EF_TRAIN_THREADS, else OPENBLAS_NUM_THREADS, else 1: ef_train_options.threads
 *        of one training, BLAS single-threaded inside; without a lengths file the
 *        generator runs here) */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emofuse/parallel.h"
#include "emofuse/nn_model.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"
#include "emofuse/thread_pool.h"

#define LEN_SEED 2020u

static void gen_lengths(int64_t n, int64_t *aT, int64_t *tT)
{
    ef_rng rng;
    ef_rng_seed(&rng, LEN_SEED);
    for (int64_t i = 0; i < n; i++) {
        double d;
        do d = exp(1.28 + 0.65 * ef_rng_normal(&rng));
        while (d < 1.0 || d > 30.0);
        aT[i] = (int64_t)lround(100.0 * d);
        long t = lround(2.0 + 3.3 * d * exp(0.35 * ef_rng_normal(&rng)));
        tT[i] = t < 5 ? 5 : t > 60 ? 60 : t;
    }
}

static int read_lengths(const char *path, int64_t n, int64_t *aT, int64_t *tT)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    int64_t i = 0;
    long long a, t;
    while (i < n && fscanf(f, "%lld %lld", &a, &t) == 2) {
        aT[i] = a;
        tT[i] = t;
        i++;
    }
    fclose(f);
    if (i < n) {
        fprintf(stderr, "%s: %lld lengths, need %lld\n", path, (long long)i, (long long)n);
        return -1;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "mean 450 median 367 p99 1600 max 2990" of n lengths. */
static void length_stats(char *out, size_t cap, const int64_t *v, int64_t n)
{
    int64_t *s = malloc((size_t)n * sizeof *s);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_i64);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)s[i];
    snprintf(out, cap, "min %lld mean %.1f median %lld p99 %lld max %lld", (long long)s[0], sum / (double)n,
             (long long)s[n / 2], (long long)s[(n * 99) / 100], (long long)s[n - 1]);
    free(s);
}

static ef_model *make_model(ef_system sys, int Dt, int Da)
{
    ef_model_config cfg = ef_model_config_default_params(sys);
    cfg.text.input_dim = Dt;
    cfg.audio.input_dim = Da;
    ef_model *m;
    ef_error err;
    if (ef_model_create(&m, &cfg, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        exit(1);
    }
    return m;
}

static void train_or_die(ef_model *m, const ef_dataset *d, const ef_train_options *o, double *loss)
{
    ef_error err;
    if (ef_train(m, d, o, loss, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        exit(1);
    }
}

/* on_epoch callback: wall and CPU time at the end of every epoch. */
typedef struct {
    double wall[64], cpu[64];
} epoch_times;

static ef_code stamp(void *ctx, int epoch, ef_model *m, ef_error *err)
{
    (void)m;
    (void)err;
    epoch_times *t = ctx;
    if (epoch < 64) {
        t->wall[epoch] = ef_now();
        t->cpu[epoch] = (double)clock() / CLOCKS_PER_SEC;
    }
    return EF_OK;
}

/* The machine's single-core SGEMM rate, measured here so that the training rate can be
 * put against it in the same run (under the same load): OpenBLAS cblas_sgemm on one
 * thread, 1024 x 1024 x 1024 (the shape it runs fastest; the convolutions' own shapes
 * reach 70-100% of it), best of 7 timings of at least 0.1 s each. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { SGEMM_N = 1024 }; /* the ceilings' square SGEMM */

/* The two (SGEMM_N, SGEMM_N) operands of the ceiling SGEMMs, filled. */
static void sgemm_operands(float **a, float **b)
{
    *a = malloc(sizeof(float) * SGEMM_N * SGEMM_N);
    *b = malloc(sizeof(float) * SGEMM_N * SGEMM_N);
    for (int i = 0; i < SGEMM_N * SGEMM_N; i++) (*a)[i] = (float)(i % 7) * 0.1f, (*b)[i] = (float)(i % 5) * 0.1f;
}

/* Returns the rate per CPU second of the calling thread (the steadier figure on a shared
 * machine, as the training's "per CPU second"); *wall gets the wall-clock rate. */
static double sgemm_ceiling(double *wall)
{
    float *a, *b, *c = malloc(sizeof(float) * SGEMM_N * SGEMM_N);
    sgemm_operands(&a, &b);
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    double best = 1e30, best_cpu = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = ef_now(), c0 = thread_cpu(), dt;
        int reps = 0;
        do {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, SGEMM_N, SGEMM_N, SGEMM_N, 1.0f, a, SGEMM_N, b, SGEMM_N, 0.0f, c, SGEMM_N);
            reps++;
        } while ((dt = ef_now() - t0) < 0.1);
        if (dt / reps < best) best = dt / reps;
        if ((thread_cpu() - c0) / reps < best_cpu) best_cpu = (thread_cpu() - c0) / reps;
    }
    openblas_set_num_threads(saved);
    free(a);
    free(b);
    free(c);
    *wall = 2e-9 * SGEMM_N * SGEMM_N * (double)SGEMM_N / best;
    return 2e-9 * SGEMM_N * SGEMM_N * (double)SGEMM_N / best_cpu;
}

/* The same SGEMM on every thread of a pool at once, each into its own C: what the cores
 * give together right now. On this shared machine two 1-thread processes have run from
 * 1.0x to 2.3x slower side by side than alone, so a 2-thread speed-up means something
 * only next to this. Returns the summed wall rate of the best of 5 rounds of ~0.2 s. */
typedef struct {
    const float *a, *b;
    float *c; /* (threads, SGEMM_N * SGEMM_N) */
    double *rate; /* (threads) GFLOP/s of each thread in the round */
} multi_job;

static void multi_item(void *vctx, int64_t item, int thread)
{
    (void)thread;
    multi_job *j = vctx;
    double t0 = ef_now(), dt;
    int reps = 0;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, SGEMM_N, SGEMM_N, SGEMM_N, 1.0f, j->a, SGEMM_N, j->b, SGEMM_N, 0.0f,
                    j->c + (size_t)item * SGEMM_N * SGEMM_N, SGEMM_N);
        reps++;
    } while ((dt = ef_now() - t0) < 0.2);
    j->rate[item] = 2e-9 * SGEMM_N * SGEMM_N * (double)SGEMM_N * reps / dt;
}

static double sgemm_ceiling_all(int threads)
{
    ef_pool *pool = NULL;
    if (ef_pool_create(&pool, threads, NULL) != EF_OK) return 0.0;
    float *a, *b, *c = malloc(sizeof(float) * SGEMM_N * SGEMM_N * (size_t)threads);
    double *rate = calloc((size_t)threads, sizeof(double));
    sgemm_operands(&a, &b);
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    multi_job j = {a, b, c, rate};
    double best = 0.0;
    for (int r = 0; r < 5; r++) {
        ef_pool_run(pool, threads, multi_item, &j);
        double sum = 0.0;
        for (int t = 0; t < threads; t++) sum += rate[t];
        if (sum > best) best = sum;
    }
    openblas_set_num_threads(saved);
    ef_pool_free(pool);
    free(a), free(b), free(c), free(rate);
    return best;
}

int main(int argc, char **argv)
{
    ef_blas_park_threads(); /* as the CLI does: OpenBLAS's idle load-time pool must not spin */
    if (argc >= 2 && strcmp(argv[1], "lengths") == 0) {
        int64_t n = argc > 2 ? atoll(argv[2]) : 5531;
        int64_t *aT = malloc((size_t)n * sizeof *aT), *tT = malloc((size_t)n * sizeof *tT);
        gen_lengths(n, aT, tT);
        for (int64_t i = 0; i < n; i++) printf("%lld %lld\n", (long long)aT[i], (long long)tT[i]);
        char st[128];
        length_stats(st, sizeof st, aT, n);
        fprintf(stderr, "audio frames %s; ", st);
        length_stats(st, sizeof st, tT, n);
        fprintf(stderr, "text tokens %s\n", st);
        free(aT);
        free(tT);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench_train lengths [utts]\n"
                        "       bench_train text|audio|ef|lf[-cs|-pt] [utts [epochs [batch [lengths-file [warmup]]]]]\n");
        return 2;
    }
    char sname[32];
    snprintf(sname, sizeof sname, "%s", argv[1]);
    ef_strategy strat = EF_STRAT_CS;
    char *dash = strchr(sname, '-');
    if (dash) {
        *dash = '\0';
        if (ef_strategy_parse(dash + 1, &strat) != 0) {
            fprintf(stderr, "unknown strategy %s\n", dash + 1);
            return 2;
        }
    }
    ef_system sys;
    if (ef_system_parse(sname, &sys) != 0) {
        fprintf(stderr, "unknown system %s\n", sname);
        return 2;
    }
    int64_t n = argc > 2 ? atoll(argv[2]) : 5531;
    int epochs = argc > 3 ? atoi(argv[3]) : 1;
    int batch = argc > 4 ? atoi(argv[4]) : 32;
    const char *lpath = argc > 5 && argv[5][0] ? argv[5] : NULL;
    int warmup = argc > 6 ? atoi(argv[6]) : 10;
    int need_text = sys != EF_SYS_AUDIO, need_audio = sys != EF_SYS_TEXT;
    ef_model_config cfg = ef_model_config_default_params(sys);
    int Dt = cfg.text.input_dim, Da = cfg.audio.input_dim;

    int64_t *tT = calloc((size_t)n, sizeof *tT), *aT = calloc((size_t)n, sizeof *aT);
    const float **trows = calloc((size_t)n, sizeof *trows), **arows = calloc((size_t)n, sizeof *arows);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    if (lpath) {
        if (read_lengths(lpath, n, aT, tT) != 0) return 1;
    } else {
        gen_lengths(n, aT, tT);
    }
    int64_t nt = 0, na = 0;
    for (int64_t i = 0; i < n; i++) {
        labels[i] = (int32_t)(i % 4);
        nt += tT[i];
        na += aT[i];
    }
    char st[128];
    length_stats(st, sizeof st, aT, n);
    fprintf(stderr, "audio frames: %s\n", st);
    length_stats(st, sizeof st, tT, n);
    fprintf(stderr, "text tokens: %s\n", st);
    ef_rng rng;
    ef_rng_seed(&rng, 7);
    float *tbuf = NULL, *abuf = NULL;
    if (need_text) {
        tbuf = malloc((size_t)(nt * Dt) * sizeof(float));
        for (int64_t j = 0; j < nt * Dt; j++) tbuf[j] = (float)ef_rng_normal(&rng);
    }
    if (need_audio) {
        abuf = malloc((size_t)(na * Da) * sizeof(float));
        for (int64_t j = 0; j < na * Da; j++) abuf[j] = (float)ef_rng_normal(&rng);
    }
    int64_t ot = 0, oa = 0;
    for (int64_t i = 0; i < n; i++) {
        trows[i] = tbuf ? tbuf + ot * Dt : NULL;
        arows[i] = abuf ? abuf + oa * Da : NULL;
        ot += tT[i];
        oa += aT[i];
    }
    ef_dataset d = {n, need_text ? trows : NULL, tT, need_audio ? arows : NULL, aT, labels, NULL, NULL};

    ef_model *m = make_model(sys, Dt, Da), *tm = NULL, *am = NULL;
    ef_error err;
    if (strat != EF_STRAT_CS) {
        /* Branch models (Glorot weights, BN statistics 0 / 1) copied into the fusion model. */
        tm = make_model(EF_SYS_TEXT, Dt, Da);
        am = make_model(EF_SYS_AUDIO, Dt, Da);
        ef_rng r2;
        ef_rng_seed(&r2, 3);
        ef_params_init(ef_model_params(tm), NULL, &r2);
        ef_params_init(ef_model_params(am), NULL, &r2);
        if (ef_model_copy_branch(m, tm, "text", &err) != EF_OK || ef_model_copy_branch(m, am, "audio", &err) != EF_OK) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 1;
        }
    }
    ef_train_options o = ef_train_default_params(sys, strat);
    o.batch_size = batch;
    o.no_pt_cache = 1; /* the main measurement runs the frozen branches every step */
    /* One training on t threads: the library's pool splits each step's rows, BLAS runs
     * single-threaded inside (ef_train sets it). t = OPENBLAS_NUM_THREADS, as the PyTorch
     * reference's thread count, unless EF_TRAIN_THREADS says otherwise. */
    const char *te = getenv("EF_TRAIN_THREADS");
    if (!te) te = getenv("OPENBLAS_NUM_THREADS");
    o.threads = te ? atoi(te) : 1;
    double loss = 0;
    if (warmup > 0) { /* a short run first: allocations, page faults, BLAS start-up */
        ef_dataset w = d;
        w.n = (int64_t)warmup * batch < n ? (int64_t)warmup * batch : n;
        o.epochs = 1;
        train_or_die(m, &w, &o, &loss);
    }
    o.epochs = epochs;
    double t0 = ef_now();
    clock_t c0 = clock();
    train_or_die(m, &d, &o, &loss);
    double dt = (ef_now() - t0) / epochs, dc = (double)(clock() - c0) / CLOCKS_PER_SEC / epochs;
    /* Multiply-adds of the branches per epoch: forward, plus under cs the weight gradients
     * of every layer and the input gradients of all but the first (head and fusion layers
     * are negligible), to put the epoch time against the machine's GEMM rate. */
    const ef_text_config *tc = &cfg.text;
    const ef_audio_config *ac = &cfg.audio;
    double t_conv = (double)tc->dense_units * tc->conv1_kernel * tc->conv1_filters +
                    (double)tc->conv1_filters * tc->conv2_kernel * tc->conv2_filters;
    double t_fwd = (double)Dt * tc->dense_units + t_conv;
    double a_conv2 = (double)ac->conv1_filters * ac->conv2_kernel * ac->conv2_filters;
    double a_fwd = (double)Da * ac->conv1_kernel * ac->conv1_filters + a_conv2;
    double cs = strat == EF_STRAT_CS;
    double macs = (need_text ? (double)nt * (t_fwd + cs * (t_fwd + t_conv)) : 0) +
                  (need_audio ? (double)na * (a_fwd + cs * (a_fwd + a_conv2)) : 0);
    double ceil_wall, ceil_cpu = sgemm_ceiling(&ceil_wall);
    int nth = o.threads < 1 ? 1 : o.threads;
    printf("emofuse %-6s: %.1f GFLOP/epoch, %.1f GFLOP/s (%.1f per CPU second); sgemm ceiling per core %.1f "
           "GFLOP/s per CPU second (%.1f wall): %.0f%% of it per CPU second, %.0f%% of %d x its wall rate\n",
           argv[1], 2e-9 * macs, 2e-9 * macs / dt, 2e-9 * macs / dc, ceil_cpu, ceil_wall,
           100 * 2e-9 * macs / dc / ceil_cpu, 100 * 2e-9 * macs / dt / (ceil_wall * nth), nth);
    printf("emofuse %-6s: %lld utts, %lld text tokens, %lld audio frames, %lld parameters, batch %d, warm-up %d "
           "steps, %d thread(s): %.3f s/epoch, cpu %.3f s/epoch (loss %.4f)\n",
           argv[1], (long long)n, need_text ? (long long)nt : 0LL, need_audio ? (long long)na : 0LL,
           (long long)ef_model_params(m)->n_params, batch, warmup, o.threads < 1 ? 1 : o.threads, dt, dc, loss);
    if (nth > 1) {
        double all = sgemm_ceiling_all(nth);
        printf("emofuse %-6s: sgemm on %d threads at once %.1f GFLOP/s wall = %.2fx one core's (%.1f): the "
               "machine's parallel ceiling in this run\n",
               argv[1], nth, all, all / ceil_wall, ceil_wall);
    }

    if (strat == EF_STRAT_PT) {
        /* The library's PT path: branch outputs computed once, then cached epochs. */
        enum { PT_CACHED_EPOCHS = 5 };
        epoch_times et;
        o.no_pt_cache = 0;
        o.epochs = 1 + PT_CACHED_EPOCHS;
        o.on_epoch = stamp;
        o.on_epoch_ctx = &et;
        double w0 = ef_now(), cc0 = (double)clock() / CLOCKS_PER_SEC;
        train_or_die(m, &d, &o, &loss);
        double ep_w = (et.wall[o.epochs] - et.wall[1]) / PT_CACHED_EPOCHS;
        double ep_c = (et.cpu[o.epochs] - et.cpu[1]) / PT_CACHED_EPOCHS;
        double fill_w = et.wall[1] - w0 - ep_w, fill_c = et.cpu[1] - cc0 - ep_c;
        printf("emofuse %-6s cache: fill %.3f s once, cpu %.3f s (frozen branches over the corpus), cached epoch "
               "%.4f s, cpu %.4f s (%d epochs); 20-epoch run %.2f s vs %.2f s without the cache\n",
               argv[1], fill_w, fill_c, ep_w, ep_c, PT_CACHED_EPOCHS, fill_w + 20 * ep_w, 20 * dt);
    }
    ef_model_free(m);
    ef_model_free(tm);
    ef_model_free(am);
    free(tbuf);
    free(abuf);
    free(tT);
    free(aT);
    free(trows);
    free(arows);
    free(labels);
    return 0;
}
