/* FFTW plan cache: one r2c plan per size, created under a mutex because FFTW's planner
 * is not thread-safe (see fft.h). A handful of sizes exist per process, so a small
 * fixed table with a linear search is enough. */
#include "audio/fft.h"

#include <pthread.h>

#define EF_FFT_MAX_PLANS 32

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int n;
    fftwf_plan plan;
} plans[EF_FFT_MAX_PLANS];
static int n_plans;

int ef_fft_size_for(int n)
{
    int m = 1;
    while (m < n && m < (1 << 30)) m <<= 1;
    return m;
}

ef_code ef_fft_r2c_plan(int n, fftwf_plan *plan, ef_error *err)
{
    if (n < 2 || n > (1 << 24)) return ef_fail(err, EF_ERR_ARG, "fft: size %d is outside [2, 2^24]", n);
    ef_code rc = EF_OK;
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < n_plans; i++) {
        if (plans[i].n == n) {
            *plan = plans[i].plan;
            pthread_mutex_unlock(&plan_lock);
            return EF_OK;
        }
    }
    if (n_plans == EF_FFT_MAX_PLANS) {
        rc = ef_fail(err, EF_ERR_INTERNAL, "fft: more than %d distinct FFT sizes requested", EF_FFT_MAX_PLANS);
        goto done;
    }
    /* Plan on scratch arrays: FFTW_ESTIMATE never touches their contents, and the plan is
     * later executed on the caller's own fftwf_malloc'ed arrays. */
    float *in = fftwf_malloc(sizeof(float) * (size_t)n);
    fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(n / 2 + 1));
    fftwf_plan p = (in && out) ? fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE) : NULL;
    fftwf_free(in);
    fftwf_free(out);
    if (!p) {
        rc = ef_fail(err, EF_ERR_NOMEM, "fft: cannot create a plan of size %d", n);
        goto done;
    }
    plans[n_plans].n = n;
    plans[n_plans].plan = p;
    n_plans++;
    *plan = p;
done:
    pthread_mutex_unlock(&plan_lock);
    return rc;
}
