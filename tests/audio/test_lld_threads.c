/* ef_lld_compute from several threads at once (ef_parallel_for, 4 threads, 24 signals of
 * different lengths) gives bit-identical results to a sequential run: the shared FFTW plan
 * cache and every per-call buffer are thread-safe. Also checks the documented row count
 * T = (n - 960) / 160 + 1 and that ef_lld_compute leaves its input untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/audio.h"
#include "emofuse/parallel.h"
#include "testutil.h"

#define N_SIG 24

typedef struct {
    float *sig[N_SIG];
    int64_t n[N_SIG];
    float *out[N_SIG];
    int64_t T[N_SIG];
    int failures;
} work;

static void one(void *ctx, int64_t i, int thread)
{
    (void)thread;
    work *w = ctx;
    const ef_lld_params p = ef_lld_default_params();
    ef_error err = {0};
    if (ef_lld_compute(&p, w->sig[i], w->n[i], &w->out[i], &w->T[i], &err))
        __atomic_add_fetch(&w->failures, 1, __ATOMIC_RELAXED);
}

int main(void)
{
    work w = {0};
    uint32_t rng = 99;
    for (int i = 0; i < N_SIG; i++) {
        w.n[i] = 4000 + 1700 * i; /* 0.25 .. 2.7 s */
        w.sig[i] = malloc(sizeof(float) * (size_t)w.n[i]);
        const double f0 = 90.0 + 15.0 * i;
        for (int64_t s = 0; s < w.n[i]; s++) {
            rng = rng * 1664525u + 1013904223u;
            double v = 0;
            for (int h = 1; h <= 12; h++) v += sin(2 * M_PI * f0 * h * s / 16000.0) / h;
            w.sig[i][s] = (float)(0.2 * v * (s % 8000 < 5000) + ((rng >> 8) / 16777216.0 - 0.5) * 1e-3);
        }
    }
    float *copy0 = malloc(sizeof(float) * (size_t)w.n[0]);
    memcpy(copy0, w.sig[0], sizeof(float) * (size_t)w.n[0]);

    /* sequential reference */
    float *seq[N_SIG];
    int64_t seqT[N_SIG];
    for (int i = 0; i < N_SIG; i++) {
        one(&w, i, 0);
        seq[i] = w.out[i];
        seqT[i] = w.T[i];
        w.out[i] = NULL;
        CHECK_MSG(seqT[i] == (w.n[i] - 960) / 160 + 1, "signal %d: T = %lld", i, (long long)seqT[i]);
    }
    CHECK(memcmp(copy0, w.sig[0], sizeof(float) * (size_t)w.n[0]) == 0);
    /* concurrent, twice (the second run finds the plans cached) */
    for (int rep = 0; rep < 2; rep++) {
        ef_parallel_for(N_SIG, 4, one, &w);
        CHECK(w.failures == 0);
        for (int i = 0; i < N_SIG; i++) {
            CHECK(w.T[i] == seqT[i]);
            CHECK_MSG(w.out[i] && memcmp(w.out[i], seq[i], sizeof(float) * (size_t)seqT[i] * EF_LLD_DIMS) == 0,
                      "signal %d differs between sequential and threaded runs", i);
            free(w.out[i]);
            w.out[i] = NULL;
        }
    }
    for (int i = 0; i < N_SIG; i++) {
        free(seq[i]);
        free(w.sig[i]);
    }
    free(copy0);
    return ef_test_exit();
}
